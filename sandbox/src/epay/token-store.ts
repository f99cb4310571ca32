/** @module Bank tokens: issued for one invoice and amount, expiring, and spent by the first operation that presents them. */
import { randomBytes } from 'node:crypto';
import { toMinorUnits } from './amount.js';

/** Bytes of randomness in an access token (the bank's look like `DCEB8O_ZM5U7SO_T_U5EJQ`). */
const TOKEN_BYTES = 16;

/** What a token was asked for: a payment's invoice, amount and currency, or (a terminal token) none of them. */
export interface TokenBinding {
  invoiceId?: string;
  amount?: number;
  currency?: string;
  terminal: string;
}

interface IssuedToken extends TokenBinding {
  expiresAt: number;
  used: boolean;
}

/** Why a presented token is refused. */
export type TokenProblem = 'missing' | 'invalid' | 'expired' | 'used' | 'mismatch';

/** The outcome of presenting a token. */
export type TokenCheck = { ok: true; binding: TokenBinding } | { ok: false; problem: TokenProblem };

/** Issues and spends tokens. */
export interface TokenStore {
  issue(binding: TokenBinding): string;
  /**
   * Looks up and spends the token in an `Authorization` header: a token is good for ONE operation
   * whatever that operation's answer, so it is spent as soon as it is presented valid and unexpired.
   */
  spend(authorization: string | undefined): TokenCheck;
}

/**
 * A token store whose tokens live `ttlMs`.
 *
 * @example
 * ```ts
 * const tokens = createTokenStore(1_200_000);
 * const token = tokens.issue({ invoiceId: '000000123456', amount: 100, currency: 'KZT', terminal });
 * tokens.spend(`Bearer ${token}`); // { ok: true, binding }
 * tokens.spend(`Bearer ${token}`); // { ok: false, problem: 'used' }
 * ```
 */
export function createTokenStore(ttlMs: number, now: () => number = Date.now): TokenStore {
  const tokens = new Map<string, IssuedToken>();
  return {
    issue(binding) {
      const token = randomBytes(TOKEN_BYTES).toString('base64url').toUpperCase();
      tokens.set(token, { ...binding, expiresAt: now() + ttlMs, used: false });
      return token;
    },
    spend(authorization) {
      const match = /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(authorization ?? '');
      if (!match?.[1]) return { ok: false, problem: authorization ? 'invalid' : 'missing' };
      const issued = tokens.get(match[1]);
      if (!issued) return { ok: false, problem: 'invalid' };
      if (issued.used) return { ok: false, problem: 'used' };
      if (now() >= issued.expiresAt) return { ok: false, problem: 'expired' };
      issued.used = true;
      const { expiresAt: _expiresAt, used: _used, ...binding } = issued;
      return { ok: true, binding };
    },
  };
}

/**
 * Whether a spent token's binding covers this payment operation's invoice, amount and currency (`cryptopay`,
 * `payment/confirm`). A terminal token covers none: it serves the status call alone.
 *
 * @example
 * ```ts
 * bindingCovers(binding, { invoiceId: '000000123456', amount: 100, currency: 'KZT' }); // true
 * ```
 */
export function bindingCovers(
  binding: TokenBinding,
  operation: { invoiceId: string; amount?: number; currency?: string },
): boolean {
  if (binding.invoiceId === undefined || binding.invoiceId !== operation.invoiceId) return false;
  if (
    operation.amount !== undefined &&
    (binding.amount === undefined || toMinorUnits(binding.amount) !== toMinorUnits(operation.amount))
  ) {
    return false;
  }
  if (operation.currency !== undefined && binding.currency !== operation.currency) return false;
  return true;
}

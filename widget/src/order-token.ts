/** @module Reads the order token's claims in the browser, without verifying it (only the proxy holds the secret). */

/** The claims the element needs to build the payment sheet. */
export interface OrderClaims {
  /** As the token carries it; the proxy checks it. */
  invoiceId: string;
  amount: number;
  /** Upper-case ISO 4217 code; `KZT` when the token names none. */
  currency: string;
  /** Expiry, seconds since the epoch. */
  exp: number;
}

/** The result of {@link decodeOrderToken}: the claims, or why the token cannot be used. */
export type DecodedOrder =
  | { ok: true; order: OrderClaims }
  | { ok: false; reason: 'missing' | 'malformed' | 'expired'; message: string };

/**
 * Decodes a JWT's payload (base64url JSON) and checks the claims the sheet depends on: `amount`
 * (a number above 0 with at most two decimals), `currency` (three capitals, `KZT` by default) and
 * `exp`. It never verifies the signature or the other claims: the proxy does, with the secret the
 * page must not have. Messages never repeat the token.
 *
 * @param nowMs the clock, injectable for tests
 * @example
 * const r = decodeOrderToken(el.order);
 * if (r.ok) console.log(r.order.amount, r.order.currency);
 */
export function decodeOrderToken(token: string | null | undefined, nowMs: number = Date.now()): DecodedOrder {
  if (!token?.trim()) return { ok: false, reason: 'missing', message: 'Order token missing' };
  try {
    const part = token.trim().split('.');
    // atob takes unpadded base64 but not the URL alphabet. Non-ASCII text would come out as
    // Latin-1, but none of the claims read here can hold any.
    const {
      invoiceId,
      amount,
      exp,
      currency = 'KZT',
    } = JSON.parse(atob(part[1]!.replace(/-/g, '+').replace(/_/g, '/')));
    // toFixed throws unless amount is a number: the catch makes that "malformed" too.
    if (
      part.length === 3 &&
      amount > 0 &&
      +amount.toFixed(2) === amount &&
      /^[A-Z]{3}$/.test(currency) &&
      typeof exp === 'number'
    ) {
      return exp * 1000 > nowMs
        ? { ok: true, order: { invoiceId, amount, currency, exp } }
        : { ok: false, reason: 'expired', message: 'Order expired' };
    }
  } catch {
    // falls through: not a readable token
  }
  return { ok: false, reason: 'malformed', message: 'Order token unreadable' };
}

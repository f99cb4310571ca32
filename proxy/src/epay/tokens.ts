/**
 * @module Bank tokens: a payment token asked for one invoice and amount (`cryptopay`, `payment/confirm`), or a
 * terminal token asked for without them (the status call), a fresh one per operation. A payment's token may be
 * asked for early, when its sheet opens, so that after Face ID only `cryptopay` is left.
 */
import { bankCall, jsonObject } from './http.js';
import { type BankLine, FETCH_RETRY_DELAY_MS, remaining, sleep, text } from './bank-line.js';

/** The scope string exactly as the bank's page lists it. */
export const EPAY_SCOPE = 'webapi usermanagement email_send verification statement statistics payment';
/** A prefetched token is dropped this long before the bank says it expires. */
export const TOKEN_EXPIRY_MARGIN_MS = 60_000;
/** Most prefetched tokens kept per instance. */
export const MAX_PREFETCHED_TOKENS = 10_000;

/** What a payment's bank token is asked for: `cryptopay` and `payment/confirm` name the invoice and amount. */
export interface TokenScope {
  invoiceId: string;
  amount: number;
  currency: string;
}

export type TokenResult = { ok: true; token: string } | { ok: false; reason: string };

type Issued = { token: string; expiresAt: number };

/**
 * The token source of one client. Per instance: a prefetched token that is not found just means a fresh request.
 *
 * @example
 * ```ts
 * const tokens = createTokenSource(line);
 * tokens.prefetchPaymentToken(scope); // the sheet opens
 * const t = await tokens.getPaymentToken(scope, deadline); // the customer authorized
 * ```
 */
export function createTokenSource(line: BankLine) {
  const { credentials: c, timeouts: t } = line;
  /** Per payment: the token asked for when its sheet opened, and the timer that drops it once it is too old to use. */
  const prefetched = new Map<string, { token: Promise<Issued | undefined>; timer?: NodeJS.Timeout }>();
  const scopeKey = (s: TokenScope) => `${s.invoiceId}|${s.amount}|${s.currency}`;
  /** Removes a prefetched token and its timer, so nothing keeps a bank token alive once it is used or dropped. */
  const drop = (k: string) => {
    clearTimeout(prefetched.get(k)?.timer);
    prefetched.delete(k);
  };

  /** Asks for a token: bound to a payment's invoice and amount, or (no scope) a terminal token. */
  async function requestToken(scope: TokenScope | undefined, deadline: number): Promise<Issued | string> {
    const form: Record<string, string> = {
      grant_type: 'client_credentials',
      scope: EPAY_SCOPE,
      client_id: c.clientId,
      client_secret: c.clientSecret,
    };
    if (scope) {
      form.invoiceID = scope.invoiceId;
      form.amount = String(scope.amount);
      form.currency = scope.currency;
    }
    form.terminal = c.terminalId;
    const body = new URLSearchParams(form).toString();
    let last = 'no attempt';
    // A token request changes nothing at the bank: safe to retry once on a network fault or a 5xx.
    for (let attempt = 0; attempt < 2; attempt++) {
      if (attempt > 0) await sleep(FETCH_RETRY_DELAY_MS);
      const res = await bankCall(line, 'token', c.oauthUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body,
        timeoutMs: remaining(deadline, t.tokenMs),
      });
      if (res.kind !== 'answer') {
        last = `token: ${res.reason}`;
        continue;
      }
      const json = jsonObject(res.text);
      const token = json?.access_token;
      if (res.status === 200 && typeof token === 'string' && token.length > 0) {
        const expiresIn = Number(json?.expires_in);
        const ttlMs = Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn * 1000 : 0;
        return { token, expiresAt: Date.now() + ttlMs };
      }
      last = `token: HTTP ${res.status}${json?.error ? ` ${text(json.error)}` : ''}`;
      if (res.status < 500) break; // refused credentials or fields: retrying will not help
    }
    return last;
  }

  const result = (r: Issued | string): TokenResult =>
    typeof r === 'string' ? { ok: false, reason: r } : { ok: true, token: r.token };

  /** The payment token for one operation on this payment: the prefetched one if still good, else a fresh one. */
  async function getPaymentToken(scope: TokenScope, deadline: number): Promise<TokenResult> {
    const k = scopeKey(scope);
    const early = prefetched.get(k);
    if (early) {
      drop(k); // a token serves one operation
      const issued = await early.token;
      if (issued && issued.expiresAt - TOKEN_EXPIRY_MARGIN_MS > Date.now()) return { ok: true, token: issued.token };
    }
    return result(await requestToken(scope, deadline));
  }

  /** A fresh terminal token (no invoice, no amount): the status call's. */
  async function getTerminalToken(deadline: number): Promise<TokenResult> {
    return result(await requestToken(undefined, deadline));
  }

  /** Starts asking for a payment's token ahead of time (when the sheet opens). */
  function prefetchPaymentToken(scope: TokenScope): void {
    const k = scopeKey(scope);
    if (prefetched.has(k)) return;
    if (prefetched.size >= MAX_PREFETCHED_TOKENS) {
      const oldest = prefetched.keys().next().value;
      if (oldest !== undefined) drop(oldest);
    }
    const token = requestToken(scope, Date.now() + t.tokenMs * 2).then((r) => (typeof r === 'string' ? undefined : r));
    const entry: { token: typeof token; timer?: NodeJS.Timeout } = { token };
    prefetched.set(k, entry);
    // Drop it once it can no longer be used, so an abandoned sheet leaves nothing behind; a token used (or dropped)
    // before then takes its timer with it.
    void token.then((issued) => {
      if (prefetched.get(k) !== entry) return;
      const life = issued ? Math.max(0, issued.expiresAt - TOKEN_EXPIRY_MARGIN_MS - Date.now()) : 0;
      entry.timer = setTimeout(() => {
        if (prefetched.get(k) === entry) prefetched.delete(k);
      }, life).unref();
    });
  }

  /** Prefetched tokens held, and the timers that will drop them (for tests and health). */
  function prefetchStats() {
    return { tokens: prefetched.size, timers: [...prefetched.values()].filter((e) => e.timer !== undefined).length };
  }

  return { getPaymentToken, getTerminalToken, prefetchPaymentToken, prefetchStats };
}

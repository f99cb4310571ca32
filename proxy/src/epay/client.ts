/**
 * @module The ePay client: a fresh token per operation, the cached public key, `cryptopay`, `payment/confirm`
 * and the status call. Every call has its own timeout and never throws: answers are classified for the caller.
 * `cryptopay` and `payment/confirm` use a token asked for the payment's invoice and amount; the status call uses a
 * terminal token asked for without them, as the bank's status page and every public status client do.
 */
import type { KeyObject } from 'node:crypto';
import type { Agent } from 'undici';
import { bankCall, createBankAgent, jsonObject, type HttpOutcome } from './http.js';
import { parseBankPublicKey } from './public-key.js';
import { readConfirmAnswer, type ConfirmResult } from './confirm-result.js';

/** The scope string exactly as the bank's page lists it. */
export const EPAY_SCOPE = 'webapi usermanagement email_send verification statement statistics payment';
export const TOKEN_TIMEOUT_MS = 5_000;
export const PUBLIC_KEY_TIMEOUT_MS = 5_000;
export const CRYPTOPAY_TIMEOUT_MS = 14_000;
export const STATUS_TIMEOUT_MS = 4_000;
export const CONFIRM_TIMEOUT_MS = 15_000;
/** A cached public key is refreshed after this long; if the bank is unreachable then, the old one is kept. */
export const PUBLIC_KEY_TTL_MS = 6 * 60 * 60_000;
/** A prefetched token is dropped this long before the bank says it expires. */
export const TOKEN_EXPIRY_MARGIN_MS = 60_000;
/** Pause before the one retry of a token or key fetch. */
export const FETCH_RETRY_DELAY_MS = 200;
/** Most prefetched tokens kept per instance. */
export const MAX_PREFETCHED_TOKENS = 10_000;

/** What a payment's bank token is asked for: `cryptopay` and `payment/confirm` name the invoice and amount. */
export interface TokenScope {
  invoiceId: string;
  amount: number;
  currency: string;
}

export interface EpayClientOptions {
  clientId: string;
  clientSecret: string;
  terminalId: string;
  oauthUrl: string;
  apiUrl: string;
  agent?: Agent;
  /** Overrides of the timeouts above (tests shorten them; production keeps the defaults). */
  timeouts?: Partial<EpayTimeouts>;
}

export interface EpayTimeouts {
  tokenMs: number;
  publicKeyMs: number;
  cryptopayMs: number;
  statusMs: number;
  confirmMs: number;
}

export type TokenResult = { ok: true; token: string } | { ok: false; reason: string };

export type CryptopayOutcome =
  | { kind: 'paid'; id: string; reference: string }
  | { kind: '3ds'; id: string; paReq: string; md: string; action: string }
  /**
   * The bank refused the call with a code (a 4xx, or a 200 carrying a non-zero code). Not final by itself: the
   * bank publishes no list of final codes, and a refusal such as 477 "operation already exists" is answered for a
   * payment that went through. The status call settles it.
   */
  | { kind: 'refused'; bankCode: number | undefined; message: string }
  | { kind: 'not_final'; bankCode: number }
  | { kind: 'token_refused'; status: number }
  /**
   * The bank's answer leaves the outcome open. `bankError` is set only for a complete 5xx answer in the bank's own
   * error shape (JSON with a code): the bank itself failed the request, which the status call may then confirm.
   */
  | { kind: 'unknown'; bankError: boolean; reason: string }
  | { kind: 'not_sent'; reason: string };

export type StatusOutcome =
  | { kind: 'found'; statusName: string; id: string; reference: string; reasonCode: string; message: string }
  | { kind: 'not_found' }
  | { kind: 'no_answer'; reason: string };

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * The status call's `resultCode` for a found transaction, and for "invoice not found". Only 102 means the bank holds
 * no payment for the invoice: 104/106/109 ("terminal …") and every other code say nothing about the payment, whatever
 * their message, and a bare 404 may come from a gateway.
 */
export const STATUS_OK = '100';
export const STATUS_NOT_FOUND = '102';

/** Codes after which the payment is not final and only the status call may tell (spec Part 2). */
export const NOT_FINAL_CODES: ReadonlySet<number> = new Set([454, 459]);

function str(v: unknown): string {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '';
}

function bankCode(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN;
  return Number.isInteger(n) ? n : undefined;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Creates the client. One instance per proxy: it owns the keep-alive Agent, the public-key cache and the
 * per-order prefetched tokens.
 *
 * @example
 * ```ts
 * const epay = createEpayClient(config.epay);
 * const t = await epay.getToken({ invoiceId: '000123456', amount: 1500, currency: 'KZT' }, Date.now() + 5000);
 * ```
 */
export function createEpayClient(opts: EpayClientOptions) {
  const agent = opts.agent ?? createBankAgent();
  const t: EpayTimeouts = {
    tokenMs: TOKEN_TIMEOUT_MS,
    publicKeyMs: PUBLIC_KEY_TIMEOUT_MS,
    cryptopayMs: CRYPTOPAY_TIMEOUT_MS,
    statusMs: STATUS_TIMEOUT_MS,
    confirmMs: CONFIRM_TIMEOUT_MS,
    ...opts.timeouts,
  };
  const api = opts.apiUrl.replace(/\/+$/, '');
  let key: { object: KeyObject; der: string; at: number } | undefined;
  let keyFetch: Promise<boolean> | undefined;
  /** Per payment: the token asked for when its sheet opened, and the timer that drops it once it is too old to use. */
  const prefetched = new Map<string, { token: Promise<{ token: string; expiresAt: number } | undefined>; timer?: NodeJS.Timeout }>();
  /** Removes a prefetched token and its timer, so nothing keeps a bank token alive once it is used or dropped. */
  const dropPrefetched = (k: string) => {
    clearTimeout(prefetched.get(k)?.timer);
    prefetched.delete(k);
  };

  const remaining = (deadline: number, cap: number) => Math.min(cap, deadline - Date.now());
  const scopeKey = (s: TokenScope) => `${s.invoiceId}|${s.amount}|${s.currency}`;

  /** Asks for a token: bound to a payment's invoice and amount, or (no scope) a terminal token. */
  async function requestToken(
    scope: TokenScope | undefined,
    deadline: number,
  ): Promise<{ token: string; expiresAt: number } | string> {
    const form: Record<string, string> = {
      grant_type: 'client_credentials',
      scope: EPAY_SCOPE,
      client_id: opts.clientId,
      client_secret: opts.clientSecret,
    };
    if (scope) {
      form.invoiceID = scope.invoiceId;
      form.amount = String(scope.amount);
      form.currency = scope.currency;
    }
    form.terminal = opts.terminalId;
    const body = new URLSearchParams(form).toString();
    let last = 'no attempt';
    // A token request changes nothing at the bank: safe to retry once on a network fault or a 5xx.
    for (let attempt = 0; attempt < 2; attempt++) {
      if (attempt > 0) await sleep(FETCH_RETRY_DELAY_MS);
      const res = await bankCall(agent, opts.oauthUrl, {
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
      last = `token: HTTP ${res.status}${json?.error ? ` ${str(json.error)}` : ''}`;
      if (res.status < 500) break; // refused credentials or fields: retrying will not help
    }
    return last;
  }

  /** Fetches (or takes the prefetched) token for one operation on this payment. */
  async function getToken(scope: TokenScope, deadline: number): Promise<TokenResult> {
    const k = scopeKey(scope);
    const early = prefetched.get(k);
    if (early) {
      dropPrefetched(k); // a token serves one operation
      const t = await early.token;
      if (t && t.expiresAt - TOKEN_EXPIRY_MARGIN_MS > Date.now()) return { ok: true, token: t.token };
    }
    const r = await requestToken(scope, deadline);
    return typeof r === 'string' ? { ok: false, reason: r } : { ok: true, token: r.token };
  }

  /** A fresh terminal token (no invoice, no amount): the status call's, and the operations'. */
  async function getTerminalToken(deadline: number): Promise<TokenResult> {
    const r = await requestToken(undefined, deadline);
    return typeof r === 'string' ? { ok: false, reason: r } : { ok: true, token: r.token };
  }

  /**
   * Starts fetching the token for a payment ahead of time (when the sheet opens), so that after the customer
   * authorizes only `cryptopay` is left. Per instance; a miss just fetches again.
   */
  function prefetchToken(scope: TokenScope): void {
    const k = scopeKey(scope);
    if (prefetched.has(k)) return;
    if (prefetched.size >= MAX_PREFETCHED_TOKENS) {
      const oldest = prefetched.keys().next().value;
      if (oldest !== undefined) dropPrefetched(oldest);
    }
    const token = requestToken(scope, Date.now() + t.tokenMs * 2).then((r) => (typeof r === 'string' ? undefined : r));
    const entry: { token: typeof token; timer?: NodeJS.Timeout } = { token };
    prefetched.set(k, entry);
    // Drop it once it can no longer be used, so an abandoned sheet leaves nothing behind; a token used (or dropped)
    // before then takes its timer with it.
    void token.then((t) => {
      if (prefetched.get(k) !== entry) return;
      const life = t ? Math.max(0, t.expiresAt - TOKEN_EXPIRY_MARGIN_MS - Date.now()) : 0;
      entry.timer = setTimeout(() => {
        if (prefetched.get(k) === entry) prefetched.delete(k);
      }, life).unref();
    });
  }

  /** Fetches `public.rsa`; keeps the old key when the bank cannot be reached. Returns whether the key changed. */
  function fetchPublicKey(deadline: number): Promise<boolean> {
    keyFetch ??= (async () => {
      try {
        // Reading a public file: safe to retry once.
        for (let attempt = 0; attempt < 2; attempt++) {
          if (attempt > 0) await sleep(FETCH_RETRY_DELAY_MS);
          const res = await bankCall(agent, `${api}/public.rsa`, {
            method: 'GET',
            timeoutMs: remaining(deadline, t.publicKeyMs),
          });
          if (res.kind !== 'answer' || res.status !== 200) continue;
          try {
            const object = parseBankPublicKey(res.text);
            const der = object.export({ format: 'der', type: 'spki' }).toString('base64');
            const changed = key !== undefined && key.der !== der;
            key = { object, der, at: Date.now() };
            return changed;
          } catch {
            // a garbled key file: try once more, then keep what we have
          }
        }
        return false;
      } finally {
        keyFetch = undefined;
      }
    })();
    return keyFetch;
  }

  /** The bank's public key: cached, refreshed when old (keeping the old one if the bank is unreachable). */
  async function getPublicKey(deadline: number): Promise<KeyObject | undefined> {
    if (!key) await fetchPublicKey(deadline);
    else if (Date.now() - key.at > PUBLIC_KEY_TTL_MS) void fetchPublicKey(deadline);
    return key?.object;
  }

  /** Fetches the key in the background if none is cached yet (when a sheet opens). */
  function warmPublicKey(): void {
    if (!key) void fetchPublicKey(Date.now() + t.publicKeyMs * 2);
  }

  /** Fetches the key again (after the bank rejected a cryptogram). Returns whether it changed. */
  function refreshPublicKey(deadline: number): Promise<boolean> {
    return fetchPublicKey(deadline);
  }

  /** Calls `cryptopay` once. Never retried by this client: an unclear answer is for the status call. */
  async function cryptopay(body: Record<string, unknown>, token: string, deadline: number): Promise<CryptopayOutcome> {
    const res = await bankCall(agent, `${api}/payment/cryptopay`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
      timeoutMs: remaining(deadline, t.cryptopayMs),
    });
    return classifyCryptopay(res);
  }

  /**
   * The status call for an invoice, with a fresh terminal token each time. `scope`'s amount and currency only check
   * that a found transaction is this payment's.
   */
  async function status(scope: TokenScope, deadline: number): Promise<StatusOutcome> {
    const tok = await getTerminalToken(deadline);
    if (!tok.ok) return { kind: 'no_answer', reason: tok.reason };
    const res = await bankCall(agent, `${api}/check-status/payment/transaction/${encodeURIComponent(scope.invoiceId)}`, {
      method: 'GET',
      headers: { accept: 'application/json', authorization: `Bearer ${tok.token}` },
      timeoutMs: remaining(deadline, t.statusMs),
    });
    if (res.kind !== 'answer') return { kind: 'no_answer', reason: res.reason };
    const json = jsonObject(res.text);
    if (!json) return { kind: 'no_answer', reason: `status: HTTP ${res.status}, not JSON` };
    // "Invoice not found" is the bank's code 102, whatever the HTTP status (it may come with 400).
    const resultCode = str(json.resultCode);
    if (resultCode === STATUS_NOT_FOUND) return { kind: 'not_found' };
    if (res.status >= 500) return { kind: 'no_answer', reason: `status: HTTP ${res.status}` };
    const tx = json.transaction as Record<string, unknown> | undefined | null;
    if (tx && typeof tx === 'object' && typeof tx.statusName === 'string') {
      if (str(tx.invoiceID ?? tx.invoiceId) !== '' && str(tx.invoiceID ?? tx.invoiceId) !== scope.invoiceId) {
        return { kind: 'no_answer', reason: 'status: answer for another invoice' };
      }
      // A transaction for another amount or currency is not this payment's.
      if (tx.amount !== undefined && Number(tx.amount) !== scope.amount) {
        return { kind: 'no_answer', reason: 'status: answer for another amount' };
      }
      if (typeof tx.currency === 'string' && tx.currency !== '' && tx.currency !== scope.currency) {
        return { kind: 'no_answer', reason: 'status: answer for another currency' };
      }
      return {
        kind: 'found',
        statusName: tx.statusName.toUpperCase(),
        id: str(tx.id),
        reference: str(tx.reference),
        reasonCode: str(tx.reasonCode),
        message: str(tx.reason ?? tx.reasonMessage ?? json.resultMessage),
      };
    }
    // Any other answer without a transaction (a refused token, "terminal not found", an internal error) tells nothing.
    return { kind: 'no_answer', reason: `status: HTTP ${res.status}${resultCode ? ` resultCode ${resultCode}` : ''}` };
  }

  /** Sends the 3-D Secure result. The answer is a redirect that is read, never followed. */
  async function confirm(
    input: { id: string; paRes: string; md: string },
    token: string,
    deadline: number,
  ): Promise<ConfirmResult> {
    const res = await bankCall(agent, `${api}/payment/confirm`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/html', authorization: `Bearer ${token}` },
      body: JSON.stringify({ ID: input.id, PaRes: input.paRes, MD: input.md }),
      timeoutMs: remaining(deadline, t.confirmMs),
    });
    return readConfirmAnswer(res);
  }

  return {
    getToken,
    getTerminalToken,
    prefetchToken,
    getPublicKey,
    warmPublicKey,
    refreshPublicKey,
    cryptopay,
    status,
    confirm,
    /** Prefetched tokens held, and the timers that will drop them (for tests and health). */
    prefetchStats: () => ({ tokens: prefetched.size, timers: [...prefetched.values()].filter((e) => e.timer !== undefined).length }),
    close: () => agent.close(),
  };
}

export type EpayClient = ReturnType<typeof createEpayClient>;

/** Classifies a `cryptopay` answer. Exported for tests. */
export function classifyCryptopay(res: HttpOutcome): CryptopayOutcome {
  if (res.kind === 'not_sent') return { kind: 'not_sent', reason: res.reason };
  if (res.kind === 'no_answer') return { kind: 'unknown', bankError: false, reason: res.reason };
  const json = jsonObject(res.text);
  if (res.status === 401 || res.status === 403) return { kind: 'token_refused', status: res.status };
  if (!json) return { kind: 'unknown', bankError: false, reason: `HTTP ${res.status}, not JSON` };
  if (res.status >= 200 && res.status < 300) {
    const s3 = json.secure3D as Record<string, unknown> | undefined | null;
    const id = str(json.id);
    if (s3 && typeof s3 === 'object') {
      const paReq = str(s3.paReq);
      const md = str(s3.md);
      const action = str(s3.action);
      let actionOk = false;
      try {
        // The customer's browser is sent there: https only (plain http only to this machine, for the sandbox bank).
        const u = new URL(action);
        actionOk = u.protocol === 'https:' || (u.protocol === 'http:' && LOOPBACK.has(u.hostname));
      } catch {
        actionOk = false;
      }
      if (id && paReq && md && actionOk) return { kind: '3ds', id, paReq, md, action };
      return { kind: 'unknown', bankError: false, reason: '3-D Secure answer without its fields' };
    }
    const code = bankCode(json.code);
    if (code !== undefined && code !== 0) {
      // Some gateways answer errors with 200.
      if (NOT_FINAL_CODES.has(code)) return { kind: 'not_final', bankCode: code };
      return { kind: 'refused', bankCode: code, message: str(json.message) };
    }
    if (id) return { kind: 'paid', id, reference: str(json.reference) };
    return { kind: 'unknown', bankError: false, reason: `HTTP ${res.status} without a payment id` };
  }
  if (res.status >= 400 && res.status < 500) {
    const code = bankCode(json.code);
    if (code !== undefined) {
      if (NOT_FINAL_CODES.has(code)) return { kind: 'not_final', bankCode: code };
      return { kind: 'refused', bankCode: code, message: str(json.message) };
    }
  }
  // 502/503/504 usually come from a gateway in front of the bank: the request may still have reached it.
  const bankError = res.status === 500 && bankCode(json.code) !== undefined;
  return { kind: 'unknown', bankError, reason: `HTTP ${res.status}` };
}

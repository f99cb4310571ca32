/**
 * @module `POST /payment/cryptopay`: sent once, never retried by this client, and its answer classified. An answer
 * that leaves the outcome open (none, garbage, a refusal, a not-final code) is for the status call to settle.
 */
import { bankCall, jsonObject, type HttpOutcome } from './http.js';
import { type BankLine, remaining, text } from './bank-line.js';

/** Codes after which the payment is not final and only the status call may tell (docs/money-rules.md). */
export const NOT_FINAL_CODES: ReadonlySet<number> = new Set([454, 459]);
/** The 3-D Secure page the customer is sent to: https only (plain http only on this machine, for the sandbox). */
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

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

function bankCode(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN;
  return Number.isInteger(n) ? n : undefined;
}

/**
 * Calls `cryptopay` once with a payment token.
 *
 * @example
 * ```ts
 * const outcome = await sendCryptopay(line, body, token, deadline);
 * if (outcome.kind === 'unknown') settleWithStatus();
 * ```
 */
export async function sendCryptopay(
  line: BankLine,
  body: Record<string, unknown>,
  token: string,
  deadline: number,
): Promise<CryptopayOutcome> {
  const res = await bankCall(line, 'cryptopay', `${line.credentials.api}/payment/cryptopay`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
    timeoutMs: remaining(deadline, line.timeouts.cryptopayMs),
  });
  return classifyCryptopay(res);
}

/** Classifies a `cryptopay` answer. Exported for tests. */
export function classifyCryptopay(res: HttpOutcome): CryptopayOutcome {
  if (res.kind === 'not_sent') return { kind: 'not_sent', reason: res.reason };
  if (res.kind === 'no_answer') return { kind: 'unknown', bankError: false, reason: res.reason };
  const json = jsonObject(res.text);
  if (res.status === 401 || res.status === 403) return { kind: 'token_refused', status: res.status };
  if (!json) return { kind: 'unknown', bankError: false, reason: `HTTP ${res.status}, not JSON` };
  if (res.status >= 200 && res.status < 300) {
    const s3 = json.secure3D as Record<string, unknown> | undefined | null;
    const id = text(json.id);
    if (s3 && typeof s3 === 'object') {
      const paReq = text(s3.paReq);
      const md = text(s3.md);
      const action = text(s3.action);
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
      return { kind: 'refused', bankCode: code, message: text(json.message) };
    }
    if (id) return { kind: 'paid', id, reference: text(json.reference) };
    return { kind: 'unknown', bankError: false, reason: `HTTP ${res.status} without a payment id` };
  }
  if (res.status >= 400 && res.status < 500) {
    const code = bankCode(json.code);
    if (code !== undefined) {
      if (NOT_FINAL_CODES.has(code)) return { kind: 'not_final', bankCode: code };
      return { kind: 'refused', bankCode: code, message: text(json.message) };
    }
  }
  // 502/503/504 usually come from a gateway in front of the bank: the request may still have reached it.
  const bankError = res.status === 500 && bankCode(json.code) !== undefined;
  return { kind: 'unknown', bankError, reason: `HTTP ${res.status}` };
}

/**
 * @module The bank's operations on a payment, by its bank id: `POST {api}/operation/{id}/charge` (capture of an AUTH,
 * all or part), `…/cancel` (void of an AUTH) and `…/refund` (of a CHARGE, all or part, with the merchant's own
 * `externalID`). Each is sent once with a fresh terminal token and never retried here: an answer that does not say
 * what happened is for the status call (docs/money-rules.md).
 */
import { type BankLine, remaining, text } from './bank-line.js';
import { bankCall, jsonObject, type HttpOutcome } from './http.js';
import type { TokenResult } from './tokens.js';

export type OperationKind = 'charge' | 'cancel' | 'refund';

export interface OperationRequest {
  kind: OperationKind;
  /** The bank's payment id (the status call's `transaction.id`). */
  id: string;
  /** Major units; none: all (charge) or all that is left (refund). Never sent with a cancel. */
  amount?: number;
  /** The merchant's own id of a refund. */
  externalId?: string;
}

export type OperationOutcome =
  | { kind: 'done' }
  /** The bank refused it with a code: nothing was done. */
  | { kind: 'refused'; bankCode: number | undefined; message: string }
  /** Our token was refused, or the request never left: nothing was done. */
  | { kind: 'not_sent'; reason: string }
  /** No clear answer: the status call must settle it. `bankError`: the bank's own 500 with a code. */
  | { kind: 'unknown'; bankError: boolean; reason: string };

function bankCode(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : Number.NaN;
  return Number.isInteger(n) ? n : undefined;
}

/**
 * Reads an operation's answer. Success is HTTP 200 (the bank documents no body); a refusal is a 4xx with a code.
 *
 * @example
 * ```ts
 * classifyOperation({ kind: 'answer', status: 400, headers: {}, text: '{"code":1040,"message":"…"}' }); // refused
 * ```
 */
export function classifyOperation(res: HttpOutcome): OperationOutcome {
  if (res.kind === 'not_sent') return { kind: 'not_sent', reason: res.reason };
  if (res.kind === 'no_answer') return { kind: 'unknown', bankError: false, reason: res.reason };
  if (res.status === 401 || res.status === 403)
    return { kind: 'not_sent', reason: `token refused (HTTP ${res.status})` };
  const json = jsonObject(res.text);
  const code = bankCode(json?.code);
  if (res.status === 200) {
    // A 200 that carries a non-zero code is a refusal in the bank's usual shape; one that is not JSON at all (an HTML
    // page from something in front of the bank) says nothing.
    if (json && code !== undefined && code !== 0)
      return { kind: 'refused', bankCode: code, message: text(json.message) };
    if (json || res.text.trim() === '') return { kind: 'done' };
    return { kind: 'unknown', bankError: false, reason: 'HTTP 200, not JSON' };
  }
  if (res.status >= 400 && res.status < 500 && json && code !== undefined) {
    return { kind: 'refused', bankCode: code, message: text(json.message) };
  }
  return { kind: 'unknown', bankError: res.status === 500 && code !== undefined, reason: `HTTP ${res.status}` };
}

/**
 * Sends one operation with a fresh terminal token.
 *
 * @example
 * ```ts
 * const outcome = await sendOperation(line, () => tokens.getTerminalToken(deadline), { kind: 'refund', id, amount: 500, externalId }, deadline);
 * ```
 */
export async function sendOperation(
  line: BankLine,
  terminalToken: () => Promise<TokenResult>,
  request: OperationRequest,
  deadline: number,
): Promise<OperationOutcome> {
  const token = await terminalToken();
  if (!token.ok) return { kind: 'not_sent', reason: token.reason };
  const body: Record<string, unknown> = {};
  if (request.kind !== 'cancel' && request.amount !== undefined) body.amount = request.amount;
  if (request.kind === 'refund' && request.externalId !== undefined) body.externalID = request.externalId;
  const url = `${line.credentials.api}/operation/${encodeURIComponent(request.id)}/${request.kind}`;
  const res = await bankCall(line, request.kind, url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${token.token}` },
    body: JSON.stringify(body),
    timeoutMs: remaining(deadline, line.timeouts.operationMs),
  });
  return classifyOperation(res);
}

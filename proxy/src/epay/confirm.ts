/** @module `POST /payment/confirm`: sends the 3-D Secure result with a payment token; its answer is read, never followed. */
import { bankCall } from './http.js';
import { type BankLine, remaining } from './bank-line.js';
import { readConfirmAnswer, type ConfirmResult } from './confirm-result.js';

/**
 * @example
 * ```ts
 * const r = await sendConfirm(line, { id, paRes, md }, token, deadline);
 * ```
 */
export async function sendConfirm(
  line: BankLine,
  input: { id: string; paRes: string; md: string },
  token: string,
  deadline: number,
): Promise<ConfirmResult> {
  const res = await bankCall(line, 'confirm', `${line.credentials.api}/payment/confirm`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/html',
      authorization: `Bearer ${token}`,
    },
    body: JSON.stringify({ ID: input.id, PaRes: input.paRes, MD: input.md }),
    timeoutMs: remaining(deadline, line.timeouts.confirmMs),
  });
  return readConfirmAnswer(res);
}

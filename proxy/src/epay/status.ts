/**
 * @module The status call, `GET /check-status/payment/transaction/{invoiceId}`, with a fresh terminal token each
 * time. Only reads: "not found" is the bank's code 102 and nothing else (docs/money-rules.md).
 */
import { bankCall, jsonObject } from './http.js';
import { type BankLine, remaining, text } from './bank-line.js';
import type { TokenResult } from './tokens.js';

/** What the status call is asked about: an invoice, and (for a payment) the amount and currency its record must have. */
export interface StatusQuery {
  invoiceId: string;
  amount?: number;
  currency?: string;
}

/**
 * The status call's `resultCode` for a found transaction, and for "invoice not found". Only 102 means the bank holds
 * no payment for the invoice: 104/106/109 ("terminal …") and every other code say nothing about the payment, whatever
 * their message, and a bare 404 may come from a gateway.
 */
export const STATUS_OK = '100';
export const STATUS_NOT_FOUND = '102';

export type StatusOutcome =
  | {
      kind: 'found';
      statusName: string;
      id: string;
      reference: string;
      reasonCode: string;
      message: string;
      /** The record's amount and currency, when the bank gives them. */
      amount?: number;
      currency?: string;
    }
  | { kind: 'not_found' }
  | { kind: 'no_answer'; reason: string };

/**
 * Asks the bank what it holds for the invoice. `scope`'s amount and currency only check that a found transaction is
 * this payment's.
 *
 * @example
 * ```ts
 * const s = await checkStatus(line, () => tokens.getTerminalToken(deadline), scope, deadline);
 * ```
 */
export async function checkStatus(
  line: BankLine,
  terminalToken: () => Promise<TokenResult>,
  scope: StatusQuery,
  deadline: number,
): Promise<StatusOutcome> {
  const tok = await terminalToken();
  if (!tok.ok) return { kind: 'no_answer', reason: tok.reason };
  const res = await bankCall(
    line,
    'status',
    `${line.credentials.api}/check-status/payment/transaction/${encodeURIComponent(scope.invoiceId)}`,
    {
      method: 'GET',
      headers: { accept: 'application/json', authorization: `Bearer ${tok.token}` },
      timeoutMs: remaining(deadline, line.timeouts.statusMs),
    },
  );
  if (res.kind !== 'answer') return { kind: 'no_answer', reason: res.reason };
  const json = jsonObject(res.text);
  if (!json) return { kind: 'no_answer', reason: `status: HTTP ${res.status}, not JSON` };
  // A 5xx tells nothing, whatever its body says. "Invoice not found" is the bank's code 102 with any other HTTP status
  // (it may come with 400).
  if (res.status >= 500) return { kind: 'no_answer', reason: `status: HTTP ${res.status}` };
  const resultCode = text(json.resultCode);
  if (resultCode === STATUS_NOT_FOUND) return { kind: 'not_found' };
  const tx = json.transaction as Record<string, unknown> | undefined | null;
  if (tx && typeof tx === 'object' && typeof tx.statusName === 'string') {
    if (text(tx.invoiceID ?? tx.invoiceId) !== '' && text(tx.invoiceID ?? tx.invoiceId) !== scope.invoiceId) {
      return { kind: 'no_answer', reason: 'status: answer for another invoice' };
    }
    // A transaction for another amount or currency is not this payment's.
    if (scope.amount !== undefined && tx.amount !== undefined && Number(tx.amount) !== scope.amount) {
      return { kind: 'no_answer', reason: 'status: answer for another amount' };
    }
    if (
      scope.currency !== undefined &&
      typeof tx.currency === 'string' &&
      tx.currency !== '' &&
      tx.currency !== scope.currency
    ) {
      return { kind: 'no_answer', reason: 'status: answer for another currency' };
    }
    return {
      kind: 'found',
      statusName: tx.statusName.toUpperCase(),
      id: text(tx.id),
      reference: text(tx.reference),
      reasonCode: text(tx.reasonCode),
      message: text(tx.reason ?? tx.reasonMessage ?? json.resultMessage),
      ...(Number.isFinite(Number(tx.amount)) && tx.amount !== undefined && tx.amount !== null
        ? { amount: Number(tx.amount) }
        : {}),
      ...(typeof tx.currency === 'string' && tx.currency !== '' ? { currency: tx.currency } : {}),
    };
  }
  // Any other answer without a transaction (a refused token, "terminal not found", an internal error) tells nothing.
  return { kind: 'no_answer', reason: `status: HTTP ${res.status}${resultCode ? ` resultCode ${resultCode}` : ''}` };
}

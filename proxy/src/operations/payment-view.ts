/**
 * @module The `Payment` the operations API answers with, read from the bank's status record: its `state` in the
 * contract's words and the bank's own `bankStatus` (docs/operations-api.md).
 */
import type { StatusOutcome } from '../epay/client.js';

export type PaymentState = 'pending' | 'authorized' | 'charged' | 'cancelled' | 'refunded' | 'declined' | 'failed';

export interface PaymentView {
  invoiceId: string;
  /** The bank's payment id. */
  id: string;
  amount: number | null;
  currency: string | null;
  state: PaymentState;
  /** The bank's `statusName`, as the bank wrote it. */
  bankStatus: string;
  reference: string;
}

const STATES: ReadonlyMap<string, PaymentState> = new Map([
  ['AUTH', 'authorized'],
  ['CHARGE', 'charged'],
  ['CANCEL', 'cancelled'],
  ['CANCEL_OLD', 'cancelled'],
  ['REFUND', 'refunded'],
  ['REJECT', 'declined'],
  ['FAILED', 'failed'],
  ['3D', 'failed'],
]);

/**
 * The contract's state of a bank status name: any partial-refund name is `refunded`, NEW and any name the proxy
 * does not know are `pending`.
 *
 * @example
 * ```ts
 * stateOf('AUTH'); // 'authorized'
 * stateOf('PARTIAL_REFUND'); // 'refunded'
 * ```
 */
export function stateOf(statusName: string): PaymentState {
  const name = statusName.toUpperCase();
  return STATES.get(name) ?? (name.includes('REFUND') ? 'refunded' : 'pending');
}

/** Whether the bank's name says the payment is refunded in part (something is left to refund). */
export function isPartlyRefunded(statusName: string): boolean {
  const name = statusName.toUpperCase();
  return name !== 'REFUND' && name.includes('REFUND');
}

/**
 * @example
 * ```ts
 * paymentView('000123456', found); // { invoiceId, id, amount, currency, state: 'charged', bankStatus: 'CHARGE', … }
 * ```
 */
export function paymentView(invoiceId: string, found: Extract<StatusOutcome, { kind: 'found' }>): PaymentView {
  return {
    invoiceId,
    id: found.id,
    amount: found.amount ?? null,
    currency: found.currency ?? null,
    state: stateOf(found.statusName),
    bankStatus: found.statusName,
    reference: found.reference,
  };
}

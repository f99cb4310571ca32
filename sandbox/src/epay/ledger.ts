/** @module The sandbox bank's book of transactions. */
import type { Charge, Ledger } from './types.js';

/** Statuses under which money is held or taken from the customer (a partial refund leaves some taken). */
const PAID_STATUSES: ReadonlySet<Charge['statusName']> = new Set(['AUTH', 'CHARGE', 'PARTIAL_REFUND']);

/** Statuses that leave an invoice free to be paid again: refused, declined, or failed at 3-D Secure. */
const FINAL_FAILURE_STATUSES: ReadonlySet<Charge['statusName']> = new Set(['FAILED', 'REJECT', '3D']);

/**
 * An empty ledger. `transactions` is a live array, so a test may read it at any time; each transaction carries its
 * `operations`, `chargedAmount` and `refundedAmount`, in `toJSON()` (`/_sandbox/ledger`) too.
 *
 * @example
 * ```ts
 * const ledger = createLedger();
 * ledger.paid('000000123456'); // []
 * ```
 */
export function createLedger(): Ledger & { toJSON(): { transactions: Charge[] } } {
  const transactions: Charge[] = [];
  return {
    transactions,
    byInvoice: (invoiceId) => transactions.filter((t) => t.invoiceId === invoiceId),
    paid: (invoiceId) => transactions.filter((t) => t.invoiceId === invoiceId && PAID_STATUSES.has(t.statusName)),
    reset: () => {
      transactions.length = 0;
    },
    toJSON: () => ({ transactions }),
  };
}

/**
 * Whether an invoice already has a transaction that blocks paying it again: anything but FAILED,
 * REJECT or 3D. The bank also keys uniqueness on the last six digits of invoices longer than six digits
 * (docs/order-token.md), so `000123456` blocks `999123456`.
 *
 * @example
 * ```ts
 * if (invoiceTaken(ledger, '100000123456')) refuse();
 * ```
 */
export function invoiceTaken(ledger: Ledger, invoiceId: string): boolean {
  const tail = invoiceId.slice(-6);
  return ledger.transactions.some(
    (t) => !FINAL_FAILURE_STATUSES.has(t.statusName) && (t.invoiceId === invoiceId || t.invoiceId.slice(-6) === tail),
  );
}

/**
 * The invoice's most recent transaction, which the status call reports.
 *
 * @example
 * ```ts
 * latestCharge(ledger, '000000123456')?.statusName; // 'AUTH'
 * ```
 */
export function latestCharge(ledger: Ledger, invoiceId: string): Charge | undefined {
  const mine = ledger.byInvoice(invoiceId);
  return mine[mine.length - 1];
}

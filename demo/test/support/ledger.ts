/** @module The sandbox bank's ledger (`GET /_sandbox/ledger`), what the end-to-end tests check a payment against. */

/** One transaction as the sandbox bank reports it. */
export interface LedgerEntry {
  id: string;
  invoiceId: string;
  amount: number;
  currency: string;
  reference: string;
  statusName: string;
  reasonCode: string;
  cardMask: string;
  /** The shop's operations on it, oldest first (a cancel's amount is the payment's). */
  operations?: Array<{ kind: 'charge' | 'cancel' | 'refund'; amount: number; externalId?: string; at: string }>;
  /** 0 while AUTH. */
  chargedAmount?: number;
  refundedAmount?: number;
}

async function ledger(bankUrl: string): Promise<LedgerEntry[]> {
  const res = await fetch(`${bankUrl}/_sandbox/ledger`);
  if (!res.ok) throw new Error(`The sandbox bank's ledger answered HTTP ${res.status}`);
  return ((await res.json()) as { transactions: LedgerEntry[] }).transactions;
}

/**
 * The transactions of one invoice, oldest first.
 *
 * @example
 * expect(await ledgerOf(bankUrl, invoiceId)).toEqual([expect.objectContaining({ statusName: 'AUTH' })]);
 */
export async function ledgerOf(bankUrl: string, invoiceId: string): Promise<LedgerEntry[]> {
  return (await ledger(bankUrl)).filter((t) => t.invoiceId === invoiceId);
}

/**
 * The transactions that carry a bank reference (a page shows the reference, not the invoice).
 *
 * @example
 * const [charge] = await ledgerByReference(bankUrl, '123456789012');
 */
export async function ledgerByReference(bankUrl: string, reference: string): Promise<LedgerEntry[]> {
  return (await ledger(bankUrl)).filter((t) => t.reference === reference);
}

/** @module The sandbox bank's ledger, as the page shows it: what the bank actually recorded (card masks only). */

interface Charge {
  invoiceId: string;
  amount: number;
  currency: string;
  statusName: string;
  reasonCode: string;
  cardMask: string;
  reference: string;
}

function cell(text: string, className?: string): HTMLTableCellElement {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

/**
 * Reloads the ledger into a `<tbody>`, newest first.
 *
 * @example
 * await refreshLedger(document.querySelector('#ledger')!);
 */
export async function refreshLedger(body: HTMLTableSectionElement): Promise<void> {
  let transactions: Charge[];
  try {
    const res = await fetch('/demo-api/ledger', { cache: 'no-store' });
    transactions = ((await res.json()) as { transactions: Charge[] }).transactions;
  } catch {
    return;
  }
  if (transactions.length === 0) {
    const tr = document.createElement('tr');
    const td = cell('Nothing yet: the bank has recorded no payment.', 'empty');
    td.colSpan = 6;
    tr.append(td);
    body.replaceChildren(tr);
    return;
  }
  body.replaceChildren(
    ...transactions
      .slice()
      .reverse()
      .map((t) => {
        const tr = document.createElement('tr');
        tr.dataset['invoice'] = t.invoiceId;
        tr.append(
          cell(t.invoiceId),
          cell(`${t.amount} ${t.currency}`),
          cell(t.statusName),
          cell(t.reasonCode || '—'),
          cell(t.cardMask),
          cell(t.reference || '—'),
        );
        return tr;
      }),
  );
}

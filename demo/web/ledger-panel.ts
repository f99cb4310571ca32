/**
 * @module The sandbox bank's ledger, as the page shows it: what the bank actually recorded (card masks only), and the
 * merchant's side of each payment: capture or void a held one (AUTH), refund a charged one. The page asks the shop's
 * backend (`/shop/operations/…`), which asks the proxy's operations API with its own key.
 */

interface Operation {
  kind: 'charge' | 'cancel' | 'refund';
  amount: number;
  externalId?: string;
  at: string;
}

interface Charge {
  invoiceId: string;
  amount: number;
  currency: string;
  statusName: string;
  reasonCode: string;
  cardMask: string;
  reference: string;
  operations?: Operation[];
  chargedAmount?: number;
  refundedAmount?: number;
}

type OperationKind = 'charge' | 'cancel' | 'refund';

/** The page's words for the proxy's operations. */
const ACTION_NAMES: Readonly<Record<OperationKind, string>> = { charge: 'Capture', cancel: 'Void', refund: 'Refund' };
const AMOUNT_RE = /^\d{1,12}(?:\.\d{1,2})?$/;
const COLUMNS = 8;

/** The last answer per invoice, shown on its row across refreshes. */
const results = new Map<string, { text: string; ok: boolean }>();

function cell(text: string, className?: string): HTMLTableCellElement {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function announce(text: string, ok: boolean): void {
  const live = document.querySelector<HTMLElement>('#operation-result');
  if (!live) return;
  live.textContent = text;
  live.className = `op-result ${ok ? 'ok' : 'fail'}`;
}

/** What the proxy's answer says, in one line: the new state, or the error code and message. */
function describeAnswer(kind: OperationKind, invoiceId: string, status: number, answer: unknown): string {
  const a = answer as {
    payment?: { state?: string; bankStatus?: string };
    refund?: { amount?: number | null };
    error?: { code?: string; message?: string; state?: string };
  };
  const name = ACTION_NAMES[kind];
  if (status >= 200 && status < 300 && a.payment) {
    const refunded = kind === 'refund' && a.refund ? ` (${a.refund.amount ?? 'all that was left'})` : '';
    return `${name} of ${invoiceId}${refunded}: ok, ${a.payment.bankStatus ?? ''} (${a.payment.state ?? ''})`;
  }
  const code = a.error?.code ?? `HTTP ${status}`;
  const state = a.error?.state ? `, the payment is ${a.error.state}` : '';
  return `${name} of ${invoiceId} failed: ${code}${a.error?.message ? ` (${a.error.message}${state})` : state}`;
}

async function runOperation(
  body: HTMLTableSectionElement,
  invoiceId: string,
  kind: OperationKind,
  amount?: string,
): Promise<void> {
  let payload: { amount?: number } = {};
  if (kind === 'refund' && amount !== undefined && amount.trim() !== '') {
    if (!AMOUNT_RE.test(amount.trim())) {
      results.set(invoiceId, {
        text: `Refund of ${invoiceId}: the amount must be a number like 1000 or 10.50`,
        ok: false,
      });
      announce(results.get(invoiceId)!.text, false);
      await refreshLedger(body);
      return;
    }
    payload = { amount: Number(amount.trim()) };
  }
  let text: string;
  let ok = false;
  try {
    const res = await fetch(`/shop/operations/${encodeURIComponent(invoiceId)}/${kind}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(payload),
      cache: 'no-store',
    });
    const answer = (await res.json().catch(() => ({}))) as unknown;
    ok = res.ok;
    text = describeAnswer(kind, invoiceId, res.status, answer);
  } catch (err) {
    text = `${ACTION_NAMES[kind]} of ${invoiceId} failed: ${err instanceof Error ? err.message : String(err)}`;
  }
  results.set(invoiceId, { text, ok });
  announce(text, ok);
  await refreshLedger(body);
}

function actionButton(
  body: HTMLTableSectionElement,
  t: Charge,
  kind: OperationKind,
  amountOf?: () => string,
): HTMLButtonElement {
  const button = document.createElement('button');
  button.type = 'button';
  button.className = `op op-${kind}`;
  button.textContent = ACTION_NAMES[kind];
  button.setAttribute('aria-label', `${ACTION_NAMES[kind]} order ${t.invoiceId}`);
  button.addEventListener('click', () => {
    for (const b of button.parentElement?.querySelectorAll('button') ?? []) (b as HTMLButtonElement).disabled = true;
    void runOperation(body, t.invoiceId, kind, amountOf?.());
  });
  return button;
}

/** The row's buttons: Capture and Void for a held payment, Refund with an amount for a charged one. */
function actions(body: HTMLTableSectionElement, t: Charge): HTMLTableCellElement {
  const td = cell('', 'actions');
  if (t.statusName === 'AUTH') {
    td.append(actionButton(body, t, 'charge'), actionButton(body, t, 'cancel'));
  } else if (t.statusName === 'CHARGE' || t.statusName === 'PARTIAL_REFUND') {
    const input = document.createElement('input');
    input.type = 'text';
    input.inputMode = 'decimal';
    input.className = 'refund-amount';
    input.size = 7;
    input.value = String(Math.round(((t.chargedAmount || t.amount) - (t.refundedAmount ?? 0)) * 100) / 100);
    input.setAttribute('aria-label', `Refund amount for order ${t.invoiceId}, ${t.currency}`);
    // A typed amount is the person's: a reload the page starts by itself never replaces it (refreshLedgerIfStale).
    input.addEventListener('input', () => {
      input.dataset['edited'] = 'true';
    });
    td.append(
      input,
      actionButton(body, t, 'refund', () => input.value),
    );
  }
  const result = results.get(t.invoiceId);
  if (result) {
    const out = document.createElement('span');
    out.className = `op-result ${result.ok ? 'ok' : 'fail'}`;
    out.dataset['testid'] = 'operation-result';
    out.textContent = result.text;
    td.append(out);
  }
  return td;
}

function operationsText(t: Charge): string {
  const ops = t.operations ?? [];
  return ops.length === 0 ? '—' : ops.map((op) => `${op.kind} ${op.amount}`).join(', ');
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
    td.colSpan = COLUMNS;
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
        tr.dataset['status'] = t.statusName;
        tr.append(
          cell(t.invoiceId),
          cell(`${t.amount} ${t.currency}`),
          cell(t.statusName, 'status'),
          cell(t.reasonCode || '—'),
          cell(t.cardMask),
          cell(t.reference || '—'),
          cell(operationsText(t), 'operations'),
          actions(body, t),
        );
        return tr;
      }),
  );
}

/** A person is at work in the ledger: a refund amount typed, a control focused, or an operation running. */
function busy(body: HTMLTableSectionElement): boolean {
  return (
    body.contains(document.activeElement) ||
    body.querySelector('input.refund-amount[data-edited], button.op:disabled') !== null
  );
}

/**
 * Reloads the ledger when a payment the shop's backend just heard of has no row, or a row with another status than
 * the bank reported (a 3-D Secure payment the bank settled after this page loaded, say); never while a person is at
 * work in it.
 *
 * @example
 * await refreshLedgerIfStale(tbody, [{ invoiceId: '123456789012', bankStatus: 'AUTH' }]);
 */
export async function refreshLedgerIfStale(
  body: HTMLTableSectionElement,
  reported: ReadonlyArray<{ invoiceId: string; bankStatus: string }>,
): Promise<void> {
  // Rows are newest first: the first row of an invoice is its latest payment.
  const stale = reported.some(
    (r) =>
      body.querySelector(`tr[data-invoice="${CSS.escape(r.invoiceId)}"]`)?.getAttribute('data-status') !== r.bankStatus,
  );
  if (stale && !busy(body)) await refreshLedger(body);
}

/**
 * Shows how the sandbox bank's terminal settles a paid payment (DEMO_SINGLE_STAGE, fixed for the run).
 *
 * @example
 * await showTerminalMode(document.querySelector('#terminal-mode')!);
 */
export async function showTerminalMode(element: HTMLElement): Promise<void> {
  try {
    const res = await fetch('/demo-api/terminal', { cache: 'no-store' });
    const { singleStage } = (await res.json()) as { singleStage: boolean };
    element.dataset['mode'] = singleStage ? 'single-stage' : 'two-stage';
    element.textContent = singleStage
      ? 'Terminal: one-stage. A paid payment is charged at once (CHARGE): refund it here.'
      : 'Terminal: two-stage. A paid payment is held (AUTH): capture or void it here, then refund a captured one. ' +
        'Start the demo with DEMO_SINGLE_STAGE=1 for a one-stage terminal.';
  } catch {
    element.textContent = '';
  }
}

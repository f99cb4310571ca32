/**
 * @module The events the shop's backend received from the proxy, as the page shows them: each signed event the backend
 * verified (`verifyWebhook`) and kept once per id, and a count of deliveries it refused. The page polls
 * `GET /shop/events`: the events reach the backend whether or not any page is open, so a tab closed on the bank's
 * 3-D Secure page still ends in an event here.
 */

interface WebhookPayment {
  invoiceId: string;
  amount: number;
  currency: string;
  state: string;
  bankStatus: string;
}

interface ReceivedEvent {
  event: {
    id: string;
    type: string;
    created: number;
    data: { payment: WebhookPayment; source: string; refund?: { amount: number; externalId: string } };
  };
  receivedAt: number;
}

interface ShopEventsView {
  version: number;
  events: ReceivedEvent[];
  duplicates: number;
  rejected: { count: number; last?: { code: string; at: number } };
}

/** Often enough that an event shows within a second of the backend receiving it; the answer is small. */
const POLL_MS = 1_000;
const COLUMNS = 7;
/** An event id is `evt_` and 32 hex characters; the page shows its start, the whole id is in the cell's title. */
const SHORT_ID_CHARS = 12;

function cell(text: string, className?: string): HTMLTableCellElement {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function row(r: ReceivedEvent): HTMLTableRowElement {
  const { event } = r;
  const p = event.data.payment;
  const tr = document.createElement('tr');
  tr.dataset['eventId'] = event.id;
  tr.dataset['type'] = event.type;
  tr.dataset['invoice'] = p.invoiceId;
  tr.dataset['source'] = event.data.source;
  const time = cell(new Date(event.created * 1000).toLocaleTimeString(), 'time');
  time.title = `learned by the proxy ${new Date(event.created * 1000).toLocaleString()}, received by the shop ${new Date(r.receivedAt).toLocaleString()}`;
  const refund = event.data.refund ? ` (refund ${event.data.refund.amount})` : '';
  const type = cell(`${event.type}${refund}`, `type ${event.type.replace('.', '-')}`);
  const id = cell(`${event.id.slice(0, SHORT_ID_CHARS)}…`, 'id');
  id.title = event.id;
  tr.append(
    time,
    type,
    cell(p.invoiceId, 'invoice'),
    cell(`${p.amount} ${p.currency}`, 'amount'),
    cell(`${p.state} (${p.bankStatus || '—'})`, 'state'),
    cell(event.data.source, 'source'),
    id,
  );
  return tr;
}

function summary(view: ShopEventsView): string {
  const parts = [`${view.events.length} event${view.events.length === 1 ? '' : 's'} kept`];
  parts.push(`${view.duplicates} repeated deliver${view.duplicates === 1 ? 'y' : 'ies'} ignored`);
  const rejected = `${view.rejected.count} refused (failed verification)`;
  parts.push(view.rejected.last ? `${rejected}, last: ${view.rejected.last.code}` : rejected);
  return parts.join(' · ');
}

function render(body: HTMLTableSectionElement, counts: HTMLElement, view: ShopEventsView): void {
  counts.textContent = summary(view);
  counts.dataset['rejected'] = String(view.rejected.count);
  if (view.events.length === 0) {
    const tr = document.createElement('tr');
    const td = cell('Nothing yet: pay on the left, or capture, void or refund in the ledger.', 'empty');
    td.colSpan = COLUMNS;
    tr.append(td);
    body.replaceChildren(tr);
    return;
  }
  body.replaceChildren(...view.events.map(row));
}

/**
 * Shows the backend's events in a `<tbody>` and its counts in `counts`, and keeps them current; `onNewPayments` gets
 * the payments of the events that arrive while the page is open.
 *
 * @example
 * watchShopEvents(document.querySelector('#shop-events')!, document.querySelector('#shop-events-counts')!);
 */
export function watchShopEvents(
  body: HTMLTableSectionElement,
  counts: HTMLElement,
  onNewPayments?: (payments: Array<{ invoiceId: string; bankStatus: string }>) => void,
): void {
  let shown = -1;
  let known: Set<string> | undefined;
  const poll = async () => {
    try {
      const res = await fetch('/shop/events', { cache: 'no-store' });
      const view = (await res.json()) as ShopEventsView;
      // Redrawn only on a change: a person reading a row (or selecting its id) keeps it.
      if (view.version !== shown) {
        shown = view.version;
        render(body, counts, view);
        // Events that arrived since the last look (none on the first: the page loaded everything then).
        const arrived = known ? view.events.filter((r) => !known!.has(r.event.id)) : [];
        known = new Set(view.events.map((r) => r.event.id));
        if (arrived.length > 0) onNewPayments?.(arrived.map((r) => r.event.data.payment));
      }
    } catch {
      // The demo is stopping, or a moment's hiccup: the next poll tries again.
    }
    setTimeout(() => void poll(), POLL_MS);
  };
  void poll();
}

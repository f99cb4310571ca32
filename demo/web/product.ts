/**
 * @module The demo's product page: "Buy now" with delivery and a coupon chosen on the sheet. Each change the customer
 * makes there reaches the shop's backend (`POST /shop/express/reprice`), which re-prices and re-signs the order; the
 * element hands the new order to the sheet, and pays the latest one.
 */
import '@epay-applepay/widget';
import type { EpayApplePayButton } from '@epay-applepay/widget';
import { money } from './basket.js';
import { eventLog } from './event-log.js';
import { detailText, listenForOutcomes } from './outcomes.js';
import { refreshLedger, showTerminalMode } from './ledger-panel.js';

/** A line of the order, as the backend priced it. */
interface PriceLine {
  label: string;
  amount: number;
}

/** The backend's price of the order, beside the order token it signed. */
interface ExpressPrice {
  lineItems: PriceLine[];
  amount: number;
  currency: string;
  description: string;
}

/** What `POST /shop/express/reprice` answers: the element reads `order` and `errors`, the page the rest. */
interface RepriceAnswer {
  order: string;
  errors?: Array<{ code: string; contactField?: string; message: string }>;
  price: ExpressPrice;
  choice: { shippingMethod: string; couponCode?: string };
}

const $ = <T extends Element>(selector: string) => document.querySelector<T>(selector)!;
const button = $<EpayApplePayButton>('#buy');
const outcome = $<HTMLDivElement>('#outcome');
const ledger = $<HTMLTableSectionElement>('#ledger');
const log = eventLog($<HTMLOListElement>('#log'));

$<HTMLParagraphElement>('#mode').textContent = window.EpayDemoSimulator?.installed
  ? 'This browser has no Apple Pay, so the demo installed a simulated ApplePaySession: its sheet, drawn in this page, ' +
    'shows the order\u2019s lines, the delivery methods and a coupon field. Everything after the browser is real.'
  : 'This browser has Apple Pay, so the demo leaves it alone: open this page in a browser without Apple Pay to pay.';

window.addEventListener('epay-demo-simulator', (e) => log.add('sim', 'simulated Apple Pay', e.detail.message));

/** Shows the order's lines and total as the backend priced them. */
function showPrice(price: ExpressPrice): void {
  const rows = price.lineItems.map((line) => {
    const tr = document.createElement('tr');
    const label = document.createElement('td');
    label.textContent = line.label;
    const amount = document.createElement('td');
    amount.className = 'price';
    amount.textContent = money(line.amount, price.currency);
    tr.append(label, amount);
    return tr;
  });
  $<HTMLTableSectionElement>('#lines').replaceChildren(...rows);
  $('#total').textContent = money(price.amount, price.currency);
}

async function newOrder(reason: string): Promise<void> {
  button.disabled = true;
  try {
    const res = await fetch('/shop/express/orders', { method: 'POST', body: '{}', cache: 'no-store' });
    const body = (await res.json()) as {
      order: string;
      invoiceId: string;
      product: { name: string };
      price: ExpressPrice;
      error?: string;
    };
    if (!res.ok) throw new Error(body.error ?? `HTTP ${res.status}`);
    button.order = body.order;
    $('#product-title').textContent = body.product.name;
    $('#invoice').textContent = body.invoiceId;
    showPrice(body.price);
    button.disabled = false;
    log.add('page', `order ${body.invoiceId} signed`, `${reason}: ${body.price.description}`);
  } catch (err) {
    $('#total').textContent = '—';
    $('#invoice').textContent = '—';
    log.add('page', 'no order', err instanceof Error ? err.message : String(err), 'fail');
  }
}

/**
 * Asks the backend for the order at the customer's new choice, sending the element's current order. Resolves to what
 * the element takes (`order`, `errors`); a refusal rejects, and the element keeps the order it has.
 */
function reprice(what: string, change: Record<string, unknown>): Promise<Pick<RepriceAnswer, 'order' | 'errors'>> {
  return fetch('/shop/express/reprice', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ order: button.order, ...change }),
    cache: 'no-store',
  }).then(async (res) => {
    const answer = (await res.json()) as RepriceAnswer & { error?: string };
    if (!res.ok) {
      log.add('page', `${what}: not re-priced`, answer.error ?? `HTTP ${res.status}`, 'fail');
      throw new Error(answer.error ?? `HTTP ${res.status}`);
    }
    const { order, errors, price, choice } = answer;
    if (errors?.length) log.add('page', `${what}: refused`, errors.map((e) => e.message).join('; '), 'fail');
    else {
      showPrice(price);
      log.add(
        'page',
        `${what}: re-priced`,
        `${price.description} = ${money(price.amount, price.currency)} (delivery ${choice.shippingMethod}${
          choice.couponCode ? `, coupon ${choice.couponCode}` : ''
        })`,
      );
    }
    return errors?.length ? { order, errors } : { order };
  });
}

button.addEventListener('epay-shipping-contact', (e) => {
  log.add('event', 'epay-shipping-contact', detailText(e));
  e.detail.updateWith(reprice('address', { contact: e.detail.contact }));
});
button.addEventListener('epay-shipping-method', (e) => {
  log.add('event', 'epay-shipping-method', detailText(e));
  e.detail.updateWith(reprice('delivery', { shippingMethod: e.detail.method.identifier }));
});
button.addEventListener('epay-coupon-code', (e) => {
  log.add('event', 'epay-coupon-code', detailText(e));
  e.detail.updateWith(reprice('coupon', { couponCode: e.detail.couponCode }));
});

listenForOutcomes(button, {
  log,
  outcome,
  unavailable: $<HTMLParagraphElement>('#unavailable'),
  ledger,
  newOrder,
  paidExtra: (d) => (d.shippingMethod ? `, delivery ${d.shippingMethod}` : ''),
});

$('#clear-log').addEventListener('click', () => log.clear());
$('#refresh-ledger').addEventListener('click', () => void refreshLedger(ledger));

void Promise.all([
  newOrder('page loaded'),
  refreshLedger(ledger),
  showTerminalMode($<HTMLParagraphElement>('#terminal-mode')),
]);

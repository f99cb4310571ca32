/**
 * @module A small single-page app paying with the ES module build: pick a quantity, get a signed order from your
 * backend, and react to the element's events without a page load.
 */
import '@epay-applepay/widget'; // defines <epay-applepay-button>
import type { EpayApplePayButton } from '@epay-applepay/widget';

const app = document.querySelector<HTMLDivElement>('#app')!;
app.innerHTML = `
  <style>
    body { font: 16px/1.5 system-ui, sans-serif; max-width: 520px; margin: 40px auto; padding: 0 16px; }
    epay-applepay-button { --epay-applepay-button-width: 100%; }
  </style>
  <h1>Felt slippers</h1>
  <label>Pairs <input id="qty" type="number" min="1" max="9" value="1"></label>
  <p>Total: <strong id="total">…</strong></p>
  <p id="view" role="status"></p>`;

const qty = app.querySelector<HTMLInputElement>('#qty')!;
const view = app.querySelector<HTMLParagraphElement>('#view')!;
const button = document.createElement('epay-applepay-button') as EpayApplePayButton;
button.proxy = '/pay'; // the proxy, behind the shop's own domain
button.label = 'Demo Shop';
button.disabled = true;
app.querySelector('#total')!.parentElement!.after(button);

/** Your backend prices the basket and signs the order; the page never decides the amount. */
async function loadOrder(): Promise<void> {
  button.disabled = true;
  const res = await fetch('/shop/orders', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ items: [{ sku: 'slippers', qty: Number(qty.value) }] }),
  });
  const order = (await res.json()) as { order: string; amount: number; currency: string; error?: string };
  if (!res.ok) {
    view.textContent = `Cannot order that: ${order.error ?? res.status}`;
    return; // the button stays disabled until the quantity is valid
  }
  if (view.textContent?.startsWith('Cannot order')) view.textContent = '';
  button.order = order.order;
  app.querySelector('#total')!.textContent = `${order.amount.toFixed(2)} ${order.currency}`;
  button.disabled = false;
}

// On input, not change: `change` fires only when the field loses focus, i.e. on the press of the button itself, which
// would then be disabled under the customer's finger while the new order is signed.
let typing: ReturnType<typeof setTimeout> | undefined;
qty.addEventListener('input', () => {
  button.disabled = true;
  clearTimeout(typing);
  typing = setTimeout(() => void loadOrder(), 300);
});
button.addEventListener('epay-ready', (e) => {
  if (!e.detail.available) view.textContent = 'Apple Pay is not available in this browser.';
});
button.addEventListener('epay-success', (e) => {
  view.textContent = `Thank you! Paid, reference ${e.detail.payment.reference}.`;
  void loadOrder(); // a paid invoice cannot be paid again
});
button.addEventListener('epay-declined', (e) => (view.textContent = `Declined by the bank: ${e.detail.message}`));
button.addEventListener('epay-cancel', () => (view.textContent = 'Cancelled.'));
button.addEventListener('epay-error', (e) => (view.textContent = `Something went wrong (${e.detail.code}).`));

void loadOrder();

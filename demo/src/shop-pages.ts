/** @module The shop's own result pages, where the proxy sends the customer back after 3-D Secure (the order's links). */
import type { Charge } from '@epay-applepay/sandbox';
import type { PricedBasket } from './catalog.js';

/** Escapes text for HTML text and double-quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

const STYLE = `
body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f5f5f7;color:#1d1d1f}
main{max-width:560px;margin:48px auto;background:#fff;border-radius:14px;padding:28px 32px;box-shadow:0 2px 14px #0001}
h1{font-size:24px;margin:0 0 8px} .ok{color:#0a7c2f} .fail{color:#b3261e}
dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 18px} dt{color:#6e6e73} dd{margin:0}
.note{color:#6e6e73;font-size:14px} a.button{display:inline-block;margin-top:16px;padding:10px 18px;border-radius:8px;background:#1d1d1f;color:#fff;text-decoration:none}`;

function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Demo Shop</title><style>${STYLE}</style></head>
<body><main>${body}</main></body></html>`;
}

function money(amount: number, currency: string): string {
  return `${amount.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })} ${currency}`;
}

function bankRecord(charge: Charge | undefined): string {
  const record = charge
    ? `${escapeHtml(charge.statusName)}${charge.reasonCode ? ` (code ${escapeHtml(charge.reasonCode)})` : ''}, card ${escapeHtml(charge.cardMask)}`
    : 'no transaction';
  return `<dt>Bank's record</dt><dd data-testid="bank-record">${record}</dd>`;
}

/** What a result page shows about the order: the shop's own basket and the bank's latest record of the invoice. */
export interface ResultModel {
  invoiceId: string;
  basket: PricedBasket | undefined;
  charge: Charge | undefined;
}

/**
 * The order's `backLink`: the proxy confirmed the payment with the bank and added `invoiceId` and `reference`.
 *
 * @example
 * thanksPage({ invoiceId: '123456789012', basket, charge }, 'REF123');
 */
export function thanksPage(m: ResultModel, reference: string): string {
  return page(
    'Paid',
    `<h1 class="ok">Thank you, your order is paid</h1>
<dl>
<dt>Order</dt><dd data-testid="invoice">${escapeHtml(m.invoiceId)}</dd>
${m.basket ? `<dt>Items</dt><dd>${escapeHtml(m.basket.description)}</dd><dt>Amount</dt><dd data-testid="amount">${money(m.basket.amount, m.basket.currency)}</dd>` : ''}
<dt>Reference</dt><dd data-testid="reference">${escapeHtml(reference)}</dd>
${bankRecord(m.charge)}
</dl>
<p class="note">The proxy sent you here after the bank's 3-D Secure check. A real shop trusts the bank, not this
address: it checks the invoice with ePay's status call (here the demo reads the sandbox bank's ledger).</p>
<a class="button" href="/">Back to the shop</a>`,
  );
}

/**
 * The order's `failureBackLink`: the proxy added `invoiceId`, `code` (the bank's numeric code or the proxy's) and
 * `message`.
 *
 * @example
 * failedPage({ invoiceId, basket, charge }, '455', '3-D Secure authentication failed');
 */
export function failedPage(m: ResultModel, code: string, message: string): string {
  return page(
    'Payment failed',
    `<h1 class="fail">The payment did not go through</h1>
<dl>
<dt>Order</dt><dd data-testid="invoice">${escapeHtml(m.invoiceId)}</dd>
${m.basket ? `<dt>Amount</dt><dd data-testid="amount">${money(m.basket.amount, m.basket.currency)}</dd>` : ''}
<dt>Reason</dt><dd data-testid="reason">${escapeHtml(message)} (${escapeHtml(code)})</dd>
${bankRecord(m.charge)}
</dl>
<p class="note">Nothing was charged. The customer can go back and pay again, with another card.</p>
<a class="button" href="/">Back to the shop</a>`,
  );
}

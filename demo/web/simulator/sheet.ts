/**
 * @module The simulated payment sheet: an overlay in the page, clearly labelled as a simulation, shaped like Safari's
 * (merchant, card, delivery address and method, coupon, the order's lines, total, pay, cancel). It only draws and
 * reports clicks; the session (the shared fake, through wallet.ts) decides.
 */
import type { WalletAddress, WalletCard } from './config.js';

/** What the sheet shows of the payment request. */
export interface SheetRequest {
  total: { label: string; amount: string };
  currencyCode: string;
  shippingType?: string;
}

/** What the sheet shows now: the request's, then each update the page completed (the session's state). */
export interface SheetState {
  total: { label: string; amount: string };
  lineItems: ReadonlyArray<{ label: string; amount: string }>;
  shippingMethods: ReadonlyArray<{ identifier: string; label: string; detail?: string; amount: string }>;
  /** Identifier of the selected method. */
  shippingMethod?: string;
  couponOffered: boolean;
  couponCode: string;
  /** The errors of the last update: while any shows, the customer cannot pay. */
  errors: ReadonlyArray<{ code: string; contactField?: string; message: string }>;
  /** An update the sheet waits for: the customer can neither pay nor change anything meanwhile. */
  pending?: string;
}

/** The customer's choices on the sheet. */
export interface SheetHandlers {
  pay(cardId: string): void;
  cancel(): void;
  selectShippingMethod(identifier: string): void;
  applyCoupon(code: string): void;
  selectAddress(id: string): void;
}

/** Controls of an open sheet. */
export interface Sheet {
  setCards(cards: WalletCard[], contactName: string): void;
  /** The wallet's delivery addresses, for a request that asks for `postalAddress`; the first is chosen. */
  setAddresses(addresses: WalletAddress[]): void;
  /** Draws the session's state: lines, methods, coupon, errors, total, and the wait for the merchant. */
  show(state: SheetState): void;
  merchantVerified(displayName: string, domain: string): void;
  setStatus(text: string, tone?: 'busy' | 'ok' | 'fail'): void;
  /** Locks the sheet while a payment is processed. */
  lock(): void;
  /** Unlocks it when no payment could be made (no token): the customer may choose again or cancel. */
  unlock(): void;
  close(): void;
}

const STYLE = `
:host{all:initial}
.backdrop{position:fixed;inset:0;background:rgba(0,0,0,.45);display:flex;align-items:flex-end;justify-content:center;z-index:2147483647;font:15px/1.4 -apple-system,system-ui,sans-serif;color:#1d1d1f}
.sheet{width:min(420px,100vw);max-height:100vh;overflow-y:auto;background:#f2f2f7;border-radius:14px 14px 0 0;box-shadow:0 -4px 24px rgba(0,0,0,.25);padding:0 0 18px;animation:up .18s ease-out}
@media (min-height:700px){.backdrop{align-items:center}.sheet{border-radius:14px}}
/* A fade, not a slide: a click while it runs lands on the button (WebDriver does not wait for motion to end). */
@keyframes up{from{opacity:0}}
.banner{background:repeating-linear-gradient(-45deg,#ffd60a,#ffd60a 10px,#ffe45c 10px,#ffe45c 20px);color:#000;font-weight:700;font-size:12px;letter-spacing:.04em;text-transform:uppercase;text-align:center;padding:6px 10px;border-radius:14px 14px 0 0}
header{display:flex;justify-content:space-between;align-items:center;padding:12px 16px 6px}
.logo{font-weight:600;font-size:20px}
.cancel{background:none;border:0;color:#007aff;font:inherit;cursor:pointer;padding:4px}
.row{background:#fff;margin:8px 12px;border-radius:10px;padding:10px 14px}
.row h3{margin:0 0 4px;font-size:12px;font-weight:500;color:#6e6e73;text-transform:uppercase}
label.card{display:flex;gap:10px;align-items:flex-start;padding:6px 0;cursor:pointer}
label.card small{display:block;color:#6e6e73}
.total{display:flex;justify-content:space-between;align-items:baseline}
.total strong{font-size:20px}
.pay{display:block;width:calc(100% - 24px);margin:12px 12px 0;height:46px;border:0;border-radius:10px;background:#000;color:#fff;font:600 17px -apple-system,system-ui,sans-serif;cursor:pointer}
.pay:disabled{opacity:.4;cursor:default}
.status{min-height:1.4em;margin:10px 16px 0;text-align:center;color:#6e6e73}
.status.ok{color:#0a7c2f;font-weight:600}.status.fail{color:#b3261e;font-weight:600}
.verified{color:#0a7c2f;font-size:13px}
label.choice{display:flex;gap:10px;align-items:flex-start;padding:4px 0;cursor:pointer}
label.choice span.what{flex:1}label.choice small{display:block;color:#6e6e73}
.line{display:flex;justify-content:space-between;gap:12px;padding:2px 0}
.coupon{display:flex;gap:8px}.coupon input{flex:1;font:inherit;padding:6px 8px;border:1px solid #c7c7cc;border-radius:8px}
.coupon button{font:inherit;border:0;border-radius:8px;background:#007aff;color:#fff;padding:6px 14px;cursor:pointer}
.coupon button:disabled{opacity:.4;cursor:default}
.errors{margin:8px 12px 0;padding:8px 14px;list-style:none;border-radius:10px;background:#fde7e6;color:#b3261e;font-size:14px}
.errors:empty{display:none}
.note{margin:10px 16px 0;font-size:12px;color:#6e6e73;text-align:center}`;

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<HTMLElementTagNameMap[K]> = {},
  ...children: Array<Node | string>
): HTMLElementTagNameMap[K] {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

/**
 * Opens the sheet over the page.
 *
 * @example
 * const sheet = openSheet(request, { pay: (card) => …, cancel: () => … });
 * sheet.merchantVerified('Demo Shop', '127.0.0.1');
 */
export function openSheet(request: SheetRequest, handlers: SheetHandlers): Sheet {
  const host = el('div');
  host.id = 'simulated-apple-pay-sheet';
  const root = host.attachShadow({ mode: 'open' });
  const cardsBox = el('div', {}, 'Loading the wallet…');
  const merchant = el('div', {}, 'Verifying the merchant with Apple…');
  const status = el('p', { className: 'status' });
  status.setAttribute('role', 'status');
  const cancel = el('button', { className: 'cancel', type: 'button', textContent: 'Cancel' });
  const pay = el('button', { className: 'pay', type: 'button', textContent: 'Pay', disabled: true });
  const addressRow = el('div', { className: 'row addresses', hidden: true });
  const methodsRow = el('div', { className: 'row methods', hidden: true });
  const couponInput = el('input', { className: 'coupon-code', type: 'text', autocomplete: 'off' });
  couponInput.setAttribute('aria-label', 'Coupon code');
  const applyCoupon = el('button', { className: 'apply', type: 'button', textContent: 'Apply' });
  const couponRow = el(
    'div',
    { className: 'row', hidden: true },
    el('h3', { textContent: 'Coupon' }),
    el('div', { className: 'coupon' }, couponInput, applyCoupon),
  );
  const linesRow = el('div', { className: 'row lines', hidden: true });
  const errors = el('ul', { className: 'errors' });
  errors.setAttribute('role', 'alert');
  const amount = el('strong', { className: 'amount', textContent: `${request.total.amount} ${request.currencyCode}` });
  const totalLabel = el('span', { textContent: `Pay ${request.total.label}` });
  let verified = false;
  let hasCards = false;
  let locked = false;
  let pending = false;
  let hasErrors = false;
  let couponShown = false;
  const refresh = () => {
    pay.disabled = locked || !verified || !hasCards || pending || hasErrors;
    // Apple's sheet takes a change only once the merchant is verified, and one at a time.
    const frozen = locked || !verified || pending;
    for (const i of root.querySelectorAll<HTMLInputElement>('input[name=method], input[name=address]'))
      i.disabled = frozen;
    for (const i of root.querySelectorAll<HTMLInputElement>('input[name=card]')) i.disabled = locked;
    couponInput.disabled = frozen;
    applyCoupon.disabled = frozen;
  };
  const money = (value: string) => `${value} ${request.currencyCode}`;
  const setStatus = (text: string, tone?: 'busy' | 'ok' | 'fail') => {
    status.textContent = text;
    status.className = `status${tone && tone !== 'busy' ? ` ${tone}` : ''}`;
  };

  const sheet = el(
    'div',
    { className: 'sheet' },
    el('div', { className: 'banner', textContent: 'Simulated Apple Pay · a stand-in for Safari\u2019s sheet' }),
    el('header', {}, el('span', { className: 'logo', textContent: 'Apple Pay' }), cancel),
    el('div', { className: 'row' }, el('h3', { textContent: 'Merchant' }), merchant),
    el('div', { className: 'row' }, el('h3', { textContent: 'Card' }), cardsBox),
    addressRow,
    methodsRow,
    couponRow,
    linesRow,
    el('div', { className: 'row total' }, totalLabel, amount),
    errors,
    pay,
    status,
    el('p', {
      className: 'note',
      textContent: 'The token is minted by the sandbox Apple; everything after the browser is real.',
    }),
  );
  sheet.setAttribute('role', 'dialog');
  sheet.setAttribute('aria-modal', 'true');
  sheet.setAttribute('aria-label', 'Simulated Apple Pay');
  root.append(el('style', { textContent: STYLE }), el('div', { className: 'backdrop' }, sheet));

  cancel.addEventListener('click', () => !locked && handlers.cancel());
  const apply = () => !applyCoupon.disabled && handlers.applyCoupon(couponInput.value);
  applyCoupon.addEventListener('click', apply);
  couponInput.addEventListener('keydown', (e) => e.key === 'Enter' && apply());
  pay.addEventListener('click', () => {
    const chosen = root.querySelector<HTMLInputElement>('input[name=card]:checked');
    if (chosen && !pay.disabled) handlers.pay(chosen.value);
  });
  const onKey = (e: KeyboardEvent) => e.key === 'Escape' && !locked && handlers.cancel();
  document.addEventListener('keydown', onKey);
  document.body.append(host);
  cancel.focus();

  return {
    setCards(cards, contactName) {
      cardsBox.replaceChildren(
        ...cards.map((card, i) => {
          const input = el('input', { type: 'radio', name: 'card', value: card.id, checked: i === 0 });
          return el(
            'label',
            { className: 'card' },
            input,
            el('span', {}, card.label, el('small', { textContent: `Sandbox: ${card.outcome}` })),
          );
        }),
        el('small', { textContent: `Name: ${contactName}` }),
      );
      hasCards = cards.length > 0;
      refresh();
    },
    setAddresses(addresses) {
      addressRow.replaceChildren(
        el('h3', { textContent: 'Shipping address' }),
        ...addresses.map((address, i) => {
          const input = el('input', { type: 'radio', name: 'address', value: address.id, checked: i === 0 });
          input.addEventListener('change', () => input.checked && handlers.selectAddress(address.id));
          return el('label', { className: 'choice address' }, input, el('span', { className: 'what' }, address.label));
        }),
      );
      addressRow.hidden = addresses.length === 0;
      refresh();
    },
    show(state) {
      totalLabel.textContent = `Pay ${state.total.label}`;
      amount.textContent = money(state.total.amount);
      linesRow.hidden = state.lineItems.length === 0;
      linesRow.replaceChildren(
        el('h3', { textContent: 'Summary' }),
        ...state.lineItems.map((line) =>
          el(
            'div',
            { className: 'line' },
            el('span', { className: 'line-label', textContent: line.label }),
            el('span', { className: 'line-amount', textContent: money(line.amount) }),
          ),
        ),
      );
      methodsRow.hidden = state.shippingMethods.length === 0;
      methodsRow.replaceChildren(
        el('h3', { textContent: request.shippingType === 'delivery' ? 'Delivery' : 'Shipping method' }),
        ...state.shippingMethods.map((method) => {
          const input = el('input', {
            type: 'radio',
            name: 'method',
            value: method.identifier,
            checked: method.identifier === state.shippingMethod,
          });
          input.addEventListener('change', () => input.checked && handlers.selectShippingMethod(method.identifier));
          return el(
            'label',
            { className: 'choice method' },
            input,
            el(
              'span',
              { className: 'what' },
              method.label,
              ...(method.detail ? [el('small', { textContent: method.detail })] : []),
            ),
            el('span', { className: 'method-amount', textContent: money(method.amount) }),
          );
        }),
      );
      couponRow.hidden = !state.couponOffered;
      // The code the request prefilled, once; after that the field holds what the customer typed.
      if (state.couponOffered && !couponShown) couponInput.value = state.couponCode;
      couponShown ||= state.couponOffered;
      errors.replaceChildren(
        ...state.errors.map((e) =>
          el('li', { textContent: `${e.message || e.code}${e.contactField ? ` (${e.contactField})` : ''}` }),
        ),
      );
      hasErrors = state.errors.length > 0;
      const waiting = !!state.pending;
      if (waiting) setStatus('Waiting for the merchant\u2026', 'busy');
      else if (pending) setStatus('');
      pending = waiting;
      refresh();
    },
    merchantVerified(displayName, domain) {
      merchant.replaceChildren(
        el('strong', { textContent: displayName }),
        el('div', { className: 'verified', textContent: `\u2713 Verified by the sandbox Apple for ${domain}` }),
      );
      verified = true;
      refresh();
      pay.focus();
    },
    setStatus,
    lock() {
      locked = true;
      cancel.disabled = true;
      refresh();
    },
    unlock() {
      locked = false;
      cancel.disabled = false;
      refresh();
    },
    close() {
      document.removeEventListener('keydown', onKey);
      host.remove();
    },
  };
}

/** @module The `<epay-applepay-button>` element: attributes, rendering, and the order of one payment attempt. */
import { type PropertyValues, ReactiveElement, css } from '@lit/reactive-element';
import { type ApplePaySessionConstructor, PaymentSheet, type SheetUpdateKind } from './apple-pay-session.js';
import { SDK_TIMEOUT_MS, loadApplePaySdk, sdkScriptUrl } from './apple-pay-sdk.js';
import { type Availability, detectAvailability } from './availability.js';
import {
  type ApplePayCapability,
  type EpayEventDetailMap,
  type EpayEventName,
  type EpayReadyDetail,
  type EpaySheetError,
  type EpaySheetUpdate,
  emit,
} from './events.js';
import { type OrderClaims, decodeOrderToken } from './order-token.js';
import { buildPaymentRequest, sheetContent, totalLabel } from './payment-request.js';
import { PROXY_TIMEOUT_MS, authorizePayment, requestMerchantSession } from './proxy-client.js';
import { postThreeDsForm } from './three-ds.js';

/** The tag the element is defined under. */
export const TAG_NAME = 'epay-applepay-button';

/** Longest wait for a listener's `updateWith` promise: Apple ends the sheet after 30 s without the update. */
export const UPDATE_TIMEOUT_MS = 20_000;

/** The events of the sheet's updates, by the kind of update. */
const UPDATE_EVENTS = {
  ShippingContactSelection: 'epay-shipping-contact',
  ShippingMethodSelection: 'epay-shipping-method',
  CouponCodeChange: 'epay-coupon-code',
} as const;

/**
 * One press of the button: its sheet, whether its single outcome has been reported, and the latest order (the
 * token the payment sends and the claims the sheet shows), replaced by each accepted sheet update.
 */
interface Attempt {
  sheet?: PaymentSheet;
  settled: boolean;
  paying: boolean;
  validation: AbortController;
  order: string;
  claims: OrderClaims;
  label: string;
}

/**
 * The Apple Pay button for Halyk Bank ePay. It decodes the order token (without verifying it) for
 * the sheet's total, opens the Apple Pay sheet synchronously inside the click, has the proxy
 * validate the merchant and pay, and reports exactly one outcome per attempt: `epay-success`,
 * `epay-3ds`, `epay-declined`, `epay-cancel` or `epay-error`.
 *
 * Availability: shown only where `ApplePaySession` exists (Safari, or Apple's Apple Pay JS SDK),
 * the page is a secure context, Apple Pay can pay and a version from 14 down is supported. "Can
 * pay" is Apple's `applePayCapabilities(merchant-id)` where `merchant-id` is set and the session has
 * that method (`applePayUnsupported` hides the button, the other answers show it, and `epay-ready`
 * carries the answer as `capability`), else `canMakePayments()`. Otherwise the element is not
 * displayed and `epay-ready` says why, with a `reason` of `unsupported_browser`,
 * `insecure_context`, `cannot_make_payments`, `unsupported_version` or `sdk_unavailable`. When
 * `ApplePaySession` is missing while the page is still loading and `sdk` is `none`, the check
 * waits for the window's `load` (a script of the page may define it late). `epay-ready` fires once
 * per element; the host carries the `available` attribute while the button is shown.
 *
 * Beyond Safari: with `sdk="apple"` (or the URL of a pinned or self-hosted copy) a browser without
 * its own `ApplePaySession` (Chrome, Edge, Firefox) gets Apple's Apple Pay JS SDK, added once per
 * page with `crossorigin="anonymous"` however many elements ask, and the customer pays by scanning
 * a code with an iPhone. An SDK that fails to load (offline, blocked, refused by a
 * Content-Security-Policy) or does not define `ApplePaySession` and `<apple-pay-button>` ends in
 * `epay-ready` `{ available: false, reason: "sdk_unavailable" }` within 10 seconds.
 *
 * The order is read at click time: a missing, unreadable or expired order token does not hide the
 * button (a token can expire while the page sits open); the click reports `epay-error`
 * `invalid_order` and no sheet opens, so the page can fetch a fresh order. A missing `proxy` is
 * `epay-error` `proxy_error`. `epay-click` fires first, so a listener may still set `order`.
 *
 * Error codes of the element's own: `invalid_order` (order token missing, unreadable or expired),
 * `network_error` (the proxy could not be reached), `proxy_error` (`proxy` missing, or an answer
 * that is not the proxy's API: HTML, garbage, a bare 500), `timeout` (no answer within
 * `proxyTimeout`; for a payment its outcome is unknown), `session_refused` (Apple Pay refused to
 * open the sheet or the merchant session, or the proxy refused the merchant validation: the
 * proxy's code, when it gave one, is in `proxyCode`). Any code the proxy gives on a payment
 * (`outcome_unknown`, `amount_mismatch`, `order_expired`, …) is passed through unchanged.
 *
 * Express checkout: with `lineItems`, `shippingType`, `shippingMethods` and `shippingMethod` in
 * the order, the sheet lists them above the total; `shipping-fields` asks for a delivery contact
 * and `coupon-code` offers a coupon field (Apple Pay JS 12 and later). Each change on the sheet
 * fires `epay-shipping-contact`, `epay-shipping-method` or `epay-coupon-code`; the listener calls
 * `event.detail.updateWith(promise)` synchronously, the promise resolving to `{ order, errors? }`
 * with an order the merchant's backend signed for the new price. The element takes that order as
 * its `order` and shows its total, lines and methods, so the sheet shows what the proxy will
 * verify; errors reach the sheet as Apple's `ApplePayError`. No listener, no call, a rejected
 * promise, one still pending after 20 seconds, or an order for another invoice or currency keep
 * the current order. The payment sends the latest order.
 *
 * In Safari the button is Apple's native one: a `<button>` with `-webkit-appearance:
 * -apple-pay-button`, `button-type`, `button-style`, the `locale` as `lang`, and an `aria-label`
 * ("Buy with Apple Pay"). Elsewhere it is Apple's own `<apple-pay-button>` from the SDK, in the
 * shadow root, with `type`, `buttonstyle` and `locale` from those attributes and its size from the
 * custom properties, all kept in step; Apple labels and draws it, and its inner button takes the
 * keyboard. The element never draws a button of its own: outside Safari, with no
 * `<apple-pay-button>` defined in time, it is `sdk_unavailable`. Either way the session is created
 * and begun synchronously inside the button's click.
 *
 * @summary Apple Pay button that pays through the ePay proxy.
 * @tag epay-applepay-button
 *
 * @fires {CustomEvent<{available: boolean, reason?: string, capability?: string}>} epay-ready - Availability is known, once per element; `capability` is Apple's `paymentCredentialStatus` where it was asked.
 * @fires {CustomEvent<{}>} epay-click - The button was pressed, before the sheet opens. Cancelable: cancel to keep the sheet closed.
 * @fires {CustomEvent<{payment: {id: string, invoiceId: string, amount: number, currency: string, reference: string}, billingContact?: object, shippingContact?: object, shippingMethod?: string}>} epay-success - Paid without 3-D Secure. The contacts when the sheet asked for them; `shippingMethod` is the paid order's selected method.
 * @fires {CustomEvent<{action: string, fields: {PaReq: string, MD: string, TermUrl: string}, billingContact?: object, shippingContact?: object, shippingMethod?: string}>} epay-3ds - The bank asks for 3-D Secure; the element then posts the form. Cancelable: cancel to post it yourself.
 * @fires {CustomEvent<{contact: object, updateWith: (update: Promise<{order?: string, errors?: {code: string, contactField?: string, message?: string}[]}>) => void}>} epay-shipping-contact - The customer chose a delivery address (Apple's redacted contact). Call `updateWith` synchronously with the re-priced order.
 * @fires {CustomEvent<{method: {identifier: string, label: string, detail?: string, amount: string}, updateWith: (update: Promise<{order?: string}>) => void}>} epay-shipping-method - The customer chose a shipping method. Call `updateWith` synchronously with the re-priced order.
 * @fires {CustomEvent<{couponCode: string, updateWith: (update: Promise<{order?: string, errors?: {code: string, contactField?: string, message?: string}[]}>) => void}>} epay-coupon-code - The customer entered or removed a coupon code (Apple Pay JS 12+). Call `updateWith` synchronously with the re-priced order.
 * @fires {CustomEvent<{code: string, bankCode: number|string|null, message: string}>} epay-declined - The bank declined the payment.
 * @fires {CustomEvent<{}>} epay-cancel - The customer closed the sheet.
 * @fires {CustomEvent<{code: string, message: string, proxyCode?: string}>} epay-error - Anything else went wrong; on a payment `code` is the proxy's when it gave one. A refused merchant validation is `session_refused`, with the proxy's code in `proxyCode` when it gave one.
 *
 * @csspart button - The button: a `<button>` drawn by Safari as Apple's native button, or Apple's `<apple-pay-button>` elsewhere.
 *
 * @cssproperty [--epay-applepay-button-width=240px] - Width of the button.
 * @cssproperty [--epay-applepay-button-height=44px] - Height of the button.
 * @cssproperty [--epay-applepay-button-border-radius=6px] - Corner radius of the button.
 *
 * @example
 * ```html
 * <epay-applepay-button proxy="https://pay.example.kz" order="eyJhbGciOi…" label="Example Shop"></epay-applepay-button>
 * <!-- Chrome, Edge and Firefox too, through Apple's SDK and an iPhone: -->
 * <epay-applepay-button sdk="apple" merchant-id="merchant.kz.example" proxy="https://pay.example.kz" order="eyJhbGciOi…"></epay-applepay-button>
 * ```
 */
export class EpayApplePayButton extends ReactiveElement {
  static override properties = {
    proxy: { type: String },
    order: { type: String },
    label: { type: String },
    country: { type: String },
    networks: { type: String },
    capabilities: { type: String },
    contactFields: { type: String, attribute: 'contact-fields' },
    shippingFields: { type: String, attribute: 'shipping-fields' },
    couponCode: { type: String, attribute: 'coupon-code' },
    buttonType: { type: String, attribute: 'button-type' },
    buttonStyle: { type: String, attribute: 'button-style' },
    locale: { type: String },
    disabled: { type: Boolean, reflect: true },
    sdk: { type: String },
    merchantId: { type: String, attribute: 'merchant-id' },
    proxyTimeout: { attribute: false },
    updateTimeout: { attribute: false },
    ready: { state: true, attribute: false },
  };

  // Compact on purpose: the template's whitespace ships in the bundle. No colour, border or font:
  // author styles on Safari's native button would switch its drawing off, and Apple's element
  // draws itself. Its size comes through Apple's documented custom properties.
  static override styles = css`
:host{display:inline-block;vertical-align:middle}
:host(:not([available])),:host([hidden]){display:none}
button{-webkit-appearance:-apple-pay-button;box-sizing:border-box;width:var(--epay-applepay-button-width,240px);height:var(--epay-applepay-button-height,44px);border-radius:var(--epay-applepay-button-border-radius,6px);margin:0;cursor:pointer}
apple-pay-button{vertical-align:top;width:var(--epay-applepay-button-width,240px);--apple-pay-button-width:var(--epay-applepay-button-width,240px);--apple-pay-button-height:var(--epay-applepay-button-height,44px);--apple-pay-button-border-radius:var(--epay-applepay-button-border-radius,6px);--apple-pay-button-padding:0;--apple-pay-button-box-sizing:border-box}
:disabled,[inert]{opacity:.5;cursor:default}`;

  /** Base URL of the proxy, absolute or a same-origin path. Required. */
  declare proxy: string;
  /** The order token (a JWT signed by the merchant's backend). Required. */
  declare order: string;
  /** Merchant name on the sheet's total line; the page's host name when empty. */
  declare label: string;
  /** `countryCode` of the payment request. */
  declare country: string;
  /** `supportedNetworks`, comma-separated. */
  declare networks: string;
  /** `merchantCapabilities`, comma-separated; `supports3DS` is always included. */
  declare capabilities: string;
  /** `requiredBillingContactFields`, comma-separated; `email` and `phone` also go to the shipping contact fields. */
  declare contactFields: string;
  /** `requiredShippingContactFields`, comma-separated: `postalAddress`, `name`, `phone`, `email`. */
  declare shippingFields: string;
  /**
   * Present: the sheet offers a coupon field, prefilled with this value (Apple Pay JS 12 and later;
   * older versions show none). Absent (null): no coupon field.
   */
  declare couponCode: string | null;
  /** Apple's button type: `buy`, `pay`, `plain`, `check-out`, `donate`, `book`, `subscribe`, … */
  declare buttonType: string;
  /** `black`, `white` or `white-outline`. */
  declare buttonStyle: string;
  /** The button's language (BCP 47); the page's language when empty. */
  declare locale: string;
  /** Disables the button. */
  declare disabled: boolean;
  /**
   * Apple's Apple Pay JS SDK for browsers without their own `ApplePaySession` (Chrome, Edge,
   * Firefox): `none` (the browser's own, or an SDK the page loaded itself), `apple` (Apple's
   * `https://applepay.cdn-apple.com/jsapi/1.latest/apple-pay-sdk.js`), or the URL of a pinned or
   * self-hosted copy (https, or a same-origin path). Loaded once per page, never where the browser
   * has its own `ApplePaySession`. Read when the element is first connected.
   */
  declare sdk: string;
  /**
   * The Apple merchant identifier (`merchant.kz.example`): with it, availability is Apple's
   * `applePayCapabilities(merchantId)` where the session has that method. Read when the element is
   * first connected.
   */
  declare merchantId: string;
  /**
   * Milliseconds the element waits for each proxy call before it closes the sheet with
   * `epay-error` `timeout`. At most (and by default) 27000, below Apple's 30 s per step.
   */
  declare proxyTimeout: number;
  /**
   * Milliseconds the element waits for a listener's `updateWith` promise before it completes the
   * sheet's update with the current order. At most (and by default) 20000.
   */
  declare updateTimeout: number;
  /** The availability found on connect; null while Apple Pay is not offered. */
  declare private ready: { version: number; Session: ApplePaySessionConstructor; native: boolean } | null;
  private attempt: Attempt | null = null;
  /** Safari's native `<button>` or Apple's `<apple-pay-button>`, once Apple Pay is offered. */
  private control?: HTMLElement;
  private checked = false;

  constructor() {
    super();
    this.proxy = '';
    this.order = '';
    this.label = '';
    this.country = 'KZ';
    this.networks = 'visa,masterCard';
    this.capabilities = 'supports3DS';
    this.contactFields = 'name';
    this.shippingFields = '';
    this.couponCode = null;
    this.buttonType = 'buy';
    this.buttonStyle = 'black';
    this.locale = '';
    this.disabled = false;
    this.sdk = 'none';
    this.merchantId = '';
    this.proxyTimeout = PROXY_TIMEOUT_MS;
    this.updateTimeout = UPDATE_TIMEOUT_MS;
    this.ready = null;
  }

  /** True while Apple Pay is offered and the button is shown. */
  get available(): boolean {
    return !!this.ready;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    if (!this.checked) {
      this.checked = true;
      void this.checkAvailability();
    }
  }

  /**
   * Draws Safari's native `<button>` or Apple's `<apple-pay-button>` with DOM calls, once Apple Pay
   * is offered. Lit's template layer (lit-html) would add about 3 kB gzip to the classic script for
   * a single element; properties, attributes and adopted styles are Lit's ReactiveElement.
   */
  protected override update(changed: PropertyValues): void {
    super.update(changed);
    const ready = this.ready;
    if (!ready) return;
    const control = (this.control ??= this.createControl(ready.native ? 'button' : 'apple-pay-button'));
    const setOrRemove = (name: string, value: string) =>
      value ? control.setAttribute(name, value) : control.removeAttribute(name);
    if (control instanceof HTMLButtonElement) {
      control.setAttribute('aria-label', buttonText(this.buttonType));
      control.disabled = this.disabled;
      setOrRemove('lang', this.locale);
      // Through the CSSOM, not a style attribute, so a strict style-src CSP does not block it.
      control.style.setProperty('-apple-pay-button-type', this.buttonType);
      control.style.setProperty('-apple-pay-button-style', this.buttonStyle);
    } else {
      // Apple's element reads these, then labels and draws its own inner button from them.
      setOrRemove('type', this.buttonType);
      setOrRemove('buttonstyle', this.buttonStyle);
      setOrRemove('locale', this.locale);
      // Out of reach of the pointer, the keyboard and assistive technology while disabled.
      control.inert = this.disabled;
    }
  }

  private createControl(tag: string): HTMLElement {
    const control = document.createElement(tag);
    control.setAttribute('part', 'button');
    // On the control itself: Apple's element stops its clicks from bubbling past it.
    control.addEventListener('click', () => this.onClick());
    this.renderRoot.append(control);
    return control;
  }

  /**
   * Finds out, once, whether Apple Pay is offered, loading Apple's SDK where `sdk` asks and the
   * browser has no `ApplePaySession`; every wait on the SDK ends within SDK_TIMEOUT_MS.
   */
  private async checkAvailability(): Promise<void> {
    // A microtask later: attributes and properties set right after the element was added count.
    await 0;
    const hasSession = () => 'ApplePaySession' in window;
    const src = sdkScriptUrl(this.sdk, document.baseURI, location.origin);
    if (!hasSession() && src === null && document.readyState !== 'complete') {
      await new Promise((loaded) => addEventListener('load', loaded, { once: true }));
    }
    const until = Date.now() + SDK_TIMEOUT_MS;
    const within = <T>(work: Promise<T>, late: T) =>
      Promise.race([work, new Promise<T>((resolve) => setTimeout(resolve, until - Date.now(), late))]);
    // Apple's SDK only where the browser has no ApplePaySession of its own: never in Safari.
    const sdkOk = hasSession() || src === null || (!!src && (await within(loadApplePaySdk(src), false)));
    const capability = sdkOk ? await within(this.capability(), undefined) : undefined;
    const native = supportsNativeButton();
    let found: Availability = sdkOk ? detectAvailability(window, capability) : unavailable;
    // Outside Safari the button is Apple's <apple-pay-button>, never one drawn here: the SDK must have defined it.
    const appleButton = () =>
      within(
        customElements.whenDefined('apple-pay-button').then(() => true),
        false,
      );
    if (found.available && !native && !(await appleButton())) found = unavailable;
    this.ready = found.available ? { ...found, native } : null;
    this.toggleAttribute('available', found.available);
    const detail: EpayReadyDetail = found.available ? { available: true } : { available: false, reason: found.reason };
    if (capability) detail.capability = capability;
    // After the first render with the button, so a listener added right after the element was created still hears it.
    await this.updateComplete;
    emit(this, 'epay-ready', detail);
  }

  /** Apple's `applePayCapabilities(merchant-id)` where it can be asked; undefined otherwise, or when it fails. */
  private async capability(): Promise<ApplePayCapability | undefined> {
    const Session = (window as { ApplePaySession?: ApplePaySessionConstructor }).ApplePaySession;
    const id = (this.merchantId || '').trim();
    if (!id || !isSecureContext || typeof Session?.applePayCapabilities !== 'function') return undefined;
    try {
      const status = (await Session.applePayCapabilities(id))?.paymentCredentialStatus;
      return typeof status === 'string' ? status : undefined;
    } catch {
      // Apple could not be asked (offline, refused): canMakePayments() decides instead.
      return undefined;
    }
  }

  /**
   * Asks the page for the sheet's next content (one of the update events) and completes the update exactly once: with
   * the listener's new order when it is readable, unexpired and for the same invoice and currency, else with the
   * current order; at once when no listener called `updateWith`, and within `updateTimeout` otherwise.
   */
  private updateSheet(attempt: Attempt, kind: SheetUpdateKind, change: object): void {
    let pending: Promise<EpaySheetUpdate> | undefined;
    let listening = true;
    let done = false;
    emit(this, UPDATE_EVENTS[kind], {
      ...change,
      updateWith: (update: EpaySheetUpdate | Promise<EpaySheetUpdate>) => {
        if (!listening || pending) throw new DOMException('updateWith', 'InvalidStateError');
        pending = Promise.resolve(update);
      },
    } as never);
    listening = false;
    const finish = (r?: EpaySheetUpdate) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      const sheet = attempt.sheet!;
      if (sheet.ended) return;
      const next = decodeOrderToken(typeof r?.order === 'string' ? r.order : '');
      const { invoiceId, currency } = attempt.claims;
      const errors = sheetErrors(r?.errors);
      // The new order when it is acceptable, and the current one should Safari refuse to show it: the element takes
      // an order only once the sheet shows it.
      for (const claims of next.ok && next.order.invoiceId === invoiceId && next.order.currency === currency
        ? [next.order, attempt.claims]
        : [attempt.claims]) {
        const c = sheetContent(claims, attempt.label);
        const plain = { newTotal: c.total, newLineItems: c.lineItems };
        // Apple's shipping-method update has no methods or errors; Safari takes errors only as ApplePayError objects.
        if (
          sheet.completeUpdate(
            kind,
            kind === 'ShippingMethodSelection' ? plain : { ...plain, newShippingMethods: c.shippingMethods, errors },
          )
        ) {
          if (claims !== attempt.claims) {
            this.order = attempt.order = r!.order!.trim();
            attempt.claims = claims;
          }
          return;
        }
      }
    };
    const timer = pending && setTimeout(finish, upTo(this.updateTimeout, UPDATE_TIMEOUT_MS));
    pending ? pending.then(finish, () => finish()) : finish();
  }

  /** Everything up to `begin()` runs synchronously: Safari refuses a sheet opened after an await. */
  private onClick(): void {
    const ready = this.ready;
    if (!ready || this.disabled || this.attempt || !emit(this, 'epay-click', {}, true)) return;
    // Read after epay-click: its listener may have just set a fresh order.
    const order = (this.order || '').trim();
    const proxy = (this.proxy || '').trim();
    const decoded = decodeOrderToken(order);
    if (!decoded.ok) return void emit(this, 'epay-error', { code: 'invalid_order', message: decoded.message });
    if (!proxy)
      return void emit(this, 'epay-error', { code: 'proxy_error', message: 'The proxy attribute is missing' });
    const timeoutMs = upTo(this.proxyTimeout, PROXY_TIMEOUT_MS);
    const options = {
      label: this.label,
      country: this.country,
      networks: this.networks,
      capabilities: this.capabilities,
      contactFields: this.contactFields,
      shippingFields: this.shippingFields,
      couponCode: this.couponCode,
      version: ready.version,
      fallbackLabel: location.hostname,
    };
    const attempt: Attempt = (this.attempt = {
      settled: false,
      paying: false,
      validation: new AbortController(),
      order,
      claims: decoded.order,
      label: totalLabel(options),
    });
    const end = <K extends EpayEventName>(name: K, detail: EpayEventDetailMap[K]) => {
      if (attempt.settled) return false;
      attempt.settled = true;
      this.attempt = null;
      return emit(this, name, detail, name === 'epay-3ds');
    };
    const request = buildPaymentRequest(decoded.order, options);
    try {
      const sheet = (attempt.sheet = new PaymentSheet(ready.Session, ready.version, request, {
        validateMerchant: async (validationURL) => {
          const r = await requestMerchantSession(
            proxy,
            { validationURL, order },
            { timeoutMs, signal: attempt.validation.signal },
          );
          if (attempt.settled) return;
          if (!r.ok || !sheet.completeMerchantValidation(r.merchantSession)) {
            sheet.abort();
            end(
              'epay-error',
              r.ok
                ? { code: 'session_refused', message: 'Apple Pay refused the merchant session' }
                : { code: r.code, message: r.message, ...(r.proxyCode ? { proxyCode: r.proxyCode } : {}) },
            );
          }
        },
        paymentAuthorized: async ({ token, billingContact, shippingContact }) => {
          attempt.paying = true;
          const { shippingMethod = attempt.claims.shippingMethods?.[0]?.identifier } = attempt.claims;
          // What the sheet asked for: Safari may hand over an empty shipping contact it never asked for.
          const gathered = JSON.parse(
            JSON.stringify({
              billingContact,
              shippingContact: request.requiredShippingContactFields && shippingContact,
              shippingMethod,
            }),
          );
          const r = await authorizePayment(
            proxy,
            { order: attempt.order, payment: { token, billingContact, shippingContact } },
            { timeoutMs },
          );
          // Should Safari refuse the completion, the sheet is still closed, by an abort.
          sheet.completePayment(r.ok && r.status !== 'declined') || sheet.abort();
          if (!r.ok)
            end('epay-error', {
              code: r.code,
              message: r.code === 'timeout' ? `${r.message}; the payment's outcome is unknown` : r.message,
            });
          else if (r.status === 'paid') end('epay-success', { payment: r.payment, ...gathered });
          else if (r.status === 'declined') end('epay-declined', r.declined);
          else if (end('epay-3ds', { ...r.form, ...gathered })) {
            // The outcome (epay-3ds) is already told; a page without <body> cannot be navigated by us.
            try {
              postThreeDsForm(r.form);
            } catch {}
          }
        },
        cancel: () => {
          // A payment already sent to the bank ends with the bank's answer, never as a cancel.
          if (attempt.paying) return;
          attempt.validation.abort();
          end('epay-cancel', {});
        },
        update: (kind, change) => this.updateSheet(attempt, kind, change),
      }));
      sheet.begin();
    } catch {
      attempt.sheet?.abort();
      end('epay-error', { code: 'session_refused', message: 'Apple Pay refused to open the sheet' });
    }
  }
}

/** A wait in ms as set by a property, at most `max`; `max` when it is not a positive number. */
const upTo = (ms: number, max: number) => Math.min(ms > 0 ? ms : max, max);

/** The listener's errors as Apple's `ApplePayError` objects; one Apple cannot take (an unknown code) is left out. */
function sheetErrors(errors: EpaySheetError[] | undefined): object[] {
  const ApplePayError = (window as { ApplePayError?: new (...a: unknown[]) => object }).ApplePayError;
  const out: object[] = [];
  for (const e of Array.isArray(errors) && ApplePayError ? errors : [])
    try {
      out.push(new ApplePayError!(e.code, e.contactField, e.message));
    } catch {}
  return out;
}

const unavailable: Availability = { available: false, reason: 'sdk_unavailable' };

/** Apple's native button exists only in Safari's engine. */
function supportsNativeButton(): boolean {
  try {
    return CSS.supports('-webkit-appearance', '-apple-pay-button');
  } catch {
    return false;
  }
}

/**
 * The accessible name (and fallback text) for one of Apple's button types.
 *
 * @example
 * buttonText('check-out'); // "Check out with Apple Pay"
 * buttonText('plain'); // "Apple Pay"
 */
export function buttonText(type: string): string {
  return `${type && type !== 'plain' ? `${type[0]!.toUpperCase() + type.slice(1).replace('-', ' ')} with ` : ''}Apple Pay`;
}

declare global {
  interface HTMLElementTagNameMap {
    'epay-applepay-button': EpayApplePayButton;
  }
}

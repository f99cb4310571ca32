/** @module The element's events: names, `detail` types, one dispatch helper and the global event-map typing. */

/** Why Apple Pay is not offered on this page; `epay-ready` carries it when `available` is false. */
export type EpayUnavailableReason =
  /** No `ApplePaySession` on the page (not Safari, and no Apple Pay JS SDK loaded). */
  | 'unsupported_browser'
  /** The page is not a secure context (https or localhost). */
  | 'insecure_context'
  /** `ApplePaySession.canMakePayments()` is false (no Apple Pay on this device, or it threw). */
  | 'cannot_make_payments'
  /** No Apple Pay JS version from 14 down to 1 is supported. */
  | 'unsupported_version'
  /**
   * Apple's Apple Pay JS SDK cannot be used: its script (the `sdk` attribute) failed to load (offline,
   * blocked, refused by a Content-Security-Policy, an address that is neither https nor same-origin)
   * or did not define `ApplePaySession` and `<apple-pay-button>` in time; or, outside Safari, no
   * `<apple-pay-button>` to show.
   */
  | 'sdk_unavailable';

/**
 * Apple's `paymentCredentialStatus`, from `ApplePaySession.applePayCapabilities(merchantIdentifier)`:
 * `applePayUnsupported` hides the button, the others show it (`paymentCredentialsAvailable`: offer
 * Apple Pay first; `paymentCredentialsUnavailable`: offer it, but not as the only or default way).
 */
export type ApplePayCapability =
  | 'paymentCredentialsAvailable'
  | 'paymentCredentialStatusUnknown'
  | 'paymentCredentialsUnavailable'
  | 'applePayUnsupported'
  | (string & {});

/** `epay-ready`: availability is known. */
export interface EpayReadyDetail {
  available: boolean;
  reason?: EpayUnavailableReason;
  /** Apple's answer to `applePayCapabilities`, when `merchant-id` is set and the session has the method. */
  capability?: ApplePayCapability;
}

/** `epay-click`: the customer pressed the button; cancel the event to keep the sheet closed. */
export type EpayClickDetail = Record<string, never>;

/** The payment as the proxy reports it on success. */
export interface EpayPayment {
  id: string;
  invoiceId: string;
  amount: number;
  currency: string;
  reference: string;
}

/**
 * What the sheet gathered, on `epay-success` and `epay-3ds`: each field present when the sheet asked for it.
 * `shippingMethod` is the identifier of the method selected in the order that was paid (the latest one).
 */
export interface EpayPaymentContacts {
  /** Apple's `ApplePayPaymentContact`, as the customer authorized it. */
  billingContact?: Record<string, unknown>;
  shippingContact?: Record<string, unknown>;
  shippingMethod?: string;
}

/** `epay-success`: paid without 3-D Secure. */
export interface EpaySuccessDetail extends EpayPaymentContacts {
  payment: EpayPayment;
}

/** `epay-3ds`: the form the element posts to the bank unless the event is cancelled. */
export interface Epay3dsDetail extends EpayPaymentContacts {
  action: string;
  fields: { PaReq: string; MD: string; TermUrl: string };
}

/** An error for the sheet; the element hands it to Apple as an `ApplePayError`. */
export interface EpaySheetError {
  code: 'shippingContactInvalid' | 'addressUnserviceable' | 'couponCodeInvalid' | 'couponCodeExpired' | (string & {});
  /** Apple's `ApplePayErrorContactField`: `postalAddress`, `country`, `postalCode`, `phoneNumber`, … */
  contactField?: string;
  message?: string;
}

/** What a listener's promise resolves to: the re-priced order, signed by the merchant's backend, and any errors. */
export interface EpaySheetUpdate {
  order?: string;
  errors?: EpaySheetError[];
}

/** The part of every sheet-update event's detail the listener answers through. */
export interface EpayUpdatable {
  /**
   * Call it synchronously, in the listener, at most once. With no call, a rejected promise, one still pending after
   * 20 seconds or an order for another invoice or currency, the sheet keeps the current order.
   */
  updateWith(update: EpaySheetUpdate | Promise<EpaySheetUpdate>): void;
}

/** `epay-shipping-contact`: the customer chose a delivery address (Apple's redacted contact, before payment). */
export interface EpayShippingContactDetail extends EpayUpdatable {
  contact: Record<string, unknown>;
}

/** `epay-shipping-method`: the customer chose a shipping method. */
export interface EpayShippingMethodDetail extends EpayUpdatable {
  method: { identifier: string; label: string; detail?: string; amount: string };
}

/** `epay-coupon-code`: the customer entered or removed a coupon code (Apple Pay JS 12 and later). */
export interface EpayCouponCodeDetail extends EpayUpdatable {
  couponCode: string;
}

/** `epay-declined`: the bank declined the payment. */
export interface EpayDeclinedDetail {
  code: string;
  bankCode: number | string | null;
  message: string;
}

/** `epay-cancel`: the customer closed the sheet. */
export type EpayCancelDetail = Record<string, never>;

/**
 * The element's own error codes; any other code came from the proxy (`outcome_unknown`,
 * `amount_mismatch`, `order_expired`, `origin_not_allowed`, …) and is passed through as is.
 */
export type EpayOwnErrorCode = 'invalid_order' | 'network_error' | 'proxy_error' | 'timeout' | 'session_refused';

/** `epay-error`: anything else went wrong. */
export interface EpayErrorDetail {
  code: EpayOwnErrorCode | (string & {});
  message: string;
  /** With `session_refused`: the code the proxy refused the merchant validation with, when it gave one. */
  proxyCode?: string;
}

/** Every event of the element with its `detail` type. */
export interface EpayEventDetailMap {
  'epay-ready': EpayReadyDetail;
  'epay-click': EpayClickDetail;
  'epay-success': EpaySuccessDetail;
  'epay-3ds': Epay3dsDetail;
  'epay-declined': EpayDeclinedDetail;
  'epay-cancel': EpayCancelDetail;
  'epay-error': EpayErrorDetail;
  'epay-shipping-contact': EpayShippingContactDetail;
  'epay-shipping-method': EpayShippingMethodDetail;
  'epay-coupon-code': EpayCouponCodeDetail;
}

/** The event names, in one place. */
export type EpayEventName = keyof EpayEventDetailMap;

/**
 * Dispatches one of the element's events: bubbling and composed (it crosses the shadow roots of a
 * merchant's own components), cancelable only for the "before" events.
 *
 * @returns false when a listener cancelled a cancelable event
 * @example
 * if (!emit(this, 'epay-click', {}, true)) return; // the page kept the sheet closed
 */
export function emit<K extends EpayEventName>(
  target: EventTarget,
  name: K,
  detail: EpayEventDetailMap[K],
  cancelable = false,
): boolean {
  return target.dispatchEvent(new CustomEvent(name, { detail, bubbles: true, composed: true, cancelable }));
}

declare global {
  interface GlobalEventHandlersEventMap {
    'epay-ready': CustomEvent<EpayReadyDetail>;
    'epay-click': CustomEvent<EpayClickDetail>;
    'epay-success': CustomEvent<EpaySuccessDetail>;
    'epay-3ds': CustomEvent<Epay3dsDetail>;
    'epay-declined': CustomEvent<EpayDeclinedDetail>;
    'epay-cancel': CustomEvent<EpayCancelDetail>;
    'epay-error': CustomEvent<EpayErrorDetail>;
    'epay-shipping-contact': CustomEvent<EpayShippingContactDetail>;
    'epay-shipping-method': CustomEvent<EpayShippingMethodDetail>;
    'epay-coupon-code': CustomEvent<EpayCouponCodeDetail>;
  }
}

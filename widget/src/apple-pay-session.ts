/** @module Wraps one ApplePaySession so that each complete*() and abort() runs at most once, never after the session ended. */
import type { ApplePayPaymentRequest, ApplePayShippingMethod } from './payment-request.js';

/** What the element uses of Apple Pay JS's `ApplePaySession` instance (Safari or Apple's JS SDK). */
export interface ApplePaySessionLike {
  begin(): void;
  abort(): void;
  completeMerchantValidation(merchantSession: object): void;
  completePayment(status: number): void;
  onvalidatemerchant: ((event: { validationURL: string }) => void) | null;
  onpaymentauthorized: ((event: { payment: ApplePayPaymentLike }) => void) | null;
  oncancel: ((event: unknown) => void) | null;
  onshippingcontactselected?: ((event: { shippingContact: unknown }) => void) | null;
  onshippingmethodselected?: ((event: { shippingMethod: ApplePayShippingMethod }) => void) | null;
  /** Version 12 and later. */
  oncouponcodechanged?: ((event: { couponCode: string }) => void) | null;
  completeShippingContactSelection?(update: object): void;
  completeShippingMethodSelection?(update: object): void;
  completeCouponCodeChange?(update: object): void;
}

/** The sheet's updates, named by the session's method that completes each: `complete${kind}`. */
export type SheetUpdateKind = 'ShippingContactSelection' | 'ShippingMethodSelection' | 'CouponCodeChange';

/** `ApplePayPayment`: what the customer authorized; its `token` goes to the proxy untouched. */
export interface ApplePayPaymentLike {
  token: unknown;
  billingContact?: unknown;
  shippingContact?: unknown;
}

/** The `ApplePaySession` class itself. */
export interface ApplePaySessionConstructor {
  new (version: number, request: ApplePayPaymentRequest): ApplePaySessionLike;
  supportsVersion(version: number): boolean;
  canMakePayments(): boolean;
  /** Apple Pay JS `1.latest` (Apple's SDK, recent Safari): whether this device can pay, and with which Wallet. */
  applePayCapabilities?(merchantIdentifier: string): Promise<{ paymentCredentialStatus?: string }>;
  readonly STATUS_SUCCESS?: number;
  readonly STATUS_FAILURE?: number;
}

/**
 * The moments Apple hands to the page. The first three run at most once per sheet; `update` runs each time the
 * customer changes the shipping contact, the shipping method or the coupon code, while the sheet is open.
 */
export interface PaymentSheetHandlers {
  validateMerchant(validationURL: string): void;
  paymentAuthorized(payment: ApplePayPaymentLike): void;
  cancel(): void;
  update(kind: SheetUpdateKind, change: object): void;
}

/**
 * One payment sheet. Safari throws `InvalidAccessError` on a second `complete*`/`abort` or on any
 * after the session ended (expiry, cancel, a completed payment); this class turns those into a
 * `false` return, so a late proxy answer can never throw into the page.
 *
 * Construct and `begin()` it synchronously inside the click handler: Safari refuses a session
 * created outside the user's gesture.
 *
 * @example
 * const sheet = new PaymentSheet(ApplePaySession, 14, request, handlers);
 * sheet.begin();
 * // later, once: sheet.completePayment(true)
 */
export class PaymentSheet {
  private readonly session: ApplePaySessionLike;
  private readonly done = new Set<string>();
  private status: [number, number];
  /** True once the sheet closed: cancelled, expired, aborted or payment completed. */
  ended = false;

  constructor(
    Session: ApplePaySessionConstructor,
    version: number,
    request: ApplePayPaymentRequest,
    handlers: PaymentSheetHandlers,
  ) {
    const session = (this.session = new Session(version, request));
    this.status = [Session.STATUS_SUCCESS ?? 0, Session.STATUS_FAILURE ?? 1];
    session.onvalidatemerchant = (e) => this.once('v') && handlers.validateMerchant(e.validationURL);
    session.onpaymentauthorized = (e) => this.once('p') && handlers.paymentAuthorized(e.payment);
    // After our own abort() or completePayment() the sheet is already over: no second outcome.
    session.oncancel = () => this.once('c') && ((this.ended = true), handlers.cancel());
    session.onshippingcontactselected = (e) =>
      this.ended || handlers.update('ShippingContactSelection', { contact: e.shippingContact });
    session.onshippingmethodselected = (e) =>
      this.ended || handlers.update('ShippingMethodSelection', { method: e.shippingMethod });
    session.oncouponcodechanged = (e) =>
      this.ended || handlers.update('CouponCodeChange', { couponCode: e.couponCode });
  }

  /** Opens the sheet; throws what Safari throws (the caller reports it). */
  begin(): void {
    this.session.begin();
  }

  /** @returns false when it was not called (already called, or the sheet is over) or Safari refused the session */
  completeMerchantValidation(merchantSession: object): boolean {
    return this.call('m', () => this.session.completeMerchantValidation(merchantSession));
  }

  /** Closes the sheet with a check mark or a failure. @returns false when it was not (or could not be) called */
  completePayment(succeeded: boolean): boolean {
    return this.call('c', () => this.session.completePayment(this.status[succeeded ? 0 : 1]), true);
  }

  /**
   * Completes the customer's change with what the sheet shows next (`completeShippingContactSelection`, …). Safari
   * throws on a second completion, after the sheet ended, or on an update it cannot read.
   *
   * @returns false when the sheet is over or Safari refused the update
   */
  completeUpdate(kind: SheetUpdateKind, update: object): boolean {
    if (this.ended) return false;
    try {
      (this.session as unknown as Record<string, (u: object) => void>)[`complete${kind}`]!(update);
      return true;
    } catch {
      return false;
    }
  }

  /** Closes the sheet without a payment. @returns false when it was not (or could not be) called */
  abort(): boolean {
    return this.call('c', () => this.session.abort(), true);
  }

  private once(step: string): boolean {
    if (this.ended || this.done.has(step)) return false;
    this.done.add(step);
    return true;
  }

  /**
   * Runs a Safari call once. When Safari throws, the sheet is as it was: the step is not spent
   * (so the caller can still `abort()`), and a closing call does not mark the sheet over.
   */
  private call(step: string, fn: () => void, closes?: boolean): boolean {
    if (!this.once(step)) return false;
    try {
      fn();
      if (closes) this.ended = true;
      return true;
    } catch {
      this.done.delete(step);
      return false;
    }
  }
}

/** @module Pure rule: the order's claims and the element's attributes make the ApplePayPaymentRequest. */
import type { OrderClaims } from './order-token.js';

/** Apple Pay JS's `ApplePayLineItem`: amounts are decimal strings. */
export interface ApplePayLineItem {
  label: string;
  amount: string;
  type: 'final' | 'pending';
}

/** Apple Pay JS's `ApplePayShippingMethod`. */
export interface ApplePayShippingMethod {
  identifier: string;
  label: string;
  detail: string;
  amount: string;
}

/** What the sheet shows of an order: the total, the lines above it, the shipping methods (the selected one first). */
export interface SheetContent {
  total: ApplePayLineItem;
  lineItems: ApplePayLineItem[];
  shippingMethods: ApplePayShippingMethod[];
}

/** The subset of Apple Pay JS's `ApplePayPaymentRequest` the element sends. */
export interface ApplePayPaymentRequest {
  countryCode: string;
  currencyCode: string;
  supportedNetworks: string[];
  merchantCapabilities: string[];
  total: ApplePayLineItem;
  lineItems?: ApplePayLineItem[];
  shippingType?: string;
  shippingMethods?: ApplePayShippingMethod[];
  requiredBillingContactFields?: string[];
  requiredShippingContactFields?: string[];
  /** Version 12 and later. */
  supportsCouponCode?: boolean;
  couponCode?: string;
}

/** The attributes that shape the request, as the element holds them (comma-separated lists). */
export interface PaymentRequestOptions {
  label?: string | null;
  country?: string | null;
  networks?: string | null;
  /** Extra `merchantCapabilities`; `supports3DS` is always sent and `supportsEMV` never is. */
  capabilities?: string | null;
  contactFields?: string | null;
  /** `requiredShippingContactFields`, comma-separated (`postalAddress`, `name`, `phone`, `email`). */
  shippingFields?: string | null;
  /** The `coupon-code` attribute: absent (null) offers no coupon field; present offers one, prefilled with its value. */
  couponCode?: string | null;
  /** The session's Apple Pay JS version: the coupon field needs 12 or more. */
  version?: number;
  /** Used as the total line's label when `label` is empty: Apple shows "Pay <label>". */
  fallbackLabel?: string;
}

const DEFAULT_COUNTRY = 'KZ';
const DEFAULT_NETWORKS = ['visa', 'masterCard'];
const DEFAULT_CONTACT_FIELDS = ['name'];
/** The proxy and the bank expect 3-D Secure tokens; without it the sheet offers cards ePay cannot take. */
const REQUIRED_CAPABILITY = 'supports3DS';
/**
 * Never asked for: with it Apple may send an EMV token (older American Express, China UnionPay), which has no
 * 3-D Secure cryptogram for ePay and which the proxy refuses after the customer has already authorized.
 */
const REFUSED_CAPABILITY = 'supportsemv'; // compared lower-cased
/** Apple returns email and phone only in the shipping contact, so they are asked for there too. */
const SHIPPING_FIELDS = new Set(['email', 'phone']);
/** The first Apple Pay JS version with `supportsCouponCode` and `oncouponcodechanged`. */
export const COUPON_VERSION = 12;

/**
 * Builds the payment request for `new ApplePaySession(version, request)`. Its `merchantCapabilities` always hold
 * `supports3DS` and never `supportsEMV`: ePay charges only 3-D Secure tokens.
 *
 * @example
 * buildPaymentRequest({ invoiceId: '000001', amount: 1500, currency: 'KZT', exp: 2e9 }, { label: 'Shop' });
 * // { countryCode: 'KZ', currencyCode: 'KZT', total: { label: 'Shop', amount: '1500.00', type: 'final' }, … }
 */
export function buildPaymentRequest(order: OrderClaims, options: PaymentRequestOptions = {}): ApplePayPaymentRequest {
  const contactFields = list(options.contactFields, DEFAULT_CONTACT_FIELDS);
  const shipping = [
    ...new Set([...contactFields.filter((f) => SHIPPING_FIELDS.has(f)), ...list(options.shippingFields, [])]),
  ];
  const { total, lineItems, shippingMethods } = sheetContent(order, totalLabel(options));
  const request: ApplePayPaymentRequest = {
    countryCode: (options.country?.trim() || DEFAULT_COUNTRY).toUpperCase(),
    currencyCode: order.currency,
    supportedNetworks: list(options.networks, DEFAULT_NETWORKS),
    merchantCapabilities: capabilities(options.capabilities),
    total,
    requiredBillingContactFields: contactFields,
  };
  if (order.lineItems) request.lineItems = lineItems;
  if (order.shippingType) request.shippingType = order.shippingType;
  if (order.shippingMethods) request.shippingMethods = shippingMethods;
  if (shipping.length > 0) request.requiredShippingContactFields = shipping;
  // Older versions ignore the members; the element leaves them out there, so what it sends is what the sheet shows.
  if (options.couponCode != null && (options.version ?? 0) >= COUPON_VERSION) {
    request.supportsCouponCode = true;
    if (options.couponCode) request.couponCode = options.couponCode;
  }
  return request;
}

/** The total line's label: the `label` attribute, else the fallback (the page's host name). */
export function totalLabel(options: PaymentRequestOptions): string {
  return options.label?.trim() || options.fallbackLabel || '';
}

/**
 * What the sheet shows of an order, in Apple's shapes: the payment request's and every sheet update's content, so
 * what the sheet shows is what the order says. The selected shipping method goes first: Apple selects the first.
 *
 * @example
 * sheetContent({ …order, shippingMethods: [courier, pickup], shippingMethod: 'pickup' }, 'Shop').shippingMethods;
 * // [{ identifier: 'pickup', … }, { identifier: 'courier', … }]
 */
export function sheetContent(order: OrderClaims, label: string): SheetContent {
  const methods = [...(order.shippingMethods ?? [])];
  const selected = methods.findIndex((m) => m.identifier === order.shippingMethod);
  if (selected > 0) methods.unshift(...methods.splice(selected, 1));
  return {
    total: { label, amount: formatAmount(order.amount), type: 'final' },
    // Spread: a verified order's items carry only Apple's fields (the proxy refuses any other).
    lineItems: (order.lineItems ?? []).map((i) => ({ type: 'final', ...i, amount: formatAmount(i.amount) })),
    shippingMethods: methods.map((m) => ({ detail: '', ...m, amount: formatAmount(m.amount) })),
  };
}

/**
 * `supports3DS` first and always, then the merchant's other capabilities (`supportsCredit`, `supportsDebit`);
 * `supportsEMV` is dropped, however it is spelled: 'supportsEMV, supportsDebit' gives ['supports3DS', 'supportsDebit'].
 */
function capabilities(value: string | null | undefined): string[] {
  const extra = list(value, []).filter((c) => c.toLowerCase() !== REFUSED_CAPABILITY);
  return [...new Set([REQUIRED_CAPABILITY, ...extra])];
}

/**
 * Apple wants the amount as a decimal string; ePay amounts have at most two decimals.
 *
 * @example
 * formatAmount(1500); // "1500.00"
 */
export function formatAmount(amount: number): string {
  return amount.toFixed(2);
}

/** A comma-separated attribute as a list without blanks or repeats; an empty attribute means the default. */
function list(value: string | null | undefined, fallback: string[]): string[] {
  const items = [
    ...new Set(
      (value ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ];
  return items.length > 0 ? items : [...fallback];
}

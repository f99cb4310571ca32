/** @module Pure rule: the order's claims and the element's attributes make the ApplePayPaymentRequest. */
import type { OrderClaims } from './order-token.js';

/** The subset of Apple Pay JS's `ApplePayPaymentRequest` the element sends. */
export interface ApplePayPaymentRequest {
  countryCode: string;
  currencyCode: string;
  supportedNetworks: string[];
  merchantCapabilities: string[];
  total: { label: string; amount: string; type: 'final' };
  requiredBillingContactFields?: string[];
  requiredShippingContactFields?: string[];
}

/** The attributes that shape the request, as the element holds them (comma-separated lists). */
export interface PaymentRequestOptions {
  label?: string | null;
  country?: string | null;
  networks?: string | null;
  /** Extra `merchantCapabilities`; `supports3DS` is always sent and `supportsEMV` never is. */
  capabilities?: string | null;
  contactFields?: string | null;
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
  const shipping = contactFields.filter((f) => SHIPPING_FIELDS.has(f));
  const request: ApplePayPaymentRequest = {
    countryCode: (options.country?.trim() || DEFAULT_COUNTRY).toUpperCase(),
    currencyCode: order.currency,
    supportedNetworks: list(options.networks, DEFAULT_NETWORKS),
    merchantCapabilities: capabilities(options.capabilities),
    total: {
      label: options.label?.trim() || options.fallbackLabel || '',
      amount: formatAmount(order.amount),
      type: 'final',
    },
    requiredBillingContactFields: contactFields,
  };
  if (shipping.length > 0) request.requiredShippingContactFields = shipping;
  return request;
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

/** @module Entry of both builds: defines `<epay-applepay-button>` once and re-exports the public API. */
import { EpayApplePayButton, TAG_NAME } from './epay-applepay-button.js';

// Both builds may land on one page (a script tag and a bundle): the first definition wins, quietly.
if (!customElements.get(TAG_NAME)) customElements.define(TAG_NAME, EpayApplePayButton);

export { EpayApplePayButton, TAG_NAME, buttonText } from './epay-applepay-button.js';
export { buildPaymentRequest, formatAmount } from './payment-request.js';
export type {
  ApplePayLineItem,
  ApplePayPaymentRequest,
  ApplePayShippingMethod,
  PaymentRequestOptions,
  SheetContent,
} from './payment-request.js';
export { decodeOrderToken } from './order-token.js';
export type { OrderClaims, OrderLineItem, OrderShippingMethod, DecodedOrder } from './order-token.js';
export { detectAvailability, resolveSupportedVersion, MAX_APPLE_PAY_VERSION } from './availability.js';
export { PROXY_TIMEOUT_MS } from './proxy-client.js';
export { APPLE_PAY_SDK_URL } from './apple-pay-sdk.js';
export type * from './events.js';

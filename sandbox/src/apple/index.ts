/** @module The fake Apple: keys, token minting and the merchant validation gateway. */
export {
  createFakeApple,
  DEFAULT_SANDBOX_MERCHANT_ID,
  DEFAULT_SANDBOX_DISPLAY_NAME,
  type FakeApple,
  type FakeAppleOptions,
  type FakeAppleFiles,
} from './fake-apple.js';
export type { FakeAppleGateway } from './gateway.js';
export type { ApplePayToken, ApplePayPaymentData, MintTokenInput, MintFaults } from './mint-token.js';
export { APPLE_LEAF_OID, APPLE_INTERMEDIATE_OID, MERCHANT_ID_OID, type FaultySigner } from './certificates.js';

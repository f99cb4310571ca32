/** @module Entry of the classic (IIFE) build: defines the element; `window.EpayApplePay` holds only the class, to keep the script small. */
export { EpayApplePayButton } from './index.js';

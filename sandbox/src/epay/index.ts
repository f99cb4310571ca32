/** @module The sandbox ePay: a local stand-in for Halyk's ePay with the real cryptography. */
export { SANDBOX_EPAY } from './sandbox-credentials.js';
export { startFakeEpay } from './server.js';
export { createFakeEpayApp } from './app.js';
export type { FakeEpayState, FakeEpayConfig } from './state.js';
export type {
  BankCall,
  Charge,
  ChargeOperation,
  ConfirmStyle,
  FakeEpay,
  FakeEpayOptions,
  FaultKind,
  Ledger,
  Notification,
  NotificationBody,
  NotificationFaultConfig,
  NotificationFaultKind,
  NotificationFaults,
  OperationFaultKind,
  OperationKind,
  PublicKeyFormat,
} from './types.js';
export { SCENARIOS, THREE_DS_FAILED, scenarioKey } from './scenarios.js';
export { THREE_DS_CODE } from './three-ds-pages.js';
export { DEFAULT_THREE_DS_SELF_COMPLETE_MS } from './state.js';
export {
  DEFAULT_LATE_MS,
  DEFAULT_NOTIFICATION_FAULT_SEED,
  DUPLICATE_DELAY_MAX_MS,
  DUPLICATE_DELAY_MIN_MS,
  NOTIFICATION_FAULT_KINDS,
} from './notification-faults.js';
export { FORGED_DECLINE } from './forged-notification.js';
export { BANK_ERRORS } from './bank-errors.js';
export { MIN_REFUND_AMOUNT, OPERATION_FAULT_KINDS } from './operations.js';
export { CURRENCY_NUMERIC, MAX_AMOUNT as MAX_BANK_AMOUNT, SUPPORTED_CURRENCIES } from './amount.js';

/** @module Everything one sandbox bank holds: settings, keys, tokens, ledger, 3-D Secure sessions, calls and notifications. */
import { setMaxListeners } from 'node:events';
import { createFaultPicker } from './faults.js';
import { createLedger } from './ledger.js';
import { createNotificationOutbox } from './notification-outbox.js';
import { OPERATION_FAULT_KINDS } from './operations.js';
import type { PaymentDetails } from './payment-details.js';
import { loadSandboxKeyPair, type SandboxKeyPair } from './rsa-keys.js';
import { SANDBOX_EPAY } from './sandbox-credentials.js';
import { createThreeDsStore, type ThreeDsStore } from './three-ds-store.js';
import { MAX_TIMER_MS } from './timer-limits.js';
import { createTokenStore, type TokenStore } from './token-store.js';
import type {
  BankCall,
  ConfirmStyle,
  FakeEpayOptions,
  FaultKind,
  Ledger,
  Notification,
  NotificationFaultConfig,
  NotificationFaults,
  OperationFaultKind,
  PublicKeyFormat,
} from './types.js';

/** How long the "slow" scenario waits by default: longer than any sane client timeout (the proxy's budget is 25 s). */
export const DEFAULT_SLOW_MS = 40_000;
/** The bank's token lifetime as the sandbox enforces it. */
export const DEFAULT_TOKEN_TTL_S = 7_200;
/** How long the bank waits for the merchant's confirm after the customer's 3-D Secure decision before settling itself. */
export const DEFAULT_THREE_DS_SELF_COMPLETE_MS = 10_000;

/** The options with every default filled in. */
export interface FakeEpayConfig {
  clientId: string;
  clientSecret: string;
  terminalId: string;
  slowMs: number;
  confirmStyle: ConfirmStyle;
  publicKeyFormat: PublicKeyFormat;
  expiresInAsString: boolean;
  tokenTtlS: number;
  deliverNotifications: boolean;
  notFoundHttpStatus: 200 | 400;
  failureCodeParam: 'code' | 'errorCode';
  singleStage: boolean;
  /** `false`: the bank never settles a 3-D Secure payment without the merchant's confirm. */
  threeDsSelfCompleteMs: number | false;
}

/** The live state behind one sandbox bank app. */
export interface FakeEpayState {
  readonly config: FakeEpayConfig;
  /** The public base URL, once a server listens; the 3-D Secure `action` is built from it. */
  baseUrl: string | undefined;
  latencyMs: number;
  /** The bank's RSA key pair; replaced by `rotateKey`. */
  keys: SandboxKeyPair;
  readonly tokens: TokenStore;
  readonly ledger: Ledger & { toJSON(): unknown };
  readonly threeDs: ThreeDsStore;
  /** Merchant extras per charge id. */
  readonly payments: Map<string, PaymentDetails>;
  readonly calls: BankCall[];
  readonly notifications: Notification[];
  /** Invoices whose status call answers 104 "Terminal not found" (a scenario), whatever the ledger holds. */
  readonly terminalNotFound: Set<string>;
  /** The next injected fault, if faults are on. */
  pickFault(): FaultKind | undefined;
  /** Queues a fault for the next operation call (first in, first out); a RangeError for an unknown kind. */
  failNextOperation(kind: OperationFaultKind): void;
  /** Takes the queued fault for this operation call, if any. */
  takeOperationFault(): OperationFaultKind | undefined;
  /** The notification faults in force, defaults filled in (a copy). */
  readonly notificationFaults: NotificationFaultConfig;
  /** Replaces the notification faults (`undefined` turns them off) and restarts their PRNG; a RangeError when out of range. */
  setNotificationFaults(faults: NotificationFaults | undefined): NotificationFaultConfig;
  /** Records a notification and, unless turned off, delivers it in the background, as the notification faults say. */
  notify(notification: Notification | undefined): void;
  /** Resolves once every notification so far is delivered, failed, skipped or lost, late and duplicate ones included. */
  flushNotifications(): Promise<void>;
  /**
   * Waits `ms`, or less if the bank shuts down (or `cancel` aborts) meanwhile. Resolves true when the whole wait passed,
   * false when it was cut short, so a timer's work can be called off.
   */
  sleep(ms: number, cancel?: AbortSignal): Promise<boolean>;
  /** Wakes every sleeper; later sleeps return at once. */
  shutdown(): void;
}

/**
 * Builds the state for one sandbox bank: validates the options and loads (or generates) its key.
 *
 * @example
 * ```ts
 * const state = await createFakeEpayState({ latencyMs: 150 });
 * ```
 */
export async function createFakeEpayState(options: FakeEpayOptions = {}): Promise<FakeEpayState> {
  const config: FakeEpayConfig = {
    clientId: options.clientId ?? SANDBOX_EPAY.clientId,
    clientSecret: options.clientSecret ?? SANDBOX_EPAY.clientSecret,
    terminalId: options.terminalId ?? SANDBOX_EPAY.terminalId,
    slowMs: nonNegative('slowMs', options.slowMs ?? DEFAULT_SLOW_MS),
    confirmStyle: options.confirmStyle ?? 'redirect',
    publicKeyFormat: options.publicKeyFormat ?? 'rsa-label-spki',
    expiresInAsString: options.expiresInAsString ?? false,
    tokenTtlS: nonNegative('tokenTtlS', options.tokenTtlS ?? DEFAULT_TOKEN_TTL_S),
    deliverNotifications: options.deliverNotifications ?? true,
    notFoundHttpStatus: options.notFoundHttpStatus ?? 200,
    failureCodeParam: options.failureCodeParam ?? 'code',
    singleStage: options.singleStage ?? false,
    threeDsSelfCompleteMs: selfCompleteMs(options.threeDsSelfCompleteMs ?? DEFAULT_THREE_DS_SELF_COMPLETE_MS),
  };
  const pickFault = options.faults ? createFaultPicker(options.faults) : () => undefined;
  const shutdownController = new AbortController();
  // Every pending slow answer listens for shutdown: hundreds at once under load are expected, not a leak.
  setMaxListeners(0, shutdownController.signal);
  const sleep = (ms: number, cancel?: AbortSignal): Promise<boolean> => {
    const signal = shutdownController.signal;
    if (signal.aborted || cancel?.aborted) return Promise.resolve(false);
    if (ms <= 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(true), ms);
      const wake = (): void => done(false);
      function done(elapsed: boolean): void {
        clearTimeout(timer);
        signal.removeEventListener('abort', wake);
        cancel?.removeEventListener('abort', wake);
        resolve(elapsed);
      }
      signal.addEventListener('abort', wake, { once: true });
      cancel?.addEventListener('abort', wake, { once: true });
    });
  };
  const outbox = createNotificationOutbox({
    deliver: config.deliverNotifications,
    faults: options.notificationFaults,
    sleep: (ms) => sleep(ms),
  });
  const operationFaults: OperationFaultKind[] = [];
  // Last: every option above is checked before seconds go into generating a key.
  const keys = await loadSandboxKeyPair(options.privateKeyPem);

  return {
    config,
    baseUrl: undefined,
    latencyMs: nonNegative('latencyMs', options.latencyMs ?? 0),
    keys,
    tokens: createTokenStore(config.tokenTtlS * 1000),
    ledger: createLedger(),
    threeDs: createThreeDsStore(),
    payments: new Map(),
    calls: [],
    notifications: outbox.notifications,
    terminalNotFound: new Set(),
    pickFault,
    failNextOperation(kind) {
      if (!OPERATION_FAULT_KINDS.includes(kind)) {
        throw new RangeError(`operation fault must be one of ${OPERATION_FAULT_KINDS.join(', ')}`);
      }
      operationFaults.push(kind);
    },
    takeOperationFault: () => operationFaults.shift(),
    get notificationFaults() {
      return outbox.faults;
    },
    setNotificationFaults: (faults) => outbox.setFaults(faults),
    notify: (notification) => outbox.notify(notification),
    flushNotifications: () => outbox.flush(),
    sleep,
    shutdown() {
      shutdownController.abort();
    },
  };
}

function selfCompleteMs(value: number | false): number | false {
  if (value === false) return false;
  if (!(typeof value === 'number' && value > 0 && value <= MAX_TIMER_MS)) {
    throw new RangeError(`threeDsSelfCompleteMs must be a number of ms from 1 to ${MAX_TIMER_MS}, or false for never`);
  }
  return value;
}

function nonNegative(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be a non-negative number`);
  return value;
}

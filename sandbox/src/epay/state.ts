/** @module Everything one sandbox bank holds: settings, keys, tokens, ledger, 3-D Secure sessions, calls and notifications. */
import { setMaxListeners } from 'node:events';
import { createFaultPicker } from './faults.js';
import { createLedger } from './ledger.js';
import { OPERATION_FAULT_KINDS } from './operations.js';
import { deliverNotification } from './notifications.js';
import type { PaymentDetails } from './payment-details.js';
import { loadSandboxKeyPair, type SandboxKeyPair } from './rsa-keys.js';
import { SANDBOX_EPAY } from './sandbox-credentials.js';
import { createThreeDsStore, type ThreeDsStore } from './three-ds-store.js';
import { createTokenStore, type TokenStore } from './token-store.js';
import type {
  BankCall,
  ConfirmStyle,
  FakeEpayOptions,
  FaultKind,
  Ledger,
  Notification,
  OperationFaultKind,
  PublicKeyFormat,
} from './types.js';

/** How long the "slow" scenario waits by default: longer than any sane client timeout (the proxy's budget is 25 s). */
export const DEFAULT_SLOW_MS = 40_000;
/** The bank's token lifetime as the sandbox enforces it. */
export const DEFAULT_TOKEN_TTL_S = 7_200;

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
  /** Records a notification and, unless turned off, delivers it in the background. */
  notify(notification: Notification | undefined): void;
  /** Resolves once every notification so far is delivered, failed or skipped. */
  flushNotifications(): Promise<void>;
  /** Waits `ms`, or less if the bank shuts down meanwhile. */
  sleep(ms: number): Promise<void>;
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
  };
  const pickFault = options.faults ? createFaultPicker(options.faults) : () => undefined;
  const keys = await loadSandboxKeyPair(options.privateKeyPem);
  const shutdownController = new AbortController();
  // Every pending slow answer listens for shutdown: hundreds at once under load are expected, not a leak.
  setMaxListeners(0, shutdownController.signal);
  const deliveries = new Set<Promise<void>>();
  const notifications: Notification[] = [];
  const operationFaults: OperationFaultKind[] = [];

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
    notifications,
    terminalNotFound: new Set(),
    pickFault,
    failNextOperation(kind) {
      if (!OPERATION_FAULT_KINDS.includes(kind)) {
        throw new RangeError(`operation fault must be one of ${OPERATION_FAULT_KINDS.join(', ')}`);
      }
      operationFaults.push(kind);
    },
    takeOperationFault: () => operationFaults.shift(),
    notify(notification) {
      if (!notification) return;
      notifications.push(notification);
      if (!config.deliverNotifications) {
        notification.delivery = 'skipped';
        return;
      }
      const delivery = deliverNotification(notification).finally(() => deliveries.delete(delivery));
      deliveries.add(delivery);
    },
    async flushNotifications() {
      while (deliveries.size > 0) await Promise.all(deliveries);
    },
    sleep(ms) {
      const signal = shutdownController.signal;
      if (ms <= 0 || signal.aborted) return Promise.resolve();
      return new Promise((resolve) => {
        const timer = setTimeout(done, ms);
        function done(): void {
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          resolve();
        }
        signal.addEventListener('abort', done, { once: true });
      });
    },
    shutdown() {
      shutdownController.abort();
    },
  };
}

function nonNegative(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be a non-negative number`);
  return value;
}

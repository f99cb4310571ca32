/** @module Public types of the sandbox ePay: its options, its handle, and what it records. */

/** How `GET /public.rsa` spells the bank's public key. */
export type PublicKeyFormat = 'rsa-label-spki' | 'spki' | 'pkcs1' | 'bare';

/** How `POST /payment/confirm` answers: a 302 with `Location`, or a 200 with JSON `{ "url": … }`. */
export type ConfirmStyle = 'redirect' | 'ok-body';

/** Options of {@link startFakeEpay} and {@link createFakeEpayApp}. Every field is optional. */
export interface FakeEpayOptions {
  /** Defaults to `SANDBOX_EPAY.clientId`. */
  clientId?: string;
  /** Defaults to `SANDBOX_EPAY.clientSecret`. */
  clientSecret?: string;
  /** Defaults to `SANDBOX_EPAY.terminalId`. */
  terminalId?: string;
  /** Listen address; default `127.0.0.1`. */
  host?: string;
  /** Listen port; default `0` (a free port). */
  port?: number;
  /** Added before answering every bank call (benchmarks inject 150 ms). Default 0. */
  latencyMs?: number;
  /** How long the "slow" scenario and the slow fault wait before answering. Default 40 000 ms. */
  slowMs?: number;
  /** `redirect` (default): 302 + `Location`. `ok-body`: 200 with `{ "url": "<the page>" }`. */
  confirmStyle?: ConfirmStyle;
  /** Default `rsa-label-spki`: an SPKI body inside `BEGIN RSA PUBLIC KEY`, like the production file. */
  publicKeyFormat?: PublicKeyFormat;
  /** Answer `expires_in` as the string `"7200"` instead of the number. */
  expiresInAsString?: boolean;
  /** Lifetime of a bank token in seconds (fractions allowed), also answered as `expires_in`; default 7200 like the bank. */
  tokenTtlS?: number;
  /** A seeded, reproducible share of token/cryptopay/status/confirm calls fails as slow, 5xx, garbage or dropped. */
  faults?: { rate: number; seed: number };
  /** PEM (PKCS#8 or PKCS#1) of an RSA private key to use instead of generating an RSA-4096 one. */
  privateKeyPem?: string;
  /** Default true: POST the postLink/failurePostLink notifications. They are always recorded. */
  deliverNotifications?: boolean;
  /** The query parameter of the failure page's code: `code` (default, the bank's page) or `errorCode` (its SDK). */
  failureCodeParam?: 'code' | 'errorCode';
  /** The HTTP status of the status call's "invoice not found" (`resultCode` 102): 200 (default) or 400. */
  notFoundHttpStatus?: 200 | 400;
  /**
   * A single-stage terminal: a paid payment is recorded as CHARGE (taken at once). Default false: a two-stage terminal,
   * where a paid payment stays AUTH until `POST /operation/:id/charge` (docs/sandbox.md).
   */
  singleStage?: boolean;
  /**
   * Seeded, reproducible faults in the delivery of postLink / failurePostLink notifications: a share lost, sent twice,
   * sent late, or accompanied by a forgery. Off by default; `setNotificationFaults` (or
   * `POST /_sandbox/notification-faults`) changes them on a running bank. A RangeError when a value is out of range.
   */
  notificationFaults?: NotificationFaults;
  /**
   * How long after the customer's decision on the 3-D Secure password page the bank waits for the merchant's
   * `payment/confirm` before it settles the payment itself and notifies, as if the customer closed the tab. Default
   * 10 000 ms; `false` never. A RangeError for 0, a negative number, NaN, Infinity or more than 2^31-1 ms.
   */
  threeDsSelfCompleteMs?: number | false;
}

/**
 * What can happen to one notification: `lost` (recorded, never sent), `duplicated` (sent twice), `late` (sent after
 * `lateMs`), `forged` (an attacker posts the opposite outcome to the same URL as well).
 */
export type NotificationFaultKind = 'lost' | 'duplicated' | 'late' | 'forged';

/**
 * The notification faults. Each share is 0..1 (default 0) and drawn per notification from a mulberry32 PRNG seeded with
 * `seed` (default 1), so the same seed and the same sequence of notifications always fault the same ones.
 */
export interface NotificationFaults {
  /** Integer; default 1. */
  seed?: number;
  /** Share recorded with `delivery: 'lost'` and never sent. */
  lost?: number;
  /** Share sent twice, the second 50 to 200 ms after the first. */
  duplicated?: number;
  /** Share sent after `lateMs` instead of at once. */
  late?: number;
  /** How long a late notification waits; default 2 000 ms. */
  lateMs?: number;
  /** Share followed by a forged notification claiming the opposite outcome, posted at once to the same URL. */
  forged?: number;
}

/** {@link NotificationFaults} with every default filled in: what the bank applies, and what the control route answers. */
export type NotificationFaultConfig = Required<NotificationFaults>;

/** What an operation on a payment does: capture an AUTH, void an AUTH, or refund a charge. */
export type OperationKind = 'charge' | 'cancel' | 'refund';

/** One operation the bank did on a payment. */
export interface ChargeOperation {
  kind: OperationKind;
  /** What was captured, voided (the whole authorized amount) or refunded. */
  amount: number;
  /** The merchant's own id of a refund (`externalID`), when it gave one. */
  externalId?: string;
  /** When the bank did it, ISO 8601. */
  at: string;
}

/** One transaction the sandbox bank holds. Never carries the full card number. */
export interface Charge {
  id: string;
  invoiceId: string;
  amount: number;
  currency: string;
  reference: string;
  /**
   * NEW while waiting for 3-D Secure; `3D` when the 3-D Secure check failed. A paid payment is AUTH (CHARGE with
   * `singleStage`); operations move it to CHARGE, CANCEL, PARTIAL_REFUND or REFUND.
   */
  statusName: 'AUTH' | 'CHARGE' | 'CANCEL' | 'PARTIAL_REFUND' | 'REFUND' | 'FAILED' | 'REJECT' | '3D' | 'NEW';
  /** `00` when approved, the decline code otherwise, `""` while waiting for 3-D Secure. */
  reasonCode: string;
  /** Like `440043******0001`. */
  cardMask: string;
  createdAt: Date;
  /** Operations done on it, oldest first. The sandbox always sets the three fields below; a hand-built Charge may omit them. */
  operations?: ChargeOperation[];
  /** What was taken: 0 while AUTH, the captured amount after a charge (the whole amount on a single-stage terminal). */
  chargedAmount?: number;
  /** What was given back by refunds so far. */
  refundedAmount?: number;
}

/** The sandbox bank's book of transactions. */
export interface Ledger {
  /** Every transaction, oldest first. */
  transactions: Charge[];
  byInvoice(invoiceId: string): Charge[];
  /** The invoice's transactions under which money is held or taken: AUTH, CHARGE or PARTIAL_REFUND. */
  paid(invoiceId: string): Charge[];
  /** Forgets every transaction. */
  reset(): void;
}

/** Which way an injected fault breaks a bank call. */
export type FaultKind = 'slow' | '5xx' | 'garbage' | 'dropped';

/**
 * Which way a queued fault (`failNextOperation`) breaks the next operation call: `hang` (done, answered after
 * `slowMs`), `5xx` (the bank's 500, nothing done), `garbage` (done, 200 HTML), `dropped_after` (done, connection cut),
 * `dropped_before` (connection cut, nothing done).
 */
export type OperationFaultKind = 'hang' | '5xx' | 'garbage' | 'dropped_after' | 'dropped_before';

/** One request the sandbox received (never with secrets, tokens or cryptograms). */
export interface BankCall {
  method: string;
  /** The path without the query string. */
  path: string;
  invoiceId?: string;
  /** `Date.now()` when the request arrived. */
  at: number;
  /** The HTTP status answered; 0 while pending and when the connection was dropped. */
  status: number;
  /** Set when the seeded fault injector broke this call. */
  fault?: FaultKind;
  /** Set when a fault queued with `failNextOperation` broke this operation call. */
  operationFault?: OperationFaultKind;
}

/** The JSON body ePay POSTs to `postLink` / `failurePostLink` (docs/sandbox.md). */
export interface NotificationBody {
  code: 'ok' | 'error';
  reason: string;
  reasonCode: string;
  id: string;
  invoiceId: string;
  amount: number;
  currency: string;
  terminal: string;
  accountId: string;
  description: string;
  language: string;
  cardMask: string;
  cardType: string;
  cardId: string;
  issuer: string;
  reference: string;
  approvalCode: string;
  secure: string;
  dateTime: string;
  name: string;
  email: string;
  phone: string;
}

/** A notification the bank produced, and what happened when it tried to deliver it. */
export interface Notification {
  kind: 'postLink' | 'failurePostLink';
  url: string;
  body: NotificationBody;
  /** `Date.now()` when it was produced. */
  at: number;
  /**
   * `skipped` when `deliverNotifications` is false; `lost` when the `lost` fault dropped it; `cancelled` when the bank
   * stopped before a late (or duplicate) delivery was due.
   */
  delivery: 'pending' | 'delivered' | 'failed' | 'skipped' | 'lost' | 'cancelled';
  /** `Date.now()` when it was posted; absent while waiting, and when lost, skipped or cancelled. */
  sentAt?: number;
  /** The merchant's HTTP status, when it answered. */
  httpStatus?: number;
  /** Why delivery failed (network error, timeout), when it did. */
  error?: string;
  /**
   * On the bank's own notification: the notification faults drawn for it, in the order `lost`, `duplicated`, `late`,
   * `forged` (`forged`: a forgery accompanies it). Absent when none was.
   */
  faults?: NotificationFaultKind[];
  /** The second POST of a `duplicated` notification: the same body, its own delivery record. */
  duplicate?: true;
  /** Not the bank's: an attacker's POST claiming the opposite outcome (the `forged` fault). */
  forged?: true;
}

/** A running sandbox bank, from {@link startFakeEpay}. */
export interface FakeEpay {
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** `${url}/oauth2/token`. */
  oauthUrl: string;
  /**
   * `${url}`: `/public.rsa`, `/payment/cryptopay`, `/payment/confirm`, `/check-status/payment/transaction/:invoiceId`,
   * `/operation/:id/charge|cancel|refund`.
   */
  apiUrl: string;
  ledger: Ledger;
  calls: BankCall[];
  notifications: Notification[];
  setLatency(ms: number): void;
  /**
   * Queues a fault for the next operation call (`/operation/:id/…`); each queued fault breaks one call, first in first
   * out. Throws a RangeError for an unknown kind.
   *
   * @example
   * ```ts
   * epay.failNextOperation('dropped_after'); // the next refund is done, but its answer never arrives
   * ```
   */
  failNextOperation(kind: OperationFaultKind): void;
  /**
   * Replaces the bank's RSA key (as the bank does when it rotates `public.rsa`): cryptograms under the old key are
   * refused from then on. Takes a PEM private key.
   */
  rotateKey(privateKeyPem: string): Promise<void>;
  /**
   * Replaces the notification faults (`undefined` or `{}` turns them off) and restarts their PRNG from the seed, so the
   * notifications from here on fault reproducibly. A RangeError when a value is out of range; returns the faults with
   * their defaults filled in.
   *
   * @example
   * ```ts
   * epay.setNotificationFaults({ seed: 7, lost: 0.2, duplicated: 0.2, late: 0.2, forged: 0.2 });
   * ```
   */
  setNotificationFaults(faults: NotificationFaults | undefined): NotificationFaultConfig;
  /**
   * Resolves once every notification produced so far has been delivered, has failed, was skipped or lost, including
   * late and duplicate deliveries still waiting (and forgeries).
   */
  flushNotifications(): Promise<void>;
  /** Stops listening, cuts open connections, wakes any slow answer, and cancels late deliveries and 3-D Secure self-completions. */
  close(): Promise<void>;
}

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
}

/** One transaction the sandbox bank holds. Never carries the full card number. */
export interface Charge {
  id: string;
  invoiceId: string;
  amount: number;
  currency: string;
  reference: string;
  /** NEW while waiting for 3-D Secure; `3D` when the 3-D Secure check failed. */
  statusName: 'AUTH' | 'CHARGE' | 'FAILED' | 'REJECT' | '3D' | 'NEW';
  /** `00` when approved, the decline code otherwise, `""` while waiting for 3-D Secure. */
  reasonCode: string;
  /** Like `440043******0001`. */
  cardMask: string;
  createdAt: Date;
}

/** The sandbox bank's book of transactions. */
export interface Ledger {
  /** Every transaction, oldest first. */
  transactions: Charge[];
  byInvoice(invoiceId: string): Charge[];
  /** The invoice's transactions whose status is AUTH or CHARGE. */
  paid(invoiceId: string): Charge[];
  /** Forgets every transaction. */
  reset(): void;
}

/** Which way an injected fault breaks a bank call. */
export type FaultKind = 'slow' | '5xx' | 'garbage' | 'dropped';

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
  /** `skipped` when `deliverNotifications` is false. */
  delivery: 'pending' | 'delivered' | 'failed' | 'skipped';
  /** The merchant's HTTP status, when it answered. */
  httpStatus?: number;
  /** Why delivery failed (network error, timeout), when it did. */
  error?: string;
}

/** A running sandbox bank, from {@link startFakeEpay}. */
export interface FakeEpay {
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** `${url}/oauth2/token`. */
  oauthUrl: string;
  /** `${url}`: `/public.rsa`, `/payment/cryptopay`, `/payment/confirm`, `/check-status/payment/transaction/:invoiceId`. */
  apiUrl: string;
  ledger: Ledger;
  calls: BankCall[];
  notifications: Notification[];
  setLatency(ms: number): void;
  /**
   * Replaces the bank's RSA key (as the bank does when it rotates `public.rsa`): cryptograms under the old key are
   * refused from then on. Takes a PEM private key.
   */
  rotateKey(privateKeyPem: string): Promise<void>;
  /** Resolves once every notification produced so far has been delivered, has failed, or was skipped. */
  flushNotifications(): Promise<void>;
  /** Stops listening, cuts open connections and wakes any slow answer. */
  close(): Promise<void>;
}

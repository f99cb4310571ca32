/**
 * @module What every ePay call shares: the keep-alive agent, the API base, the credentials, the timeouts, and who is
 * told how each call went (the metrics).
 */
import type { Agent } from 'undici';
import type { CallResult } from '../call-result.js';

export const TOKEN_TIMEOUT_MS = 5_000;
export const PUBLIC_KEY_TIMEOUT_MS = 5_000;
export const CRYPTOPAY_TIMEOUT_MS = 14_000;
export const STATUS_TIMEOUT_MS = 4_000;
export const CONFIRM_TIMEOUT_MS = 15_000;
/** A charge, cancel or refund may move money: it gets as long as `cryptopay`. */
export const OPERATION_TIMEOUT_MS = 14_000;
/** Pause before the one retry of a token or key fetch. */
export const FETCH_RETRY_DELAY_MS = 200;

export interface EpayTimeouts {
  tokenMs: number;
  publicKeyMs: number;
  cryptopayMs: number;
  statusMs: number;
  confirmMs: number;
  operationMs: number;
}

export const DEFAULT_TIMEOUTS: Readonly<EpayTimeouts> = {
  tokenMs: TOKEN_TIMEOUT_MS,
  publicKeyMs: PUBLIC_KEY_TIMEOUT_MS,
  cryptopayMs: CRYPTOPAY_TIMEOUT_MS,
  statusMs: STATUS_TIMEOUT_MS,
  confirmMs: CONFIRM_TIMEOUT_MS,
  operationMs: OPERATION_TIMEOUT_MS,
};

/** The bank's credentials and hosts. */
export interface EpayCredentials {
  clientId: string;
  clientSecret: string;
  terminalId: string;
  oauthUrl: string;
  /** API base without a trailing slash. */
  api: string;
}

/** The bank's endpoints, as the metrics name them. */
export type BankEndpoint = 'token' | 'public_key' | 'cryptopay' | 'confirm' | 'status' | 'charge' | 'cancel' | 'refund';

/**
 * Told once per call to the bank: its endpoint, how it ended, and how long it took (undefined when it was never sent
 * for lack of time). Must not throw, and must be cheap: it runs on the payment's path.
 */
export type BankCallObserver = (endpoint: BankEndpoint, result: CallResult, seconds: number | undefined) => void;

export interface BankLine {
  agent: Agent;
  credentials: EpayCredentials;
  timeouts: EpayTimeouts;
  observe?: BankCallObserver | undefined;
}

/** The time a call may take: its own cap, or what is left before the caller's deadline. */
export function remaining(deadline: number, capMs: number): number {
  return Math.min(capMs, deadline - Date.now());
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A string field of a bank answer, numbers spelled as text. */
export function text(v: unknown): string {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '';
}

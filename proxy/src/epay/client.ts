/**
 * @module The ePay client: one object per proxy that owns the keep-alive agent, the bank tokens (a fresh one per
 * operation, a payment's asked for early), the cached public key, and the calls: `cryptopay`, `payment/confirm` and
 * the status call. Every call has its own timeout and never throws: answers are classified for the caller.
 */
import type { Agent } from 'undici';
import { type BankCallObserver, type BankLine, DEFAULT_TIMEOUTS, type EpayTimeouts } from './bank-line.js';
import type { ConfirmResult } from './confirm-result.js';
import { sendConfirm } from './confirm.js';
import { type CryptopayOutcome, sendCryptopay } from './cryptopay.js';
import { createBankAgent } from './http.js';
import { type OperationOutcome, type OperationRequest, sendOperation } from './operations.js';
import { createPublicKeyCache } from './public-key-cache.js';
import { checkStatus, type StatusOutcome, type StatusQuery } from './status.js';
import { createTokenSource } from './tokens.js';

export type { BankCallObserver, BankEndpoint, EpayTimeouts } from './bank-line.js';
export { classifyCryptopay, type CryptopayOutcome, NOT_FINAL_CODES } from './cryptopay.js';
export type { OperationKind, OperationOutcome, OperationRequest } from './operations.js';
export { STATUS_NOT_FOUND, STATUS_OK, type StatusOutcome, type StatusQuery } from './status.js';
export { EPAY_SCOPE, type TokenResult, type TokenScope } from './tokens.js';

export interface EpayClientOptions {
  clientId: string;
  clientSecret: string;
  terminalId: string;
  oauthUrl: string;
  apiUrl: string;
  agent?: Agent;
  /** Overrides of the default timeouts (tests shorten them; production keeps the defaults). */
  timeouts?: Partial<EpayTimeouts>;
  /** Told how each call to the bank went (the proxy's metrics). */
  observe?: BankCallObserver;
}

/**
 * Creates the client.
 *
 * @example
 * ```ts
 * const epay = createEpayClient(config.epay);
 * const t = await epay.getPaymentToken({ invoiceId: '000123456', amount: 1500, currency: 'KZT' }, Date.now() + 5000);
 * ```
 */
export function createEpayClient(opts: EpayClientOptions) {
  const line: BankLine = {
    agent: opts.agent ?? createBankAgent(),
    credentials: {
      clientId: opts.clientId,
      clientSecret: opts.clientSecret,
      terminalId: opts.terminalId,
      oauthUrl: opts.oauthUrl,
      api: opts.apiUrl.replace(/\/+$/, ''),
    },
    timeouts: { ...DEFAULT_TIMEOUTS, ...opts.timeouts },
    observe: opts.observe,
  };
  const tokens = createTokenSource(line);
  const keys = createPublicKeyCache(line);
  return {
    ...tokens,
    ...keys,
    /** Calls `cryptopay` once. Never retried by this client: an unclear answer is for the status call. */
    cryptopay: (body: Record<string, unknown>, token: string, deadline: number): Promise<CryptopayOutcome> =>
      sendCryptopay(line, body, token, deadline),
    /** The status call for an invoice, with a fresh terminal token. */
    status: (scope: StatusQuery, deadline: number): Promise<StatusOutcome> =>
      checkStatus(line, () => tokens.getTerminalToken(deadline), scope, deadline),
    /** Sends the 3-D Secure result with a payment token. */
    confirm: (
      input: { id: string; paRes: string; md: string },
      token: string,
      deadline: number,
    ): Promise<ConfirmResult> => sendConfirm(line, input, token, deadline),
    /** Sends a charge, cancel or refund once, with a fresh terminal token. Never retried: an unclear answer is for the status call. */
    operation: (request: OperationRequest, deadline: number): Promise<OperationOutcome> =>
      sendOperation(line, () => tokens.getTerminalToken(deadline), request, deadline),
    close: () => line.agent.close(),
  };
}

export type EpayClient = ReturnType<typeof createEpayClient>;

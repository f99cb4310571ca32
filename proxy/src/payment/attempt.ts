/**
 * @module One payment attempt: its order, the bank scope and deadline it runs under, the earlier failures it must not
 * take for its own, and the facts its log line reads (never card data).
 */
import type { ApplePayPayment } from '../applepay/payment-types.js';
import type { TokenScope } from '../epay/client.js';
import { type ErrorCode, ProxyError } from '../errors.js';
import type { Order } from '../order.js';
import { declinedAnswer, type PaymentAnswer, paidAnswer } from './answer.js';

/** Whole budget of one payment: the answer must reach the element before Apple's 30 s (docs/money-rules.md: 25 s). */
export const PAYMENT_BUDGET_MS = 24_000; // + RELEASE_WAIT_MS: under 25 s

/** The facts of an attempt that its request's log line carries. */
export interface AttemptLog {
  outcome?: string;
  bankCode?: number;
  reason?: string;
}

/**
 * @example
 * ```ts
 * const attempt = new PaymentAttempt(order, payment);
 * return attempt.paid(id, reference); // and the log line reads attempt.log
 * ```
 */
export class PaymentAttempt {
  readonly deadline: number;
  readonly scope: TokenScope;
  /** Failed transactions of earlier attempts (bank ids, or `'*'` for all): not this attempt's outcome. */
  readonly staleFailures = new Set<string>();
  readonly log: AttemptLog = {};

  constructor(
    readonly order: Order,
    readonly payment: ApplePayPayment,
    now = Date.now(),
  ) {
    this.deadline = now + PAYMENT_BUDGET_MS;
    this.scope = { invoiceId: order.invoiceId, amount: order.amount, currency: order.currency };
  }

  /** Adds a reason to the log line (the earlier ones kept). */
  note(reason: string): void {
    this.log.reason = this.log.reason ? `${this.log.reason}; ${reason}` : reason;
  }

  paid(id: string, reference: string): PaymentAnswer {
    this.log.outcome = 'paid';
    return paidAnswer(this.order, id, reference);
  }

  declined(bankCode: number | undefined, message: string): PaymentAnswer {
    this.log.outcome = 'declined';
    this.log.bankCode = bankCode;
    return declinedAnswer(bankCode, message);
  }

  /** Ends the attempt with a typed error, logged as its outcome. */
  fail(code: ErrorCode, message: string): never {
    this.log.outcome = code;
    throw new ProxyError(code, message);
  }
}

/** @module `POST /applepay/payments`: order + Apple Pay payment in, a definite answer out. */
import { Hono } from 'hono';
import * as v from 'valibot';
import { cleanPaymentData, PAYMENT_SCHEMA, type PaymentEnvelope } from '../applepay/payment-shape.js';
import type { HonoEnv } from '../hono-env.js';
import { countPayments } from '../middleware/outcome-metrics.js';
import { ProxyError } from '../errors.js';
import type { ApplePayPayment } from '../applepay/payment-types.js';
import { verifyOrder } from '../order.js';
import { PaymentAttempt } from '../payment/attempt.js';
import { takePayment } from '../payment/authorize.js';
import type { PaymentDeps } from '../payment/deps.js';
import { FIRST_ISSUE, plainObject, requestProblem } from '../schema.js';
import { readJsonBody } from './body.js';

const ORDER_RULE = 'must be the order token (a string)';
const PAYMENT_RULE = 'must be the ApplePayPayment object';

/** `{ order, payment }`; unknown keys dropped. The order first: a request with neither is refused for the order. */
const PAYMENT_REQUEST = plainObject(
  { order: v.string(ORDER_RULE), payment: PAYMENT_SCHEMA },
  { notObject: 'The body must be a JSON object', missing: { order: ORDER_RULE, payment: PAYMENT_RULE } },
);

/**
 * Checks the request's shape and rebuilds the payment from the fields Apple documents (unknown keys dropped);
 * `paymentData`'s contents are checked by {@link cleanPaymentData}.
 *
 * @example
 * ```ts
 * const { order, payment } = parsePaymentRequest(await readJsonBody(c));
 * ```
 * @throws {ProxyError} `invalid_request`.
 */
export function parsePaymentRequest(body: unknown): { order: string; payment: PaymentEnvelope } {
  const r = v.safeParse(PAYMENT_REQUEST, body, FIRST_ISSUE);
  if (!r.success) throw new ProxyError('invalid_request', requestProblem(r.issues[0]));
  return r.output;
}

export function paymentRoutes(deps: PaymentDeps) {
  return new Hono<HonoEnv>().post('/applepay/payments', countPayments(deps.metrics, 'authorize'), async (c) => {
    // Everything about the request is checked before takePayment claims the invoice or the token's replay key: a
    // refusal here leaves the order and the token free for a correct attempt.
    const { order: orderToken, payment: envelope } = parsePaymentRequest(await readJsonBody(c));
    const order = await verifyOrder(orderToken, deps.config.orderSigningSecret);
    const log = c.get('log');
    log.invoiceId = order.invoiceId;
    if (deps.events && (order.postLink !== undefined || order.failurePostLink !== undefined)) {
      throw new ProxyError(
        'invalid_order',
        'The order carries postLink/failurePostLink, but this proxy sends signed events instead (WEBHOOK_URL replaces them)',
      );
    }
    // After the order, as before: a bad token in a request with a bad order is reported as the order's problem.
    const payment: ApplePayPayment = {
      ...envelope,
      token: { ...envelope.token, paymentData: cleanPaymentData(envelope.token.paymentData) },
    };
    const attempt = new PaymentAttempt(order, payment);
    try {
      const answer = await takePayment(deps, attempt);
      deps.events?.paymentAnswered(order, answer.status);
      return c.json(answer, answer.status === 'declined' ? 402 : 200);
    } catch (err) {
      // The bank may hold the payment: reconciliation asks until it knows (docs/webhooks.md).
      if (err instanceof ProxyError && err.code === 'outcome_unknown') deps.events?.paymentAnswered(order, err.code);
      throw err;
    } finally {
      log.outcome = attempt.log.outcome;
      log.bankCode = attempt.log.bankCode;
      log.reason = attempt.log.reason;
    }
  });
}

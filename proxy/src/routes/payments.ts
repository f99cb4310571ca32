/** @module `POST /applepay/payments`: order + Apple Pay payment in, a definite answer out. */
import { Hono } from 'hono';
import { cleanPayment, cleanPaymentData, type PaymentEnvelope } from '../applepay/payment-shape.js';
import type { HonoEnv } from '../hono-env.js';
import { ProxyError } from '../errors.js';
import type { ApplePayPayment } from '../applepay/payment-types.js';
import { verifyOrder } from '../order.js';
import { PaymentAttempt } from '../payment/attempt.js';
import { takePayment } from '../payment/authorize.js';
import type { PaymentDeps } from '../payment/deps.js';
import { readJsonBody } from './body.js';

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

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
  if (!isObject(body)) throw new ProxyError('invalid_request', 'The body must be a JSON object');
  const order = Object.hasOwn(body, 'order') ? body.order : undefined;
  if (typeof order !== 'string') throw new ProxyError('invalid_request', '`order` must be the order token (a string)');
  return { order, payment: cleanPayment(Object.hasOwn(body, 'payment') ? body.payment : undefined) };
}

export function paymentRoutes(deps: PaymentDeps) {
  return new Hono<HonoEnv>().post('/applepay/payments', async (c) => {
    // Everything about the request is checked before takePayment claims the invoice or the token's replay key: a
    // refusal here leaves the order and the token free for a correct attempt.
    const { order: orderToken, payment: envelope } = parsePaymentRequest(await readJsonBody(c));
    const order = await verifyOrder(orderToken, deps.config.orderSigningSecret);
    const log = c.get('log');
    log.invoiceId = order.invoiceId;
    // After the order, as before: a bad token in a request with a bad order is reported as the order's problem.
    const payment: ApplePayPayment = {
      ...envelope,
      token: { ...envelope.token, paymentData: cleanPaymentData(envelope.token.paymentData) },
    };
    const attempt = new PaymentAttempt(order, payment);
    try {
      const answer = await takePayment(deps, attempt);
      return c.json(answer, answer.status === 'declined' ? 402 : 200);
    } finally {
      log.outcome = attempt.log.outcome;
      log.bankCode = attempt.log.bankCode;
      log.reason = attempt.log.reason;
    }
  });
}

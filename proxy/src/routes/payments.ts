/** @module `POST /applepay/payments`: order + Apple Pay payment in, a definite answer out. */
import { Hono } from 'hono';
import type { ProxyEnv } from '../context.js';
import { ProxyError } from '../errors.js';
import type { ApplePayPayment } from '../epay/cryptopay-request.js';
import { verifyOrder } from '../order.js';
import { takePayment, type PaymentDeps, type PaymentTrace } from '../payment.js';
import { readJsonBody } from './body.js';

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Checks the request's shape; the token's contents are checked by the token opener. */
export function parsePaymentRequest(body: unknown): { order: unknown; payment: ApplePayPayment } {
  if (!isObject(body)) throw new ProxyError('invalid_request', 'The body must be a JSON object');
  const { order, payment } = body;
  if (typeof order !== 'string') throw new ProxyError('invalid_request', '`order` must be the order token (a string)');
  if (!isObject(payment)) throw new ProxyError('invalid_request', '`payment` must be the ApplePayPayment object');
  const token = payment.token;
  if (!isObject(token) || !isObject(token.paymentData)) {
    throw new ProxyError('invalid_request', '`payment.token.paymentData` must be an object');
  }
  for (const c of ['billingContact', 'shippingContact'] as const) {
    if (payment[c] !== undefined && payment[c] !== null && !isObject(payment[c])) {
      throw new ProxyError('invalid_request', `\`payment.${c}\` must be an object`);
    }
  }
  return { order, payment: payment as unknown as ApplePayPayment };
}

export function paymentRoutes(deps: PaymentDeps) {
  return new Hono<ProxyEnv>().post('/applepay/payments', async (c) => {
    const { order: orderToken, payment } = parsePaymentRequest(await readJsonBody(c));
    const order = await verifyOrder(orderToken, deps.config.orderSigningSecret);
    const log = c.get('log');
    log.invoiceId = order.invoiceId;
    const trace: PaymentTrace = {};
    try {
      const answer = await takePayment(deps, order, payment, trace);
      return c.json(answer, answer.status === 'declined' ? 402 : 200);
    } finally {
      log.outcome = trace.outcome;
      log.bankCode = trace.bankCode;
      log.reason = trace.reason;
    }
  });
}

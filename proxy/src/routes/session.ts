/** @module `POST /applepay/session`: merchant validation with Apple over mutual TLS, for the page's own domain. */
import { Hono } from 'hono';
import * as v from 'valibot';
import type { HonoEnv } from '../hono-env.js';
import { ProxyError } from '../errors.js';
import { APPLE_VALIDATION_HOSTS, checkValidationUrl } from '../applepay/validation-url.js';
import { verifyOrder } from '../order.js';
import type { PaymentDeps } from '../payment/deps.js';
import { FIRST_ISSUE, plainObject, requestProblem } from '../schema.js';
import { readJsonBody } from './body.js';

/**
 * `{ validationURL, order }`: an object, nothing more here. Each field has its own check and error code after it
 * (`invalid_validation_url`, then `invalid_order`), so a missing one is left to them.
 */
const SESSION_REQUEST = plainObject(
  { validationURL: v.optional(v.unknown()), order: v.optional(v.unknown()) },
  { notObject: 'The body must be a JSON object' },
);

/**
 * Checks the shape of a `POST /applepay/session` body.
 *
 * @example
 * ```ts
 * const { validationURL, order } = parseSessionRequest(await readJsonBody(c));
 * ```
 * @throws {ProxyError} `invalid_request` when the body is not a JSON object.
 */
export function parseSessionRequest(body: unknown): { validationURL?: unknown; order?: unknown } {
  const r = v.safeParse(SESSION_REQUEST, body, FIRST_ISSUE);
  if (!r.success) throw new ProxyError('invalid_request', requestProblem(r.issues[0]));
  return r.output;
}

/** Requests a merchant session; the merchant-session client's shape. */
export interface MerchantSessions {
  requestSession(url: URL, initiativeContext: string, signal?: AbortSignal): Promise<unknown>;
}

/** The page's domain, from `Origin`, if it is one of APPLE_PAY_DOMAINS. */
function pageDomain(origin: string | undefined, domains: readonly string[]): string {
  let host = '';
  try {
    const u = new URL(origin ?? '');
    host = u.protocol === 'https:' || u.protocol === 'http:' ? u.hostname.toLowerCase() : '';
  } catch {
    host = '';
  }
  if (!host || !domains.includes(host)) {
    throw new ProxyError('origin_not_allowed', 'This page is not on a domain registered for Apple Pay');
  }
  return host;
}

export function sessionRoutes(deps: PaymentDeps, apple: MerchantSessions) {
  const hosts = deps.config.apple.validationHosts ?? APPLE_VALIDATION_HOSTS;
  return new Hono<HonoEnv>().post('/applepay/session', async (c) => {
    const domain = pageDomain(c.req.header('origin'), deps.config.apple.domains);
    const { validationURL, order: orderToken } = parseSessionRequest(await readJsonBody(c));
    const url = checkValidationUrl(validationURL, hosts);
    const order = await verifyOrder(orderToken, deps.config.orderSigningSecret);
    c.get('log').invoiceId = order.invoiceId;
    // The sheet is opening: fetch this order's bank token now, so that after Face ID only cryptopay is left.
    deps.epay.prefetchPaymentToken({ invoiceId: order.invoiceId, amount: order.amount, currency: order.currency });
    deps.epay.warmPublicKey();
    const session = await apple.requestSession(url, domain);
    c.get('log').outcome = 'session';
    return c.json(session as object, 200);
  });
}

/**
 * @module What the metrics count per request, read where the request's log line is read: the route pattern that
 * answered, a payment's outcome, an operation's. The middleware here run after the route, so an error answered by
 * `onError` (its code set on the log line) is counted like any other answer.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { HonoEnv } from '../hono-env.js';
import type { OperationVerb, PaymentStep, ProxyMetrics } from '../metrics.js';

/**
 * The route pattern that answered (`/operations/payments/:invoiceId/charge`), never the path: a bounded label. A
 * request no route took (404, or refused by a middleware before its route) is `unmatched`.
 */
export function routeOf(c: Context<HonoEnv>): string {
  const routes = matchedRoutes(c);
  for (let i = routes.length - 1; i >= 0; i--) {
    const r = routes[i]!;
    if (r.method !== 'ALL') return r.path;
  }
  return 'unmatched';
}

function codeOf(c: Context<HonoEnv>): string {
  const code = c.get('log').code;
  return typeof code === 'string' ? code : 'internal_error';
}

/**
 * Counts each answer of a payment route by outcome: `paid`, `3ds` or `declined`, the 3-D Secure return's outcome, or
 * the error code it was refused with.
 *
 * @example
 * ```ts
 * new Hono<HonoEnv>().post('/applepay/payments', countPayments(deps.metrics, 'authorize'), handler);
 * ```
 */
export function countPayments(metrics: ProxyMetrics | undefined, step: PaymentStep): MiddlewareHandler<HonoEnv> {
  return async (c, next) => {
    await next();
    if (!metrics) return;
    const outcome = c.get('log').outcome;
    metrics.payment(step, c.error || typeof outcome !== 'string' ? codeOf(c) : outcome);
  };
}

/**
 * Counts each answer of an operations API route: `done`, `replayed` (an idempotency key's earlier answer, whatever it
 * was), or the error code.
 *
 * @example
 * ```ts
 * app.post('/operations/payments/:invoiceId/charge', countOperations(metrics, 'charge'), handler);
 * ```
 */
export function countOperations(metrics: ProxyMetrics | undefined, verb: OperationVerb): MiddlewareHandler<HonoEnv> {
  return async (c, next) => {
    await next();
    if (!metrics) return;
    // A replay repeats an earlier answer, a refusal included: counted once as what it was, then as replayed.
    if (c.res.headers.has('idempotent-replayed')) metrics.operation(verb, 'replayed');
    else metrics.operation(verb, c.error || c.res.status >= 400 ? codeOf(c) : 'done');
  };
}

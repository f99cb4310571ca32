/**
 * @module `/operations/*`: the merchant's backend asks the payment's state, and captures, voids or refunds it. Bearer
 * keys compared in constant time, an `Idempotency-Key` on every `POST`, its own rate limit per key, never a CORS allow
 * header (docs/operations-api.md).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { type Context, Hono, type MiddlewareHandler } from 'hono';
import * as v from 'valibot';
import type { EpayClient, OperationKind } from '../epay/client.js';
import { ProxyError } from '../errors.js';
import type { PaymentEvents } from '../webhooks/event-service.js';
import type { HonoEnv } from '../hono-env.js';
import { countOperations } from '../middleware/outcome-metrics.js';
import { rateLimit } from '../middleware/rate-limit.js';
import type { ProxyMetrics } from '../metrics.js';
import { checkIdempotencyKey, once } from '../operations/idempotency.js';
import { currentPayment, OPERATION_BUDGET_MS, operate } from '../operations/operate.js';
import { paymentView } from '../operations/payment-view.js';
import type { ProxyStore } from '../store.js';
import { FIRST_ISSUE, isPlainObject } from '../schema.js';
import { MAX_JSON_DEPTH, nestsDeeperThan } from './body.js';

/** Requests per key per minute: a backend's capture and refund jobs, not a browser's clicks. */
export const OPERATIONS_RATE_PER_MINUTE = 600;
/** An invoice as the bank takes it: 6 to 15 digits. */
export const INVOICE_ID = /^\d{6,15}$/;

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * The key a request presents, checked against every configured key in constant time (digests of equal length, so
 * neither the length nor the first differing byte of a key shows in the time taken).
 */
function authenticate(keys: readonly string[]): MiddlewareHandler<HonoEnv> {
  const known = keys.map((k) => ({
    digest: digest(k),
    id: digest(`operations-key\n${k}`).toString('base64url').slice(0, 16),
  }));
  return async (c, next) => {
    const m = /^Bearer +(\S+)$/i.exec(c.req.header('authorization') ?? '');
    const presented = digest(m?.[1] ?? '');
    let id: string | undefined;
    for (const k of known) if (timingSafeEqual(presented, k.digest) && m) id = k.id;
    if (id === undefined)
      throw new ProxyError('unauthorized', 'Send Authorization: Bearer <one of OPERATIONS_API_KEYS>');
    c.set('operationsKey', id);
    c.get('log').keyId = id; // a digest's prefix, never the key
    return next();
  };
}

const AMOUNT_RULE = '`amount` must be a number > 0 with at most two decimals';

/**
 * An operation's body: `{}` or `{ amount }`, nothing else (a refund with a misspelt field must not refund it all).
 * Unknown keys are refused before the amount is read, so `{ "amont": 5 }` is `invalid_request`, not a full refund.
 */
const OPERATION_BODY = v.pipe(
  v.custom<Record<string, unknown>>(isPlainObject, 'The body must be a JSON object'),
  v.check((body) => Object.keys(body).every((k) => k === 'amount'), 'The body may only carry `amount`'),
  v.object({
    amount: v.optional(
      v.pipe(
        v.number(AMOUNT_RULE),
        // Read exactly from the JSON number's spelling: 1e21 and 1e-7 have no such spelling and are refused.
        v.check((n) => Number.isFinite(n) && n > 0 && /^\d+(?:\.\d{1,2})?$/.test(String(n)), AMOUNT_RULE),
      ),
    ),
  }),
);

/** An amount as the contract takes it: > 0, at most two decimals, read exactly from the JSON number. */
function readAmount(body: unknown): number | undefined {
  if (body === undefined) return undefined;
  const r = v.safeParse(OPERATION_BODY, body, FIRST_ISSUE);
  if (r.success) return r.output.amount;
  const [issue] = r.issues;
  // The amount's own rule has its own code; the body's shape is the request's.
  throw new ProxyError(issue.path?.[0]?.key === 'amount' ? 'invalid_amount' : 'invalid_request', issue.message);
}

/** The JSON body of an operation: none, or an object. */
function parseBody(text: string): unknown {
  if (text.trim() === '') return undefined;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ProxyError('invalid_request', 'The body is not JSON');
  }
  if (nestsDeeperThan(body, MAX_JSON_DEPTH)) throw new ProxyError('invalid_request', 'The body nests too deep');
  return body;
}

function invoiceOf(c: Context<HonoEnv>): string {
  const invoiceId = c.req.param('invoiceId') ?? '';
  if (!INVOICE_ID.test(invoiceId)) throw new ProxyError('invalid_request', 'The invoice must be 6 to 15 digits');
  c.get('log').invoiceId = invoiceId;
  return invoiceId;
}

/**
 * @example
 * ```ts
 * app.route('/', operationsRoutes({ epay, store, keys: config.operationsApiKeys }));
 * ```
 */
export function operationsRoutes(deps: {
  epay: EpayClient;
  store: ProxyStore;
  keys: readonly string[];
  events?: Pick<PaymentEvents, 'operationDone'>;
  metrics?: ProxyMetrics;
}) {
  const app = new Hono<HonoEnv>();
  app.use('/operations/*', authenticate(deps.keys));
  app.use(
    '/operations/*',
    rateLimit(OPERATIONS_RATE_PER_MINUTE, (c) => c.get('operationsKey') ?? 'unknown'),
  );

  app.get('/operations/payments/:invoiceId', countOperations(deps.metrics, 'status'), async (c) => {
    const invoiceId = invoiceOf(c);
    const found = await currentPayment(deps, invoiceId, Date.now() + OPERATION_BUDGET_MS);
    return c.json({ status: 'ok', payment: paymentView(invoiceId, found) });
  });

  for (const kind of ['charge', 'cancel', 'refund'] as const satisfies readonly OperationKind[]) {
    app.post(`/operations/payments/:invoiceId/${kind}`, countOperations(deps.metrics, kind), async (c) => {
      const invoiceId = invoiceOf(c);
      const key = checkIdempotencyKey(c.req.header('idempotency-key'));
      const text = await c.req.text();
      const body = parseBody(text);
      const log = c.get('log');
      log.outcome = kind;
      const answer = await once(
        deps.store,
        // One merchant per proxy: keys are the merchant's whichever bearer key sent them, so rotating bearer keys
        // never makes a retry run again.
        { scope: 'operations', key, fingerprint: `${c.req.method} ${c.req.path}\n${text}` },
        async () => {
          const amount = readAmount(body);
          const requestId = createHash('sha256').update(`operations\n${key}`).digest('base64url').slice(0, 24);
          const done = await operate(deps, { kind, invoiceId, requestId, ...(amount !== undefined ? { amount } : {}) });
          return { status: 200, body: { status: 'ok', ...done } };
        },
      );
      if ('replayed' in answer) c.header('idempotent-replayed', 'true');
      return c.json(answer.body as object, answer.status as 200);
    });
  }
  return app;
}

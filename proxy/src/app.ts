/** @module createProxyApp: the Hono app, wiring only. */
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { getConnInfo } from '@hono/node-server/conninfo';
import { createMerchantSessionClient } from './applepay/merchant-session.js';
import type { ProxyConfig } from './config.js';
import type { HonoEnv } from './hono-env.js';
import { createEpayClient, type EpayClient, type EpayTimeouts } from './epay/client.js';
import { ProxyError } from './errors.js';
import { createLogger, type Logger, type LogRecord } from './log.js';
import { createProxyMetrics, type ProxyMetrics } from './metrics.js';
import { cors } from './middleware/cors.js';
import { routeOf } from './middleware/outcome-metrics.js';
import { REQUEST_ID_HEADER, requestIdOf } from './middleware/request-id.js';
import { clientKeyOf, rateLimit } from './middleware/rate-limit.js';
import type { PaymentDeps } from './payment/deps.js';
import { healthRoutes } from './routes/health.js';
import { paymentRoutes } from './routes/payments.js';
import { sessionRoutes, type MerchantSessions } from './routes/session.js';
import { operationsRoutes } from './routes/operations.js';
import { threeDsRoutes } from './routes/three-ds.js';
import { createSealer } from './seal.js';
import { MemoryStore, type ProxyStore, StoreUnavailableError } from './store.js';
import { createAppleTokenReader } from './applepay/apple-token-reader.js';
import { Redis } from 'ioredis';
import { REDIS_COMMAND_TIMEOUT_MS, REDIS_CONNECT_TIMEOUT_MS } from './redis-store.js';
import { notificationRoutes } from './routes/notifications.js';
import { createEventService, type PaymentEvents } from './webhooks/event-service.js';
import type { EventTiming } from './webhooks/job-queue.js';

/** Largest request body: an Apple Pay payment with contacts is about 5 KiB. */
export const MAX_BODY_BYTES = 64 * 1024;

export interface ProxyAppOptions {
  /** One line per request; default JSON lines on stdout through pino at `LOG_LEVEL` (`createLogger`). */
  logger?: Logger;
  /** Prometheus metrics; default a new set on a registry of the app's own. Served only by `serveMetrics`. */
  metrics?: ProxyMetrics;
  /** In-flight locks and replay guard; default in memory (one instance). */
  store?: ProxyStore;
  /** The ePay client; default one built from the config. */
  epay?: EpayClient;
  /** Merchant validation; default mutual TLS to Apple with the identity certificate. */
  merchantSessions?: MerchantSessions;
  /** Shorter bank timeouts (tests). */
  epayTimeouts?: Partial<EpayTimeouts>;
  /** Extra trust anchors for Apple's gateway (tests; production uses Node's roots and NODE_EXTRA_CA_CERTS). */
  appleCa?: string | string[];
  /** Shorter event schedules (tests); the defaults are the contract's. */
  eventTiming?: Partial<EventTiming>;
}

const closers = new WeakMap<object, () => Promise<void>>();
const eventServices = new WeakMap<object, PaymentEvents>();
const metricSets = new WeakMap<object, ProxyMetrics>();

/** The event service of an app made with {@link createProxyApp}, when `WEBHOOK_URL` is set (tests, the readiness check). */
export function eventsOf(app: object): PaymentEvents | undefined {
  return eventServices.get(app);
}

/**
 * The metrics of an app made with {@link createProxyApp}, for `serveMetrics` on `METRICS_PORT` (never on the app).
 *
 * @example
 * ```ts
 * if (config.metricsPort !== undefined) await serveMetrics(metricsOf(app)!, { port: config.metricsPort });
 * ```
 */
export function metricsOf(app: object): ProxyMetrics | undefined {
  return metricSets.get(app);
}

/** Closes the connections an app made with {@link createProxyApp} holds. */
export async function closeProxyApp(app: object): Promise<void> {
  await closers.get(app)?.();
}

function clientAddress(c: Context, trustProxy: boolean): string {
  if (trustProxy) {
    // The rightmost entry is the one the trusted reverse proxy added; entries left of it are whatever the client sent.
    const xff = c.req.header('x-forwarded-for');
    const last = xff?.split(',').at(-1)?.trim();
    if (last) return last;
  }
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown'; // not served by @hono/node-server (app.request in tests, or mounted elsewhere)
  }
}

/**
 * Builds the proxy: `POST /applepay/session`, `POST /applepay/payments`, `POST /3ds/callback`, `GET /healthz`, and
 * with `OPERATIONS_API_KEYS` the operations API `/operations/*`.
 *
 * @example
 * ```ts
 * import { serve } from '@hono/node-server';
 * import { createProxyApp, loadConfig } from '@epay-applepay/proxy';
 * const config = loadConfig(process.env);
 * serve({ fetch: createProxyApp(config).fetch, port: config.port });
 * ```
 */
export function createProxyApp(config: ProxyConfig, options: ProxyAppOptions = {}): Hono<HonoEnv> {
  const log = options.logger ?? createLogger({ level: config.logLevel });
  const metrics = options.metrics ?? createProxyMetrics();
  const epay =
    options.epay ??
    createEpayClient({
      ...config.epay,
      observe: metrics.bankCall,
      ...(options.epayTimeouts ? { timeouts: options.epayTimeouts } : {}),
    });
  const store: ProxyStore = options.store ?? new MemoryStore();
  const events = config.webhooks
    ? createEventService({
        settings: config.webhooks,
        terminalId: config.epay.terminalId,
        publicUrl: config.publicUrl,
        epay,
        sealer: createSealer(config.orderSigningSecret, 'epay-notification'),
        log,
        metrics,
        ...(config.redisUrl === undefined ? {} : { redisUrl: config.redisUrl }),
        ...(options.eventTiming ? { timing: options.eventTiming } : {}),
      })
    : undefined;
  const deps: PaymentDeps = {
    config,
    epay,
    store,
    sealer: createSealer(config.orderSigningSecret, '3ds-context'),
    appleTokens: createAppleTokenReader(config),
    metrics,
    ...(events ? { events } : {}),
  };
  if (events) metrics.watchPending(() => events.pending());
  const appleClient =
    options.merchantSessions === undefined
      ? createMerchantSessionClient({
          identityCertPem: config.apple.identityCertPem,
          identityKeyPem: config.apple.identityKeyPem,
          merchantIdentifier: config.apple.merchantId,
          displayName: config.apple.displayName,
          observe: metrics.appleCall,
          ...(options.appleCa === undefined ? {} : { ca: options.appleCa }),
        })
      : undefined;
  const apple = options.merchantSessions ?? appleClient!;

  const app = new Hono<HonoEnv>();

  app.use('*', async (c, next) => {
    const started = performance.now();
    const reqId = requestIdOf(c.req.header(REQUEST_ID_HEADER));
    const record: LogRecord = { reqId };
    c.set('log', record);
    await next();
    // Every answer carries its id, errors and 404s included: the one thing a merchant needs to find its log line. Set on
    // the answer's own headers (as onError does): `c.header` after the answer is made would copy the whole Response.
    c.res.headers.set(REQUEST_ID_HEADER, reqId);
    const ms = performance.now() - started;
    metrics.request(routeOf(c), c.res.status, ms / 1000);
    log({
      level: c.res.status >= 500 ? 'error' : 'info',
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      ms: Math.round(ms * 10) / 10,
      ...record,
    });
  });
  app.use('*', async (c, next) => {
    await next();
    c.header('x-content-type-options', 'nosniff');
    if (!c.res.headers.has('cache-control')) c.header('cache-control', 'no-store');
  });
  app.use('/applepay/*', cors(config.allowedOrigins));
  const clientKey = (c: Context) => clientKeyOf(clientAddress(c, config.trustProxy));
  // With REDIS_URL every instance shares the counts (its own connection: a limiter's command must not wait behind the
  // store's, and the store's client is the merchant's when mounted).
  const limitRedis =
    config.redisUrl === undefined
      ? undefined
      : new Redis(config.redisUrl, {
          connectTimeout: REDIS_CONNECT_TIMEOUT_MS,
          commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
          maxRetriesPerRequest: 1,
          enableOfflineQueue: false,
        });
  limitRedis?.on('error', () => {}); // the limiter falls back to its own count; the store reports Redis trouble
  const shared = (name: string) => (limitRedis ? { redis: limitRedis, name } : undefined);
  app.use('/applepay/*', rateLimit(config.rateLimitPerMinute, clientKey, shared('applepay')));
  // The 3-D Secure return is limited too (every post of a valid context, replays included, costs calls to the bank),
  // on a count of its own: the customer's browser posts it once per payment, and it must not spend the allowance the
  // same address needs on /applepay/*.
  app.use('/3ds/callback', rateLimit(config.rateLimitPerMinute, clientKey, shared('3ds')));
  const limit = bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: () => {
      throw new ProxyError('payload_too_large', `The body is larger than ${MAX_BODY_BYTES} bytes`);
    },
  });
  app.use('/applepay/*', limit);
  app.use('/3ds/*', limit);
  app.use('/epay/*', limit);

  app.route('/', healthRoutes({ store, ...(events ? { events } : {}) }));
  app.route('/', sessionRoutes(deps, apple));
  app.route('/', paymentRoutes(deps));
  app.route('/', threeDsRoutes(deps));
  if (events) app.route('/', notificationRoutes(events));
  // The merchant's backend only: no CORS middleware on these paths, so no page can read an answer.
  if (config.operationsApiKeys.length > 0) {
    app.use('/operations/*', limit);
    app.route(
      '/',
      operationsRoutes({ epay, store, keys: config.operationsApiKeys, metrics, ...(events ? { events } : {}) }),
    );
  }

  app.notFound((c) => c.json({ status: 'error', error: { code: 'not_found', message: 'No such endpoint' } }, 404));
  app.onError((err, c) => {
    const e =
      err instanceof ProxyError
        ? err
        : err instanceof StoreUnavailableError
          ? new ProxyError('store_unavailable', 'The proxy cannot reach its store; nothing was charged, try again', {
              cause: err,
            })
          : new ProxyError('internal_error', 'Something went wrong in the proxy', { cause: err });
    const record = c.get('log') ?? {};
    record.code = e.code;
    if (e.code === 'internal_error' || e.code === 'store_unavailable')
      record.reason = err instanceof Error ? err.name : 'unknown';
    const res = c.json({ status: 'error', error: { code: e.code, message: e.message, ...e.details } }, e.status as 400);
    for (const [k, v] of Object.entries(e.headers ?? {})) res.headers.set(k, v);
    return res;
  });

  if (events) eventServices.set(app, events);
  metricSets.set(app, metrics);
  closers.set(app, async () => {
    // Events first: a check in flight may still call the bank.
    await events?.close();
    await Promise.allSettled([epay.close(), appleClient?.close(), store.close?.()]);
    limitRedis?.disconnect();
  });
  return app;
}

/**
 * @module The proxy's Prometheus metrics (docs/metrics.md): one prom-client `Registry` per app (never the global
 * one, so two apps in one process do not clash), and `serveMetrics`, the plain HTTP server of `METRICS_PORT`. Every
 * label value comes from a fixed set: no invoice id, path or message ever becomes one.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { CallResult } from './call-result.js';
import type { BankCallObserver, BankEndpoint } from './epay/bank-line.js';
import { ERROR_STATUS } from './errors.js';
import type { JobQueueEvent } from './webhooks/job-queue.js';

export const METRIC_PREFIX = 'epay_applepay_';
/** Latency buckets (seconds) of calls to the bank and Apple: the bank's own timeouts run from 4 to 15 s. */
export const CALL_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 8, 12, 16];
/** Latency buckets (seconds) of the proxy's own answers: a payment may take up to its 25 s budget. */
export const REQUEST_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 25];
/** A scrape waits this long for the event queues' counts (Redis with `REDIS_URL`), then reports the last ones. */
export const PENDING_READ_TIMEOUT_MS = 1_000;

/** Where a payment was answered: `POST /applepay/payments`, or the 3-D Secure return `POST /3ds/callback`. */
export type PaymentStep = 'authorize' | '3ds_callback';
export type OperationVerb = 'status' | 'charge' | 'cancel' | 'refund';

/**
 * Outcomes a payment's answer may have: the answer's status, the 3-D Secure return's own outcomes, and every error
 * code of the API. Anything else is counted as `other`, so no label value is made from outside input.
 */
const PAYMENT_OUTCOMES: ReadonlySet<string> = new Set([
  'paid',
  '3ds',
  'declined',
  'invalid_context',
  'session_expired',
  ...Object.keys(ERROR_STATUS),
]);
const OPERATION_OUTCOMES: ReadonlySet<string> = new Set(['done', 'replayed', ...Object.keys(ERROR_STATUS)]);

/** What the app and its parts tell the metrics. Every method is cheap and never throws. */
export interface ProxyMetrics {
  /** The registry holding every metric of this app (default process metrics included). */
  readonly registry: Registry;
  /** A payment answered at `step` with `outcome` (the answer's status, or its error code). */
  payment(step: PaymentStep, outcome: string): void;
  /** A call to the bank ended: for `createEpayClient({ observe })`. */
  readonly bankCall: BankCallObserver;
  /** A merchant validation call to Apple ended: for `createMerchantSessionClient({ observe })`. */
  readonly appleCall: (result: CallResult, seconds: number) => void;
  /** An operations API call answered (`done`, `replayed`, or its error code). */
  operation(verb: OperationVerb, outcome: string): void;
  /** A run of a webhook delivery or of a status check behind events ended. */
  webhookJob(queue: 'deliveries' | 'checks', event: JobQueueEvent): void;
  /** The proxy answered a request: its route pattern (never the path) and status. */
  request(route: string, status: number, seconds: number): void;
  /** Reads the event queues' pending counts at each scrape. */
  watchPending(read: () => Promise<{ deliveries: number; checks: number }>): void;
}

/** A labelled child per label value, made once: the hot path allocates nothing. */
function children<T>(make: (value: string) => T): (value: string) => T {
  const made = new Map<string, T>();
  return (value) => {
    let child = made.get(value);
    if (child === undefined) {
      child = make(value);
      made.set(value, child);
    }
    return child;
  };
}

function statusClass(status: number): string {
  return status >= 100 && status < 600 ? `${Math.floor(status / 100)}xx` : 'other';
}

/**
 * Creates the metrics of one app on a registry of its own.
 *
 * @example
 * ```ts
 * const metrics = createProxyMetrics();
 * const epay = createEpayClient({ ...config.epay, observe: metrics.bankCall });
 * ```
 */
export function createProxyMetrics(options: { defaultMetrics?: boolean } = {}): ProxyMetrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const name = (n: string) => `${METRIC_PREFIX}${n}`;

  const payments = new Counter({
    name: name('payments_total'),
    help: 'Payments answered, by step (authorize: POST /applepay/payments; 3ds_callback: the 3-D Secure return) and outcome (paid, 3ds, declined, or the error code)',
    labelNames: ['step', 'outcome'] as const,
    registers,
  });
  const bankRequests = new Counter({
    name: name('bank_requests_total'),
    help: 'Calls to ePay, by endpoint and result (ok, the HTTP status class, timeout, network)',
    labelNames: ['endpoint', 'result'] as const,
    registers,
  });
  const bankDuration = new Histogram({
    name: name('bank_request_duration_seconds'),
    help: 'Time of calls to ePay that were sent, by endpoint',
    labelNames: ['endpoint'] as const,
    buckets: CALL_BUCKETS,
    registers,
  });
  const appleRequests = new Counter({
    name: name('apple_session_requests_total'),
    help: 'Merchant validation calls to Apple, by result (ok, the HTTP status class, timeout, network, invalid)',
    labelNames: ['result'] as const,
    registers,
  });
  const appleDuration = new Histogram({
    name: name('apple_session_duration_seconds'),
    help: 'Time of merchant validation calls to Apple',
    buckets: CALL_BUCKETS,
    registers,
  });
  const operations = new Counter({
    name: name('operations_total'),
    help: 'Operations API calls, by verb (status, charge, cancel, refund) and outcome (done, replayed, or the error code)',
    labelNames: ['verb', 'outcome'] as const,
    registers,
  });
  const webhookDeliveries = new Counter({
    name: name('webhook_deliveries_total'),
    help: 'Runs of event deliveries to WEBHOOK_URL, by result (done; retry: failed, tried again later; gave_up: failed for 24 hours)',
    labelNames: ['result'] as const,
    registers,
  });
  const webhookChecks = new Counter({
    name: name('webhook_status_checks_total'),
    help: 'Runs of the status checks behind events, by result (done; retry: the payment is still open or the bank did not answer; gave_up)',
    labelNames: ['result'] as const,
    registers,
  });
  let readPending: (() => Promise<{ deliveries: number; checks: number }>) | undefined;
  new Gauge({
    name: name('webhook_pending'),
    help: 'Events waiting for delivery (queue=deliveries) and status checks waiting to run (queue=checks)',
    labelNames: ['queue'] as const,
    registers,
    async collect() {
      if (!readPending) return;
      let timer: NodeJS.Timeout | undefined;
      try {
        const p = await Promise.race([
          readPending(),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error('timeout')), PENDING_READ_TIMEOUT_MS);
          }),
        ]);
        this.set({ queue: 'deliveries' }, p.deliveries);
        this.set({ queue: 'checks' }, p.checks);
      } catch {
        // The queue's store did not answer: the last counts stay, and /readyz reports the store.
      } finally {
        clearTimeout(timer);
      }
    },
  });
  const httpRequests = new Counter({
    name: name('http_requests_total'),
    help: 'Requests the proxy answered, by route pattern and status class',
    labelNames: ['route', 'status_class'] as const,
    registers,
  });
  const httpDuration = new Histogram({
    name: name('http_request_duration_seconds'),
    help: 'Time the proxy took to answer, by route pattern',
    labelNames: ['route'] as const,
    buckets: REQUEST_BUCKETS,
    registers,
  });

  const paymentOf = children((key) => {
    const [step = '', outcome = ''] = key.split('\n');
    return payments.labels(step, outcome);
  });
  const bankOf = children((key) => {
    const [endpoint = '', result = ''] = key.split('\n');
    return bankRequests.labels(endpoint, result);
  });
  const bankTimeOf = children((endpoint) => bankDuration.labels(endpoint));
  const appleOf = children((result) => appleRequests.labels(result));
  const operationOf = children((key) => {
    const [verb = '', outcome = ''] = key.split('\n');
    return operations.labels(verb, outcome);
  });
  const deliveryOf = children((result) => webhookDeliveries.labels(result));
  const checkOf = children((result) => webhookChecks.labels(result));
  const httpOf = children((key) => {
    const [route = '', status = ''] = key.split('\n');
    return httpRequests.labels(route, status);
  });
  const httpTimeOf = children((route) => httpDuration.labels(route));

  // The outcomes alerts watch exist from the start at 0: a rule like `increase(…[10m]) > 0` then fires on the first
  // one, where a series that only appears with it would show no increase.
  for (const outcome of ['paid', '3ds', 'declined', 'outcome_unknown', 'bank_unavailable']) {
    paymentOf(`authorize\n${outcome}`).inc(0);
  }
  for (const outcome of ['paid', 'declined', 'outcome_unknown']) paymentOf(`3ds_callback\n${outcome}`).inc(0);
  for (const result of ['done', 'retry', 'gave_up']) {
    deliveryOf(result).inc(0);
    checkOf(result).inc(0);
  }

  return {
    registry,
    payment(step, outcome) {
      paymentOf(`${step}\n${PAYMENT_OUTCOMES.has(outcome) ? outcome : 'other'}`).inc();
    },
    bankCall(endpoint: BankEndpoint, result: CallResult, seconds: number | undefined) {
      bankOf(`${endpoint}\n${result}`).inc();
      if (seconds !== undefined) bankTimeOf(endpoint).observe(seconds);
    },
    appleCall(result, seconds) {
      appleOf(result).inc();
      appleDuration.observe(seconds);
    },
    operation(verb, outcome) {
      operationOf(`${verb}\n${OPERATION_OUTCOMES.has(outcome) ? outcome : 'other'}`).inc();
    },
    webhookJob(queue, event) {
      (queue === 'deliveries' ? deliveryOf : checkOf)(event.kind).inc();
    },
    request(route, status, seconds) {
      httpOf(`${route}\n${statusClass(status)}`).inc();
      httpTimeOf(route).observe(seconds);
    },
    watchPending(read) {
      readPending = read;
    },
  };
}

export interface MetricsServer {
  /** The port it listens on (the one asked for, or the one given for port 0). */
  port: number;
  close(): Promise<void>;
}

/**
 * Serves `GET /metrics` in Prometheus' text format on a port of its own, apart from the public app: nothing else
 * (404 for any other path, 405 for another method). Resolves once it listens.
 *
 * @example
 * ```ts
 * if (config.metricsPort !== undefined) await serveMetrics(metricsOf(app)!, { port: config.metricsPort });
 * ```
 */
export function serveMetrics(
  metrics: Pick<ProxyMetrics, 'registry'>,
  options: { port: number; hostname?: string },
): Promise<MetricsServer> {
  const { registry } = metrics;
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found: GET /metrics\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end();
      return;
    }
    registry.metrics().then(
      (text) => {
        res.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      () => {
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('Metrics could not be collected\n');
      },
    );
  });
  // A scrape is one short request: do not hold idle sockets open for long.
  server.keepAliveTimeout = 5_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.hostname, () => {
      server.off('error', reject);
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

/**
 * @module The proxy served over real HTTP on loopback from a worker thread of the benchmark's process: its own V8
 * heap, so its heap after a full GC is the proxy's alone, not the sandbox bank's records or the benchmark's. The
 * benchmark talks to it over HTTP like anyone else, and over the thread's message port for what only the proxy knows
 * (pending events, heap, a summary of its log lines). Needs `node --expose-gc` for the heap figures.
 */
import type { AddressInfo } from 'node:net';
import type { EventLoopUtilization } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { serve, type ServerType } from '@hono/node-server';
import { closeProxyApp, createProxyApp, eventsOf } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import type { LogRecord } from '../src/log.js';
import { RedisStore } from '../src/redis-store.js';
import type { EventTiming } from '../src/webhooks/job-queue.js';
import { TEST_EPAY_TIMEOUTS } from '../test/harness.js';

const WORKER_KIND = 'epay-bench-proxy-thread';
/** How long the thread may take to load the proxy and listen. */
const START_TIMEOUT_MS = 30_000;

export interface ProxyThreadOptions {
  /** The proxy's settings; `PORT` and `PUBLIC_URL` are filled in once the thread listens. */
  env: Record<string, string>;
  eventTiming?: Partial<EventTiming>;
}

/** Counts of the proxy's log lines: requests by method, path and status; job lines by message and result. */
export type LogSummary = Record<string, number>;

export interface ProxyThread {
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** The event service's pending work (zeros without `WEBHOOK_URL`). */
  pending(): Promise<{ deliveries: number; checks: number }>;
  /** The thread's V8 heap in use after two full collections, bytes (NaN without `--expose-gc`). */
  heapUsed(): Promise<number>;
  logSummary(): Promise<LogSummary>;
  /** The thread's event loop so far (`performance.eventLoopUtilization()`): how busy the proxy itself was. */
  eventLoop(): Promise<EventLoopUtilization>;
  close(): Promise<void>;
}

type ThreadRequest = { id: number; op: 'pending' | 'heap' | 'logs' | 'elu' | 'close' };
type Reply = { id: number; result?: unknown; error?: string } | { ready: string } | { failed: string };

/** The heap of the calling thread after two full collections, bytes; NaN when GC is not exposed. */
export function heapAfterGc(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return Number.NaN;
  gc();
  gc();
  return getHeapStatistics().used_heap_size;
}

/**
 * @example
 * ```ts
 * const proxy = await startProxyThread({ env, eventTiming: { firstRetryMs: 50 } });
 * await post(`${proxy.url}/applepay/payments`, body);
 * console.log(await proxy.heapUsed());
 * await proxy.close();
 * ```
 */
export async function startProxyThread(options: ProxyThreadOptions): Promise<ProxyThread> {
  // A worker does not get `--import tsx` from the command line: it registers tsx itself, then loads this module.
  const tsx = import.meta.resolve('tsx/esm/api');
  const self = import.meta.url;
  const worker = new Worker(
    `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(self)}); });`,
    { eval: true, workerData: { kind: WORKER_KIND, ...options } },
  );
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let seq = 0;
  let failure: Error | undefined;
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the proxy thread did not start in time')), START_TIMEOUT_MS);
    worker.on('message', (m: Reply) => {
      if ('ready' in m) {
        clearTimeout(timer);
        resolve(m.ready);
      } else if ('failed' in m) {
        clearTimeout(timer);
        reject(new Error(`the proxy thread failed to start: ${m.failed}`));
      } else {
        const w = waiting.get(m.id);
        waiting.delete(m.id);
        if (m.error !== undefined) w?.reject(new Error(m.error));
        else w?.resolve(m.result);
      }
    });
    worker.on('error', (err) => {
      failure = err;
      clearTimeout(timer);
      reject(err);
      for (const w of waiting.values()) w.reject(err);
    });
  });
  const ask = <T>(op: ThreadRequest['op']): Promise<T> => {
    if (failure) return Promise.reject(failure);
    const id = ++seq;
    return new Promise<T>((resolve, reject) => {
      waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.postMessage({ id, op } satisfies ThreadRequest);
    });
  };
  return {
    url,
    pending: () => ask('pending'),
    heapUsed: () => ask('heap'),
    logSummary: () => ask('logs'),
    eventLoop: () => ask('elu'),
    async close() {
      await ask('close').catch(() => {});
      await worker.terminate();
    },
  };
}

/** The thread's side: serve the proxy, answer the benchmark's questions. */
async function runProxy(options: ProxyThreadOptions): Promise<void> {
  const port = parentPort!;
  const summary: LogSummary = {};
  const count = (key: string) => {
    summary[key] = (summary[key] ?? 0) + 1;
  };
  // Counted, never kept: a log array would grow with every request and be measured as the proxy's heap.
  const logger = (r: LogRecord) => {
    const rec = r as Record<string, unknown>;
    if (typeof rec.path === 'string') count(`${rec.method} ${rec.path} ${rec.status}`);
    // A retry's reason is one of a few ("HTTP 500", "no answer within 500 ms", "the payment is still NEW").
    else
      count(
        [rec.level, rec.msg, rec.result, rec.result === 'retry' ? rec.reason : undefined].filter(Boolean).join(' '),
      );
  };
  let handler: ((req: Request) => Response | Promise<Response>) | undefined;
  let server: ServerType | undefined;
  const listening = await new Promise<number>((resolve) => {
    server = serve({ fetch: (req) => handler!(req), port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) =>
      resolve(info.port),
    );
  });
  const url = `http://127.0.0.1:${listening}`;
  const config = loadConfig({ ...options.env, PORT: String(listening), PUBLIC_URL: url });
  const app = createProxyApp(config, {
    logger,
    epayTimeouts: TEST_EPAY_TIMEOUTS,
    // Merchant validation is not exercised: no mutual-TLS client to Apple.
    merchantSessions: { requestSession: async () => ({}) },
    ...(config.redisUrl === undefined ? {} : { store: new RedisStore({ url: config.redisUrl }) }),
    ...(options.eventTiming ? { eventTiming: options.eventTiming } : {}),
  });
  handler = (req) => app.fetch(req);
  port.on('message', async (m: ThreadRequest) => {
    try {
      let result: unknown;
      if (m.op === 'pending') result = (await eventsOf(app)?.pending()) ?? { deliveries: 0, checks: 0 };
      else if (m.op === 'heap') result = heapAfterGc();
      else if (m.op === 'logs') result = { ...summary };
      else if (m.op === 'elu') result = performance.eventLoopUtilization();
      else {
        await new Promise<void>((r) => server!.close(() => r()));
        await closeProxyApp(app);
      }
      port.postMessage({ id: m.id, result } satisfies Reply);
    } catch (err) {
      port.postMessage({ id: m.id, error: err instanceof Error ? err.message : String(err) } satisfies Reply);
    }
  });
  port.postMessage({ ready: url } satisfies Reply);
}

if (!isMainThread && (workerData as { kind?: string } | undefined)?.kind === WORKER_KIND) {
  runProxy(workerData as ProxyThreadOptions).catch((err: unknown) => {
    parentPort!.postMessage({
      failed: err instanceof Error ? (err.stack ?? err.message) : String(err),
    } satisfies Reply);
  });
}

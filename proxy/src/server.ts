/**
 * @module The proxy as a server process: `epay-applepay-proxy start` (docs/deployment.md). Listens, and on SIGTERM or
 * SIGINT drains: no new connections, the requests in flight get their answers (within the answer budget), the store
 * and the queues close, and the process exits 0.
 */
import type { Server, ServerResponse } from 'node:http';
import { closeProxyApp, createProxyApp, metricsOf } from './app.js';
import type { ProxyConfig } from './config.js';
import { createLogger, type Logger } from './log.js';
import { serveMetrics } from './metrics.js';
import { serveProxy } from './node-server.js';
import { RedisStore } from './redis-store.js';

/**
 * Time given to the requests in flight once a stop is asked: the answer budget of a payment (25 s, docs/money-rules.md)
 * and a little for its answer to leave.
 */
export const SHUTDOWN_GRACE_MS = 26_000;

export interface RunningProxy {
  server: Server;
  /** The port it listens on (the configured one, or the one the system chose for `PORT=0`). */
  port: number;
  /** Drains and closes; resolves `true` when every request in flight finished within the grace time. */
  stop(): Promise<boolean>;
}

/** Requests being answered now: the drain waits for these. */
function trackInFlight(server: Server) {
  const live = new Set<ServerResponse>();
  let draining = false;
  let idle: (() => void) | undefined;
  server.on('request', (_req, res: ServerResponse) => {
    live.add(res);
    // An answer sent while draining closes its connection: a keep-alive client opens its next one elsewhere.
    if (draining) res.shouldKeepAlive = false;
    res.once('close', () => {
      live.delete(res);
      if (live.size === 0) idle?.();
    });
  });
  return {
    count: () => live.size,
    drain: () => {
      draining = true;
      for (const res of live) res.shouldKeepAlive = false;
      return new Promise<void>((resolve) => {
        if (live.size === 0) resolve();
        else idle = resolve;
      });
    },
  };
}

/**
 * Starts the proxy's HTTP server with the settings given.
 *
 * @example
 * ```ts
 * const running = await startProxy(loadConfig(process.env));
 * process.once('SIGTERM', () => void running.stop().then(() => process.exit(0)));
 * ```
 */
export async function startProxy(
  config: ProxyConfig,
  options: { logger?: Logger; hostname?: string; graceMs?: number } = {},
): Promise<RunningProxy> {
  const log = options.logger ?? createLogger({ level: config.logLevel });
  for (const warning of config.warnings) log({ level: 'warn', msg: warning });
  // Several instances behind a load balancer share one Redis for the invoice lock, the replay guard, the events' queues
  // and the rate limit.
  const app = createProxyApp(config, {
    logger: log,
    ...(config.redisUrl === undefined ? {} : { store: new RedisStore({ url: config.redisUrl }) }),
  });
  // Slow senders are cut and connections capped here; docs/merchant-guide.md, "5. Run the proxy behind your shop's
  // domain", says what the reverse proxy in front adds.
  let server!: Server;
  const port = await new Promise<number>((resolve, reject) => {
    server = serveProxy(
      app,
      { port: config.port, hostname: options.hostname ?? '0.0.0.0', maxConnections: config.maxConnections },
      (info) => resolve(info.port),
    );
    server.once('error', reject);
  });
  const requests = trackInFlight(server);
  // Metrics on their own port only, never on the public one (docs/metrics.md).
  const metricsServer =
    config.metricsPort === undefined
      ? undefined
      : await serveMetrics(metricsOf(app)!, {
          port: config.metricsPort,
          hostname: options.hostname ?? '0.0.0.0',
        }).catch(async (err: unknown) => {
          server.close();
          await closeProxyApp(app);
          throw err;
        });
  log({
    level: 'info',
    msg: 'listening',
    port,
    mode: config.epay.tokenMode,
    store: config.redisUrl === undefined ? 'memory' : 'redis',
    webhooks: config.webhooks !== undefined,
    ...(metricsServer ? { metricsPort: metricsServer.port } : {}),
  });

  let stopping: Promise<boolean> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      const inFlight = requests.count();
      log({ level: 'info', msg: 'stopping', inFlight });
      // No new connections from here; idle keep-alive ones close now, busy ones once their answer is sent.
      const drained = requests.drain();
      server.close();
      server.closeIdleConnections();
      let timer: NodeJS.Timeout | undefined;
      const finished = await Promise.race([
        drained.then(() => true),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(false), options.graceMs ?? SHUTDOWN_GRACE_MS);
        }),
      ]);
      clearTimeout(timer);
      if (!finished) log({ level: 'error', msg: 'stopped with requests unanswered', inFlight: requests.count() });
      server.closeAllConnections();
      await Promise.allSettled([closeProxyApp(app), metricsServer?.close()]);
      log({ level: 'info', msg: 'stopped' });
      return finished;
    })();
    return stopping;
  };
  return { server, port, stop };
}

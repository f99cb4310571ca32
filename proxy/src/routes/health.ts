/** @module `GET /healthz` (the process answers) and `GET /readyz` (its store, and the event queue, answer). */
import { Hono } from 'hono';
import type { HonoEnv } from '../hono-env.js';
import type { ProxyStore } from '../store.js';
import type { PaymentEvents } from '../webhooks/event-service.js';

/** A readiness probe waits this long for the store before it says "not ready". */
export const READY_TIMEOUT_MS = 2_000;

/** The key the probe reads: never written, so a read costs Redis one lookup. */
const PROBE_KEY = 'readyz-probe';

async function within<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * @example
 * ```ts
 * app.route('/', healthRoutes({ store, events }));
 * ```
 */
export function healthRoutes(deps: { store?: ProxyStore; events?: PaymentEvents } = {}) {
  return new Hono<HonoEnv>()
    .get('/healthz', (c) => c.json({ status: 'ok' }))
    .get('/readyz', async (c) => {
      try {
        await within(Promise.all([deps.store?.get(PROBE_KEY), deps.events?.pending()]), READY_TIMEOUT_MS);
        return c.json({ status: 'ready' });
      } catch {
        return c.json(
          { status: 'error', error: { code: 'not_ready', message: 'The store or the event queue does not answer' } },
          503,
        );
      }
    });
}

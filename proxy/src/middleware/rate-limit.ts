/** @module Per-client request limit on `/applepay/*`: a fixed one-minute window, 429 with `Retry-After` beyond it. */
import type { MiddlewareHandler } from 'hono';
import { ProxyError } from '../errors.js';

export const RATE_WINDOW_MS = 60_000;
/** The window map is swept of old windows when it grows past this many clients. */
const SWEEP_AT = 50_000;

export function rateLimit(perMinute: number, clientKey: (c: Parameters<MiddlewareHandler>[0]) => string): MiddlewareHandler {
  const windows = new Map<string, { start: number; count: number }>();
  return async (c, next) => {
    if (perMinute <= 0 || c.req.method === 'OPTIONS') return next();
    const now = Date.now();
    const key = clientKey(c);
    let w = windows.get(key);
    if (!w || now - w.start >= RATE_WINDOW_MS) {
      if (windows.size >= SWEEP_AT) {
        for (const [k, v] of windows) if (now - v.start >= RATE_WINDOW_MS) windows.delete(k);
      }
      w = { start: now, count: 0 };
      windows.set(key, w);
    }
    w.count++;
    if (w.count > perMinute) {
      const retryAfter = Math.max(1, Math.ceil((w.start + RATE_WINDOW_MS - now) / 1000));
      throw new ProxyError('rate_limited', 'Too many requests; try again later', { headers: { 'retry-after': String(retryAfter) } });
    }
    return next();
  };
}

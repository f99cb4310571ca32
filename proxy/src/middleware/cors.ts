/**
 * @module CORS for `/applepay/*`: an allowed origin is echoed exactly (never `*`), on the preflight and on the
 * answer; other origins get no allow header, so their pages cannot read the answer (docs/proxy-http-api.md). Which pages may
 * open a merchant session is the session route's check (APPLE_PAY_DOMAINS), not this one's.
 */
import type { MiddlewareHandler } from 'hono';

/** Browsers may cache a preflight this long. */
export const PREFLIGHT_MAX_AGE_S = 600;

export function cors(allowedOrigins: readonly string[]): MiddlewareHandler {
  const allowed = new Set(allowedOrigins);
  return async (c, next) => {
    const origin = c.req.header('origin');
    const ok = origin !== undefined && allowed.has(origin);
    if (c.req.method === 'OPTIONS') {
      const headers: Record<string, string> = { vary: 'Origin' };
      if (ok) {
        headers['access-control-allow-origin'] = origin;
        headers['access-control-allow-methods'] = 'POST, OPTIONS';
        headers['access-control-allow-headers'] = 'content-type';
        headers['access-control-max-age'] = String(PREFLIGHT_MAX_AGE_S);
      }
      return c.body(null, 204, headers);
    }
    c.header('vary', 'Origin', { append: true });
    if (ok) c.header('access-control-allow-origin', origin);
    await next();
  };
}

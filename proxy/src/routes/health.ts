/** @module `GET /healthz`. */
import { Hono } from 'hono';
import type { HonoEnv } from '../hono-env.js';

export function healthRoutes() {
  return new Hono<HonoEnv>().get('/healthz', (c) => c.json({ status: 'ok' }));
}

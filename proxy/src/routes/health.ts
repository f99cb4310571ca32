/** @module `GET /healthz`. */
import { Hono } from 'hono';
import type { ProxyEnv } from '../context.js';

export function healthRoutes() {
  return new Hono<ProxyEnv>().get('/healthz', (c) => c.json({ status: 'ok' }));
}

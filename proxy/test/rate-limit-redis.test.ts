/**
 * With REDIS_URL the rate limit is one count for every instance (a real redis-server started here); with Redis gone
 * each instance falls back to its own count rather than refuse every customer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeProxyApp, createProxyApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { RedisStore } from '../src/redis-store.js';
import { type Stack, startStack, TEST_EPAY_TIMEOUTS } from './harness.js';
import { startRedisServer, type RedisServer } from './redis-server.js';

const LIMIT = 5;
let redis: RedisServer;
let s: Stack;
const apps: ReturnType<typeof createProxyApp>[] = [];

function instance() {
  const config = loadConfig({ ...s.env, REDIS_URL: redis.url, RATE_LIMIT_PER_MINUTE: String(LIMIT) });
  const app = createProxyApp(config, {
    logger: () => {},
    epayTimeouts: TEST_EPAY_TIMEOUTS,
    store: new RedisStore({ url: redis.url }),
  });
  apps.push(app);
  return app;
}

/** A request the limiter counts and the route refuses at once (no body): 400, or 429 once the allowance is spent. */
const hit = (app: ReturnType<typeof createProxyApp>, ip: string) =>
  app.request('/applepay/payments', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
    body: '{}',
  });

beforeAll(async () => {
  redis = await startRedisServer();
  s = await startStack({ env: { TRUST_PROXY: 'true' } });
});
afterAll(async () => {
  await Promise.all(apps.map((a) => closeProxyApp(a)));
  await s?.close();
  await redis?.stop();
});

describe('the rate limit on Redis', () => {
  it('two instances share one allowance per client: the sixth request, on either, is 429 with Retry-After', async () => {
    const [a, b] = [instance(), instance()];
    // Each limiter connects on its own; until it has, an instance counts alone (the fallback the next test shows).
    await new Promise((r) => setTimeout(r, 300));
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT; i++) statuses.push((await hit(i % 2 ? a : b, '203.0.113.9')).status);
    expect(statuses.every((x) => x !== 429)).toBe(true);
    const sixth = await hit(a, '203.0.113.9');
    expect(sixth.status).toBe(429);
    expect(Number(sixth.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await hit(b, '203.0.113.9')).status).toBe(429);
    expect((await hit(b, '203.0.113.10')).status).not.toBe(429); // another client has its own allowance
  });

  it('Redis gone: each instance counts alone instead of refusing everyone', async () => {
    const a = instance();
    await hit(a, '198.51.100.1'); // connected
    await redis.stop();
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT + 1; i++) statuses.push((await hit(a, '198.51.100.7')).status);
    expect(statuses.slice(0, LIMIT).every((x) => x !== 429)).toBe(true);
    expect(statuses[LIMIT]).toBe(429);
    redis = await startRedisServer({ port: redis.port });
  });
});

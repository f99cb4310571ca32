/** `GET /readyz`: ready while the store (and, with events, their queue) answers; 503 `not_ready` when Redis is gone. */
import { afterAll, describe, expect, it } from 'vitest';
import { closeProxyApp, createProxyApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { RedisStore } from '../src/redis-store.js';
import { type Stack, startStack, TEST_EPAY_TIMEOUTS } from './harness.js';
import { startRedisServer } from './redis-server.js';
import { WEBHOOK_SECRET } from './webhook-receiver.js';

let s: Stack | undefined;
afterAll(() => s?.close());

describe('/readyz', () => {
  it('in memory: ready, beside /healthz', async () => {
    s = await startStack();
    const ready = await fetch(`${s.url}/readyz`);
    expect([ready.status, await ready.json()]).toEqual([200, { status: 'ready' }]);
    expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
  });

  it('with Redis and events: ready while Redis answers, 503 not_ready once it is gone (liveness stays 200)', async () => {
    const redis = await startRedisServer();
    const config = loadConfig({
      ...s!.env,
      REDIS_URL: redis.url,
      WEBHOOK_URL: 'http://127.0.0.1:9/hooks',
      WEBHOOK_SIGNING_SECRET: WEBHOOK_SECRET,
    });
    const app = createProxyApp(config, {
      logger: () => {},
      epayTimeouts: TEST_EPAY_TIMEOUTS,
      store: new RedisStore({ url: redis.url }),
    });
    try {
      const ready = await app.request('/readyz');
      expect([ready.status, await ready.json()]).toEqual([200, { status: 'ready' }]);
      await redis.stop();
      const gone = await app.request('/readyz');
      expect(gone.status).toBe(503);
      expect(((await gone.json()) as { error: { code: string } }).error.code).toBe('not_ready');
      expect((await app.request('/healthz')).status).toBe(200);
    } finally {
      const started = Date.now();
      await closeProxyApp(app);
      expect(Date.now() - started).toBeLessThan(5_000); // Redis gone: stopping does not wait for it
    }
  }, 30_000);
});

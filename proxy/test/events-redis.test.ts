/**
 * Events with REDIS_URL (a real redis-server started here): pending deliveries live in Redis through BullMQ, survive an
 * instance's restart and are taken by whichever instance is alive; two instances reporting one fact send one event.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeProxyApp, createProxyApp, eventsOf } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { RedisStore } from '../src/redis-store.js';
import { payOrder, SCENARIO_AMOUNT, type Stack, startStack, TEST_EPAY_TIMEOUTS } from './harness.js';
import { startRedisServer, type RedisServer } from './redis-server.js';
import { startWebhookReceiver, WEBHOOK_SECRET, type WebhookReceiver } from './webhook-receiver.js';

const TIMING = {
  deliveryTimeoutMs: 400,
  firstRetryMs: 100,
  maxRetryMs: 300,
  giveUpAfterMs: 60_000,
  reconcileFirstMs: 10 * 60_000,
};

let redis: RedisServer;
let receiver: WebhookReceiver;
let s: Stack;
const others: object[] = [];

function instance() {
  const config = loadConfig(s.env);
  const app = createProxyApp(config, {
    logger: () => {},
    appleCa: s.apple.tlsCaPem,
    epayTimeouts: TEST_EPAY_TIMEOUTS,
    store: new RedisStore({ url: redis.url }),
    eventTiming: TIMING,
  });
  others.push(app);
  return app;
}

const pay = (amount: number = SCENARIO_AMOUNT.paid) => payOrder(s, amount);

/** Deliveries the receiver answered 2xx, per event id. */
function okDeliveries(invoiceId: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const x of receiver.received) {
    if (x.event?.data.payment.invoiceId !== invoiceId || x.status < 200 || x.status > 299) continue;
    out.set(x.event.id, (out.get(x.event.id) ?? 0) + 1);
  }
  return out;
}

beforeAll(async () => {
  redis = await startRedisServer(); // throws (fails the file) when redis-server is not installed
  receiver = await startWebhookReceiver();
  s = await startStack({
    env: { REDIS_URL: redis.url, WEBHOOK_URL: receiver.url, WEBHOOK_SIGNING_SECRET: WEBHOOK_SECRET },
    bank: { threeDsSelfCompleteMs: false },
    app: { store: new RedisStore({ url: redis.url }), eventTiming: TIMING },
  });
});
afterAll(async () => {
  await Promise.all(others.map((app) => closeProxyApp(app)));
  await s?.close();
  await receiver?.close();
  await redis?.stop();
});

describe('events on Redis (BullMQ)', () => {
  it('an event pending when its instance stops is delivered once by the instance that is alive', async () => {
    receiver.behave(() => 'fail');
    const { invoiceId, r } = await pay();
    expect(r.json.status).toBe('paid');
    const failed = () => receiver.received.filter((x) => x.event?.data.payment.invoiceId === invoiceId).length;
    const until = Date.now() + 10_000;
    while (failed() < 2 && Date.now() < until) await new Promise((res) => setTimeout(res, 20));
    expect(failed()).toBeGreaterThanOrEqual(2);
    await eventsOf(s.app)!.close(); // instance A stops (its worker with it); the job stays in Redis
    receiver.behave([]);
    const b = instance();
    expect(eventsOf(b)).toBeDefined();
    await receiver.waitFor(() => okDeliveries(invoiceId).size === 1, 15_000);
    await new Promise((res) => setTimeout(res, 500));
    expect([...okDeliveries(invoiceId).values()]).toEqual([1]);
    expect((await eventsOf(b)!.pending()).deliveries).toBe(0);
  });

  it('two instances told the same fact (answer, notifications to both) send one event, once', async () => {
    const b = instance();
    const c = instance();
    const { invoiceId, r } = await pay();
    expect(r.json.status).toBe('paid');
    const link = eventsOf(b)!.notificationLink({ invoiceId, amount: SCENARIO_AMOUNT.paid, currency: 'KZT' });
    const path = new URL(link).pathname + new URL(link).search;
    const answers = await Promise.all(
      [b, c, b, c].map((app) =>
        (app as ReturnType<typeof createProxyApp>).request(path, { method: 'POST', body: '{}' }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
    await receiver.waitFor(() => okDeliveries(invoiceId).size === 1, 15_000);
    await new Promise((res) => setTimeout(res, 800));
    expect([...okDeliveries(invoiceId).values()]).toEqual([1]);
  });

  it('a notification when Redis is down is 503 store_unavailable (the bank may send it again), and stopping still ends', async () => {
    const own = await startRedisServer(); // its own Redis, so the other instances keep theirs
    const config = loadConfig({ ...s.env, REDIS_URL: own.url });
    const b = createProxyApp(config, {
      logger: () => {},
      appleCa: s.apple.tlsCaPem,
      epayTimeouts: TEST_EPAY_TIMEOUTS,
      store: new RedisStore({ url: own.url }),
      eventTiming: TIMING,
    });
    const link = eventsOf(b)!.notificationLink({ invoiceId: '990000000777', amount: 1500, currency: 'KZT' });
    const path = new URL(link).pathname + new URL(link).search;
    await own.stop();
    const r = await b.request(path, { method: 'POST', body: '{}' });
    expect(r.status).toBe(503);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe('store_unavailable');
    const started = Date.now();
    await closeProxyApp(b);
    expect(Date.now() - started).toBeLessThan(20_000);
  }, 30_000);
});

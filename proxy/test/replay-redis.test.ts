/**
 * Two proxy instances with the same settings behind one Redis (a real redis-server started here), one sandbox bank:
 * an Apple Pay token, an invoice lock and a 3-D Secure context are each honoured once across both instances.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeProxyApp, createProxyApp } from '../src/app.js';
import { ConfigError, loadConfig } from '../src/config.js';
import { RedisStore } from '../src/redis-store.js';
import {
  forms,
  invoiceOf,
  order,
  payment,
  post,
  postForm,
  type Stack,
  startStack,
  TEST_EPAY_TIMEOUTS,
  TEST_PAN,
  SCENARIO_AMOUNT,
} from './harness.js';
import { startRedisServer, type RedisServer } from './redis-server.js';
import { THREE_DS_CODE } from '@epay-applepay/sandbox';

const OPERATIONS_KEY = 'operations-key-for-redis-tests-0123456789';

/** A card the sandbox bank pays without 3-D Secure (its last two digits pick the scenario). */
const PAN = TEST_PAN;
let redis: RedisServer;
let a: Stack;
let b: ReturnType<typeof createProxyApp>;

/** Instance A is served over HTTP by the harness; instance B is a second app on the same settings. */
const payA = (body: unknown) => post(`${a.url}/applepay/payments`, body);
async function payB(body: unknown) {
  const res = await b.request('/applepay/payments', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, text, json: JSON.parse(text) };
}
const cryptopayCalls = (invoiceId: string) =>
  a.bank.calls.filter((c) => c.path === '/payment/cryptopay' && c.invoiceId === invoiceId).length;

beforeAll(async () => {
  redis = await startRedisServer(); // throws (fails the file) when redis-server is not installed
  a = await startStack({
    bank: { slowMs: 1_000 },
    env: { REDIS_URL: redis.url, OPERATIONS_API_KEYS: OPERATIONS_KEY },
    app: { store: new RedisStore({ url: redis.url }) },
  });
  const config = loadConfig(a.env); // the same settings, as a second instance behind a load balancer
  expect(config.redisUrl).toBe(redis.url);
  b = createProxyApp(config, {
    logger: () => {},
    appleCa: a.apple.tlsCaPem,
    epayTimeouts: TEST_EPAY_TIMEOUTS,
    store: new RedisStore({ url: config.redisUrl! }),
  });
});
afterAll(async () => {
  if (b) await closeProxyApp(b);
  await a?.close();
  await redis?.stop();
});

describe('two instances, one Redis', () => {
  it('an Apple Pay token taken by instance A is refused by instance B → token_invalid, nothing charged', async () => {
    const p = payment(a.apple, { pan: PAN });
    const first = await payA({ order: await order(), payment: p });
    expect([first.status, first.json.status]).toEqual([200, 'paid']);
    const o2 = await order();
    const again = await payB({ order: o2, payment: p });
    expect([again.status, again.json.error.code]).toEqual([400, 'token_invalid']);
    expect(a.bank.ledger.byInvoice(invoiceOf(o2))).toHaveLength(0);

    // B itself pays a fresh token: the refusal above was the replay guard, not a broken instance.
    const fresh = await payB({ order: o2, payment: payment(a.apple, { pan: PAN }) });
    expect([fresh.status, fresh.json.status]).toEqual([200, 'paid']);
  });

  it('the same invoice on both instances at once → one 409 payment_in_progress, one charge', async () => {
    const o = await order({ amount: SCENARIO_AMOUNT.slow }); // the slow scenario keeps the winner at the bank for a second
    const results = await Promise.all([
      payA({ order: o, payment: payment(a.apple, { amount: SCENARIO_AMOUNT.slow }) }),
      payB({ order: o, payment: payment(a.apple, { amount: SCENARIO_AMOUNT.slow }) }),
    ]);
    const byStatus = results.map((r) => r.status).sort();
    expect(byStatus).toEqual([200, 409]);
    expect(results.find((r) => r.status === 409)!.json.error.code).toBe('payment_in_progress');
    expect(a.bank.ledger.paid(invoiceOf(o))).toHaveLength(1);
    expect(cryptopayCalls(invoiceOf(o))).toBe(1);
  });

  it('a lock is released in Redis when a payment ends: B pays an invoice that A saw declined', async () => {
    const o = await order({ amount: 700 });
    const declined = await payA({ order: o, payment: payment(a.apple, { amount: 700, pan: '4400430100000051' }) });
    expect([declined.status, declined.json.error.bankCode]).toEqual([402, 51]);
    const paid = await payB({ order: o, payment: payment(a.apple, { amount: 700, pan: PAN }) });
    expect([paid.status, paid.json.status]).toEqual([200, 'paid']);
    expect(a.bank.ledger.paid(invoiceOf(o))).toHaveLength(1);
  });

  it('the same 3-D Secure callback on both instances → confirmed once, one charge', async () => {
    const o = await order({
      amount: SCENARIO_AMOUNT.threeDs,
      backLink: 'https://shop.example/ok',
      failureBackLink: 'https://shop.example/fail',
    });
    const started = await payA({ order: o, payment: payment(a.apple, { amount: SCENARIO_AMOUNT.threeDs }) });
    expect(started.json.status).toBe('3ds');
    const form = started.json.form as { action: string; fields: Record<string, string> };

    // Through the sandbox bank's password page, as a customer would.
    const page = await postForm(form.action, form.fields);
    const [pw] = forms(page.text);
    const approve = pw!.buttons.find((x) => /confirm|approve|ok/i.test(x)) ?? '';
    const [name, value] = approve.split('=');
    const done = await postForm(new URL(pw!.action, form.action).href, {
      ...pw!.fields,
      code: THREE_DS_CODE,
      ...(name ? { [name]: value ?? '' } : {}),
    });
    const [back] = forms(done.text);
    expect(back!.action).toBe(form.fields.TermUrl);
    const termUrl = new URL(back!.action);

    const onB = () =>
      b.request(`${termUrl.pathname}${termUrl.search}`, { method: 'POST', body: new URLSearchParams(back!.fields) });
    const [fromA, fromB] = await Promise.all([postForm(back!.action, back!.fields), onB()]);
    expect([fromA.status, fromB.status]).toEqual([303, 303]);
    const landed = [fromA.headers.get('location')!, fromB.headers.get('location')!].map((l) => new URL(l).pathname);
    expect(landed).toContain('/ok');
    expect(a.bank.calls.filter((c) => c.path === '/payment/confirm' && c.invoiceId === invoiceOf(o))).toHaveLength(1);
    expect(a.bank.ledger.paid(invoiceOf(o))).toHaveLength(1);

    // Once the bank has settled it, a replay on either instance lands on success and still confirms nothing.
    const later = await onB();
    expect(new URL(later.headers.get('location')!).pathname).toBe('/ok');
    expect(a.bank.calls.filter((c) => c.path === '/payment/confirm' && c.invoiceId === invoiceOf(o))).toHaveLength(1);
  });
});

describe('REDIS_URL', () => {
  it('is checked at start and never quoted back (it may hold a password)', () => {
    const bad = { ...a.env, REDIS_URL: 'http://:hunter2-secret@127.0.0.1:6379' };
    let err: unknown;
    try {
      loadConfig(bad);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems).toEqual(['REDIS_URL must be a redis:// or rediss:// URL']);
    expect((err as Error).message).not.toContain('hunter2');
    expect(loadConfig({ ...a.env, REDIS_URL: '' }).redisUrl).toBeUndefined();
  });
});

describe('Redis down', () => {
  it('answers 503 store_unavailable and sends nothing to the bank', async () => {
    const own = await startRedisServer();
    const store = new RedisStore({ url: own.url, commandTimeoutMs: 500 });
    const c = createProxyApp(loadConfig(a.env), { logger: () => {}, appleCa: a.apple.tlsCaPem, store });
    try {
      await own.stop();
      const o = await order();
      const res = await c.request('/applepay/payments', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ order: o, payment: payment(a.apple, { pan: PAN }) }),
      });
      expect(res.status).toBe(503);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('store_unavailable');
      expect(a.bank.calls.filter((call) => call.invoiceId === invoiceOf(o))).toHaveLength(0);
    } finally {
      await closeProxyApp(c);
      await own.stop();
    }
  });
});

describe('the operations API on two instances, one Redis', () => {
  const refundOn = async (instance: 'a' | 'b', invoiceId: string, key: string, amount: number) => {
    const init = {
      method: 'POST',
      headers: {
        authorization: `Bearer ${OPERATIONS_KEY}`,
        'idempotency-key': key,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ amount }),
    };
    const path = `/operations/payments/${invoiceId}/refund`;
    const res = instance === 'a' ? await fetch(`${a.url}${path}`, init) : await b.request(path, init);
    return { status: res.status, replayed: res.headers.get('idempotent-replayed'), json: (await res.json()) as any };
  };
  const charged = async () => {
    const o = await order();
    expect((await payA({ order: o, payment: payment(a.apple, { pan: PAN }) })).json.status).toBe('paid');
    const invoiceId = invoiceOf(o);
    const r = await fetch(`${a.url}/operations/payments/${invoiceId}/charge`, {
      method: 'POST',
      headers: { authorization: `Bearer ${OPERATIONS_KEY}`, 'idempotency-key': `charge-${invoiceId}` },
    });
    expect(r.status).toBe(200);
    return invoiceId;
  };
  const refundsAtBank = (invoiceId: string) =>
    a.bank.calls.filter((c) => c.path.endsWith('/refund') && c.invoiceId === invoiceId).length;

  it('a refund done on A is replayed on B with the same key: Idempotent-Replayed, no second refund', async () => {
    const invoiceId = await charged();
    const first = await refundOn('a', invoiceId, `refund-${invoiceId}`, 300);
    expect(first.status).toBe(200);
    const again = await refundOn('b', invoiceId, `refund-${invoiceId}`, 300);
    expect([again.status, again.replayed]).toEqual([200, 'true']);
    expect(again.json).toEqual(first.json);
    expect(refundsAtBank(invoiceId)).toBe(1);
  });

  it('the same key on both instances at once: one refund at the bank, the other 409 or the replay', async () => {
    const invoiceId = await charged();
    const [x, y] = await Promise.all([
      refundOn('a', invoiceId, `both-${invoiceId}`, 300),
      refundOn('b', invoiceId, `both-${invoiceId}`, 300),
    ]);
    expect([x.status, y.status].sort()).toEqual(x.status === y.status ? [200, 200] : [200, 409]);
    expect(refundsAtBank(invoiceId)).toBe(1);
  });
});

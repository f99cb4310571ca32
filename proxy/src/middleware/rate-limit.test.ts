/**
 * @module The rate limit's rules: which addresses share an allowance (an IPv6 /64, an IPv4-mapped address and its
 * IPv4), 429 with Retry-After, the window's end, and the separate count on the 3-D Secure callback of the real app.
 */
import { Hono } from 'hono';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { closeProxyApp, createProxyApp } from '../app.js';
import { loadConfig } from '../config.js';
import { ProxyError } from '../errors.js';
import { sandboxProxyEnv, sharedApple } from '../../test/harness.js';
import { clientKeyOf, rateLimit, RATE_WINDOW_MS } from './rate-limit.js';

const PER_MINUTE = 3;

/** An app behind the limit only, keyed as the proxy keys it, on the address in `x-client`. */
function limited(perMinute = PER_MINUTE) {
  const app = new Hono();
  app.use(
    '*',
    rateLimit(perMinute, (c) => clientKeyOf(c.req.header('x-client') ?? 'unknown')),
  );
  app.all('/', (c) => c.text('ok'));
  app.onError((err) =>
    err instanceof ProxyError
      ? new Response(err.code, { status: err.status, headers: err.headers ?? {} })
      : new Response('unexpected', { status: 500 }),
  );
  return (client: string, method = 'POST') => app.request('/', { method, headers: { 'x-client': client } });
}

/** Spends `n` requests of `client`'s allowance and returns their statuses. */
async function spend(send: ReturnType<typeof limited>, client: string, n = PER_MINUTE) {
  const statuses: number[] = [];
  for (let i = 0; i < n; i++) statuses.push((await send(client)).status);
  return statuses;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('clientKeyOf', () => {
  it('keeps an IPv4 address, and anything that is not an address, as it is', () => {
    expect(clientKeyOf('203.0.113.7')).toBe('203.0.113.7');
    expect(clientKeyOf('unknown')).toBe('unknown');
  });

  it('keys an IPv6 address on its /64, whatever its spelling', () => {
    const key = '2001:db8:0:1::/64';
    for (const a of [
      '2001:db8:0:1::1',
      '2001:DB8:0:1:ffff:ffff:ffff:ffff',
      '2001:0db8:0000:0001:0:0:0:2',
      '2001:db8:0:1::3%eth0',
    ]) {
      expect(clientKeyOf(a)).toBe(key);
    }
    expect(clientKeyOf('2001:db8:0:2::1')).toBe('2001:db8:0:2::/64');
    expect(clientKeyOf('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientKeyOf('::1')).toBe('0:0:0:0::/64');
    expect(clientKeyOf('1:2:3:4:5:6:7:8')).toBe('1:2:3:4::/64');
    expect(clientKeyOf('1:2:3:4:5:6:1.2.3.4')).toBe('1:2:3:4::/64');
  });

  it('keys an IPv4-mapped IPv6 address on its IPv4 address, dotted or in hex', () => {
    expect(clientKeyOf('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(clientKeyOf('::FFFF:cb00:7107')).toBe('203.0.113.7');
    expect(clientKeyOf('0:0:0:0:0:ffff:203.0.113.7')).toBe('203.0.113.7');
  });
});

describe('rateLimit', () => {
  it('gives two addresses of one IPv6 /64 one allowance, and another /64 its own', async () => {
    const send = limited();
    expect(await spend(send, '2001:db8:aa:1::1', 2)).toEqual([200, 200]);
    expect(await spend(send, '2001:db8:aa:1:dead:beef:0:7', 1)).toEqual([200]);
    // A fresh address in the same /64 does not buy a new allowance.
    expect((await send('2001:db8:aa:1::9999')).status).toBe(429);
    expect(await spend(send, '2001:db8:aa:2::1')).toEqual([200, 200, 200]);
  });

  it('counts an IPv4 client the same over IPv4 and over a dual-stack socket', async () => {
    const send = limited();
    expect(await spend(send, '198.51.100.4', 2)).toEqual([200, 200]);
    expect((await send('::ffff:198.51.100.4')).status).toBe(200);
    expect((await send('::ffff:c633:6404')).status).toBe(429);
    expect((await send('198.51.100.5')).status).toBe(200);
  });

  it('answers past the limit with 429 rate_limited and Retry-After to the end of the window, which then resets', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2030-01-01T00:00:00Z'));
    const send = limited();
    expect(await spend(send, '192.0.2.1')).toEqual([200, 200, 200]);
    const refused = await send('192.0.2.1');
    expect(refused.status).toBe(429);
    expect(await refused.text()).toBe('rate_limited');
    expect(refused.headers.get('retry-after')).toBe(String(RATE_WINDOW_MS / 1000));

    vi.setSystemTime(new Date('2030-01-01T00:00:45.500Z'));
    expect((await send('192.0.2.1')).headers.get('retry-after')).toBe('15');
    vi.setSystemTime(new Date('2030-01-01T00:00:59.900Z'));
    expect((await send('192.0.2.1')).headers.get('retry-after')).toBe('1'); // never 0: that would invite a retry now

    vi.setSystemTime(new Date('2030-01-01T00:01:00Z'));
    expect(await spend(send, '192.0.2.1')).toEqual([200, 200, 200]);
    expect((await send('192.0.2.1')).status).toBe(429);
  });

  it('does not count preflights, and 0 turns it off', async () => {
    const send = limited();
    for (let i = 0; i < 10; i++) expect((await send('192.0.2.2', 'OPTIONS')).status).not.toBe(429);
    expect(await spend(send, '192.0.2.2')).toEqual([200, 200, 200]);

    const off = limited(0);
    expect(new Set(await spend(off, '192.0.2.3', 200))).toEqual(new Set([200]));
  });

  it('keeps separate counts for separate middlewares', async () => {
    const a = limited();
    const b = limited();
    await spend(a, '192.0.2.4');
    expect((await a('192.0.2.4')).status).toBe(429);
    expect((await b('192.0.2.4')).status).toBe(200);
  });
});

describe('the 3-D Secure callback of the proxy', () => {
  const apps: object[] = [];
  afterAll(async () => {
    await Promise.all(apps.map((a) => closeProxyApp(a)));
  });

  it('has a limit of its own per address: the 4th post gets 429, and /applepay/* keeps its own allowance', async () => {
    const { apple, files } = await sharedApple();
    const env = sandboxProxyEnv(files, { publicUrl: 'http://127.0.0.1:9', merchantId: apple.merchantId });
    const app = createProxyApp(loadConfig({ ...env, RATE_LIMIT_PER_MINUTE: String(PER_MINUTE), TRUST_PROXY: 'true' }), {
      logger: () => {},
    });
    apps.push(app);
    const from = (address: string) => ({
      'x-forwarded-for': address,
      'content-type': 'application/x-www-form-urlencoded',
    });
    const callback = (address: string) =>
      app.request('/3ds/callback?ctx=forged', { method: 'POST', headers: from(address), body: 'PaRes=a&MD=b' });
    const payment = (address: string) =>
      app.request('/applepay/payments', { method: 'POST', headers: from(address), body: '{' });

    for (let i = 0; i < PER_MINUTE; i++) expect((await callback('203.0.113.50')).status).toBe(400); // the page for a bad context
    const refused = await callback('203.0.113.50');
    expect(refused.status).toBe(429);
    expect(await refused.json()).toEqual({
      status: 'error',
      error: { code: 'rate_limited', message: expect.any(String) },
    });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);

    // The same address still has its whole allowance on the payment endpoints, and spending it leaves the callback's alone.
    for (let i = 0; i < PER_MINUTE; i++) expect((await payment('203.0.113.50')).status).toBe(400);
    expect((await payment('203.0.113.50')).status).toBe(429);
    // Another address is not affected by either.
    expect((await callback('203.0.113.51')).status).toBe(400);
  });
});

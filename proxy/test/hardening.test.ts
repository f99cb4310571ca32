/**
 * The proxy's outer defences, each shown doing its job: the per-client rate limit (429 + Retry-After), CORS only
 * for ALLOWED_ORIGINS (exact echo, refusal before any work), the body size cap (413, also for a chunked body with
 * no length), and the security headers on every HTML page and JSON answer.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { closeProxyApp, createProxyApp, MAX_BODY_BYTES } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { ERROR_STATUS } from '../src/errors.js';
import {
  invoiceOf,
  order,
  payment,
  post,
  SHOP_ORIGIN,
  type Stack,
  startStack,
  TEST_EPAY_TIMEOUTS,
  TEST_PAN,
} from './harness.js';

const RATE = 3;
const PAN = TEST_PAN;
let s: Stack;
const apps: Array<ReturnType<typeof createProxyApp>> = [];

/** A second app on the stack's settings (one sandbox bank), driven with `app.request`. */
function app(env: Record<string, string> = {}) {
  const a = createProxyApp(loadConfig({ ...s.env, ...env }), {
    logger: () => {},
    appleCa: s.apple.tlsCaPem,
    epayTimeouts: TEST_EPAY_TIMEOUTS,
  });
  apps.push(a);
  return a;
}

const json = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: typeof body === 'string' ? body : JSON.stringify(body),
});

beforeAll(async () => {
  // Served over real HTTP, so the rate limit keys on the socket's address.
  s = await startStack({ env: { RATE_LIMIT_PER_MINUTE: String(RATE) } });
});
afterAll(async () => {
  await Promise.all(apps.map((a) => closeProxyApp(a)));
  await s?.close();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('rate limit', () => {
  it('per client address over HTTP: the request past the limit gets 429 with Retry-After, and never reaches the bank', async () => {
    for (let i = 0; i < RATE; i++) {
      expect((await post(`${s.url}/applepay/payments`, '{')).status).toBe(400);
    }
    const o = await order();
    const limited = await post(`${s.url}/applepay/payments`, { order: o, payment: payment(s.apple, { pan: PAN }) });
    expect(limited.status).toBe(429);
    expect(limited.json).toEqual({ status: 'error', error: { code: 'rate_limited', message: expect.any(String) } });
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60).toBe(true);
    expect(s.bank.ledger.byInvoice(invoiceOf(o))).toHaveLength(0);

    // The session endpoint shares the limit; a forged X-Forwarded-For does not buy a new allowance (TRUST_PROXY off).
    const session = await post(`${s.url}/applepay/session`, {}, { origin: SHOP_ORIGIN });
    expect(session.status).toBe(429);
    const spoofed = await post(`${s.url}/applepay/payments`, '{', { 'x-forwarded-for': '198.51.100.7' });
    expect(spoofed.status).toBe(429);

    // Preflights and the other endpoints are not counted or limited.
    const preflight = await fetch(`${s.url}/applepay/payments`, {
      method: 'OPTIONS',
      headers: { origin: SHOP_ORIGIN, 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
  });

  it('behind a trusted reverse proxy, each client has its own allowance, keyed on the address the proxy added', async () => {
    const a = app({ RATE_LIMIT_PER_MINUTE: String(RATE), TRUST_PROXY: 'true' });
    let n = 0;
    // The reverse proxy appends the client's address; whatever the client wrote before it is the client's choice.
    const from = (ip: string) =>
      a.request('/applepay/payments', json('{', { 'x-forwarded-for': `10.9.${n++}.1, ${ip}` }));
    for (let i = 0; i < RATE; i++) expect((await from('203.0.113.1')).status).toBe(400);
    expect((await from('203.0.113.1')).status).toBe(429); // a new made-up first entry each time did not help
    expect((await from('203.0.113.2')).status).toBe(400);
  });

  it('opens again when the minute is over', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2030-01-01T00:00:00Z'));
    const a = app({ RATE_LIMIT_PER_MINUTE: '1' });
    expect((await a.request('/applepay/payments', json('{'))).status).toBe(400);
    const limited = await a.request('/applepay/payments', json('{'));
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('60');
    vi.setSystemTime(new Date('2030-01-01T00:00:30Z'));
    expect((await a.request('/applepay/payments', json('{'))).headers.get('retry-after')).toBe('30');
    vi.setSystemTime(new Date('2030-01-01T00:01:00Z'));
    expect((await a.request('/applepay/payments', json('{'))).status).toBe(400);
  });

  it('RATE_LIMIT_PER_MINUTE=0 turns it off', async () => {
    const a = app({ RATE_LIMIT_PER_MINUTE: '0' });
    const statuses = new Set<number>();
    for (let i = 0; i < 120; i++) statuses.add((await a.request('/applepay/payments', json('{'))).status);
    expect([...statuses]).toEqual([400]);
  });
});

describe('CORS', () => {
  const allowed = SHOP_ORIGIN;

  it('a preflight from an allowed origin is answered with that exact origin, never *', async () => {
    const a = app();
    for (const path of ['/applepay/payments', '/applepay/session']) {
      const r = await a.request(path, {
        method: 'OPTIONS',
        headers: {
          origin: allowed,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type',
        },
      });
      expect(r.status).toBe(204);
      expect(r.headers.get('access-control-allow-origin')).toBe(allowed);
      expect(r.headers.get('access-control-allow-methods')).toContain('POST');
      expect(r.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('content-type');
      expect(Number(r.headers.get('access-control-max-age'))).toBeGreaterThan(0);
      expect(r.headers.get('vary')).toMatch(/origin/i);
      expect(r.headers.get('access-control-allow-credentials')).toBeNull();
    }
  });

  it.each([
    ['another site', 'https://evil.example'],
    ['the same host over http', 'http://shop.example'],
    ['another port', 'https://shop.example:8443'],
    ['a subdomain', 'https://pay.shop.example'],
    ['a look-alike suffix', 'https://shop.example.evil.example'],
    ['an opaque origin', 'null'],
  ])('a preflight from %s gets no allow header', async (_name, origin) => {
    const r = await app().request('/applepay/payments', {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST' },
    });
    expect(r.headers.get('access-control-allow-origin')).toBeNull();
    expect(r.headers.get('access-control-allow-methods')).toBeNull();
  });

  it('a POST from another origin gets no allow header, so that page cannot read the answer', async () => {
    const r = await app().request(
      '/applepay/payments',
      json({ order: await order(), payment: payment(s.apple, { pan: PAN }) }, { origin: 'https://evil.example' }),
    );
    expect(r.headers.get('access-control-allow-origin')).toBeNull();
    expect(r.headers.get('vary')).toMatch(/origin/i);
  });

  it('a merchant session for a page outside APPLE_PAY_DOMAINS is refused (403 origin_not_allowed), nothing sent to Apple', async () => {
    const before = s.gateway.sessions.length;
    const r = await app().request(
      '/applepay/session',
      json({ validationURL: s.gateway.validationUrl, order: await order() }, { origin: 'https://evil.example' }),
    );
    expect(r.status).toBe(403);
    expect(await r.json()).toEqual({
      status: 'error',
      error: { code: 'origin_not_allowed', message: expect.any(String) },
    });
    expect(r.headers.get('access-control-allow-origin')).toBeNull();
    expect(s.gateway.sessions.length).toBe(before);
  });

  it('answers to an allowed origin carry the exact allow header, errors included (the page must read the code)', async () => {
    const a = app();
    const paid = await a.request(
      '/applepay/payments',
      json({ order: await order(), payment: payment(s.apple, { pan: PAN }) }, { origin: allowed }),
    );
    expect(paid.status).toBe(200);
    expect(paid.headers.get('access-control-allow-origin')).toBe(allowed);
    const error = await a.request('/applepay/payments', json('{', { origin: allowed }));
    expect(error.status).toBe(400);
    expect(error.headers.get('access-control-allow-origin')).toBe(allowed);
    expect(error.headers.get('vary')).toMatch(/origin/i);
  });

  it('the 3-D Secure TermUrl takes the bank’s cross-origin form post', async () => {
    const r = await app().request('/3ds/callback?ctx=x', {
      method: 'POST',
      headers: { origin: 'https://epay-proxy.homebank.kz', 'content-type': 'application/x-www-form-urlencoded' },
      body: 'PaRes=a&MD=b',
    });
    expect(r.status).toBe(400); // the failure page for a bad context, not a CORS refusal
    expect(r.headers.get('content-type')).toMatch(/text\/html/);
  });
});

describe('body size cap', () => {
  const over = 'x'.repeat(MAX_BODY_BYTES + 1);
  const padded = (size: number) => {
    const base = JSON.stringify({ order: 'x', pad: '' });
    return JSON.stringify({ order: 'x', pad: 'p'.repeat(size - base.length) });
  };

  it.each(['/applepay/payments', '/applepay/session', '/3ds/callback?ctx=x'])(
    '%s refuses a body over the cap → 413',
    async (path) => {
      const r = await app().request(path, json(over, { origin: SHOP_ORIGIN }));
      expect(r.status).toBe(413);
      expect(await r.json()).toEqual({
        status: 'error',
        error: { code: 'payload_too_large', message: expect.any(String) },
      });
    },
  );

  it('a body of exactly the cap is read (and refused for what it says, not for its size)', async () => {
    const body = padded(MAX_BODY_BYTES);
    expect(Buffer.byteLength(body)).toBe(MAX_BODY_BYTES);
    const r = await app().request('/applepay/payments', json(body));
    expect(r.status).toBe(400);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe('invalid_request');
  });

  it('a chunked body with no Content-Length is cut off at the cap over HTTP', async () => {
    const chunk = new TextEncoder().encode('y'.repeat(16 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        // A bounded stream, well past the cap: the proxy must stop reading and answer 413.
        if (sent >= 16) return controller.close();
        sent++;
        controller.enqueue(chunk);
      },
    });
    const big = await startStack({ env: { RATE_LIMIT_PER_MINUTE: '0' } });
    try {
      const res = await fetch(`${big.url}/applepay/payments`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: stream,
        duplex: 'half',
      } as RequestInit & { duplex: 'half' });
      expect(res.status).toBe(413);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('payload_too_large');
    } finally {
      await big.close();
    }
  });
});

describe('security headers', () => {
  it('every HTML page the proxy serves forbids scripts, framing, sniffing, referrers and caching', async () => {
    const a = app();
    const pages = [
      await a.request('/3ds/callback?ctx=forged', {
        method: 'POST',
        body: new URLSearchParams({ PaRes: 'a', MD: 'b' }),
      }),
      await a.request('/3ds/callback', { method: 'POST' }),
    ];
    for (const r of pages) {
      expect(r.headers.get('content-type')).toMatch(/^text\/html/);
      const csp = r.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toMatch(/script-src/);
      expect(r.headers.get('x-frame-options')).toBe('DENY');
      expect(r.headers.get('x-content-type-options')).toBe('nosniff');
      expect(r.headers.get('referrer-policy')).toBe('no-referrer');
      expect(r.headers.get('cache-control')).toBe('no-store');
      expect(await r.text()).not.toMatch(/<script/i);
    }
  });

  it('JSON answers are not sniffed or cached, and carry no stack', async () => {
    const a = app();
    for (const [path, init] of [
      ['/healthz', { method: 'GET' }],
      ['/applepay/payments', json('{')],
      ['/nowhere', { method: 'GET' }],
    ] as const) {
      const r = await a.request(path, init);
      expect(r.headers.get('x-content-type-options')).toBe('nosniff');
      expect(r.headers.get('cache-control')).toBe('no-store');
      expect(r.headers.get('content-type')).toMatch(/^application\/json/);
      const body = (await r.json()) as { status: string; error?: { code: string } };
      if (body.error) expect(ERROR_STATUS[body.error.code as keyof typeof ERROR_STATUS]).toBe(r.status);
    }
  });
});

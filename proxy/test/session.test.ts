/**
 * `POST /applepay/session` against the sandbox Apple over real mutual TLS, and the early bank token it prepares so that
 * after the customer authorizes only `cryptopay` is left.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  invoiceOf,
  order,
  payment,
  post,
  SHOP_ORIGIN,
  type Stack,
  startStack,
  SCENARIO_AMOUNT,
  TEST_PAN,
} from './harness.js';

let s: Stack;
beforeAll(async () => {
  s = await startStack();
});
afterAll(async () => {
  await s?.close();
});

const session = (body: unknown, origin: string | null = SHOP_ORIGIN) =>
  post(`${s.url}/applepay/session`, body, origin === null ? {} : { origin });

describe('POST /applepay/session', () => {
  it('returns Apple’s merchant session unchanged, for the page’s own domain', async () => {
    const before = s.gateway.sessions.length;
    const r = await session({ validationURL: s.gateway.validationUrl, order: await order() });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({
      merchantIdentifier: expect.any(String),
      merchantSessionIdentifier: expect.any(String),
      nonce: expect.any(String),
      domainName: 'shop.example',
      displayName: 'Sandbox Shop',
      signature: expect.any(String),
    });
    expect(r.headers.get('access-control-allow-origin')).toBe(SHOP_ORIGIN);
    expect(s.gateway.sessions.length).toBe(before + 1);
    expect(s.gateway.sessions.at(-1)).toMatchObject({
      merchantIdentifier: s.apple.merchantId,
      initiativeContext: 'shop.example',
    });
  });

  it.each([
    ['another site', 'https://evil.example'],
    ['no Origin', null],
    ['a look-alike', 'https://shop.example.evil.example'],
  ])('refuses %s with 403 origin_not_allowed, nothing sent to Apple', async (_n, origin) => {
    const before = s.gateway.sessions.length;
    const r = await session({ validationURL: s.gateway.validationUrl, order: await order() }, origin);
    expect([r.status, r.json.error.code]).toEqual([403, 'origin_not_allowed']);
    expect(r.headers.get('access-control-allow-origin')).toBeNull();
    expect(s.gateway.sessions.length).toBe(before);
  });

  it.each([
    ['an Apple host not in the allowlist', 'https://apple-pay-gateway.apple.com/paymentservices/paymentSession'],
    ['http', () => s.gateway.validationUrl.replace('https:', 'http:')],
    ['another path', () => s.gateway.validationUrl.replace('paymentSession', 'other')],
    ['userinfo', () => s.gateway.validationUrl.replace('https://', 'https://apple-pay-gateway.apple.com@')],
    ['not a string', 42],
  ])('refuses a validation URL that is %s with 400 invalid_validation_url', async (_n, url) => {
    const before = s.gateway.sessions.length;
    const r = await session({ validationURL: typeof url === 'function' ? url() : url, order: await order() });
    expect([r.status, r.json.error.code]).toEqual([400, 'invalid_validation_url']);
    expect(s.gateway.sessions.length).toBe(before);
  });

  it('refuses a bad or expired order before calling Apple', async () => {
    const before = s.gateway.sessions.length;
    const bad = await session({ validationURL: s.gateway.validationUrl, order: 'x.y.z' });
    expect([bad.status, bad.json.error.code]).toEqual([400, 'invalid_order']);
    const old = await session({ validationURL: s.gateway.validationUrl, order: await order({ exp: 1 }) });
    expect([old.status, old.json.error.code]).toEqual([400, 'order_expired']);
    expect(s.gateway.sessions.length).toBe(before);
  });

  it('answers 502 apple_unavailable when Apple’s gateway cannot be reached', async () => {
    const down = await startStack({ env: { APPLE_VALIDATION_HOSTS: '127.0.0.1:9' } });
    try {
      const r = await post(
        `${down.url}/applepay/session`,
        { validationURL: 'https://127.0.0.1:9/paymentservices/paymentSession', order: await order() },
        { origin: SHOP_ORIGIN },
      );
      expect([r.status, r.json.error.code]).toEqual([502, 'apple_unavailable']);
    } finally {
      await down.close();
    }
  });

  it('answers the CORS preflight for allowed origins only', async () => {
    const ok = await fetch(`${s.url}/applepay/session`, {
      method: 'OPTIONS',
      headers: {
        origin: SHOP_ORIGIN,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe(SHOP_ORIGIN);
    expect(ok.headers.get('access-control-allow-headers')).toContain('content-type');
    const no = await fetch(`${s.url}/applepay/session`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example' },
    });
    expect(no.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('the early bank token', () => {
  it('is fetched when the sheet opens, so that after authorization only cryptopay reaches the bank', async () => {
    const o = await order({ amount: 3300 });
    const invoiceId = invoiceOf(o);
    expect((await session({ validationURL: s.gateway.validationUrl, order: o })).status).toBe(200);
    // Let the prefetch land (it runs beside Apple's call).
    for (
      let i = 0;
      i < 50 && !s.bank.calls.some((c) => c.path === '/oauth2/token' && c.invoiceId === invoiceId && c.status === 200);
      i++
    ) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const mark = s.bank.calls.length;
    const r = await post(
      `${s.url}/applepay/payments`,
      { order: o, payment: payment(s.apple, { amount: 3300, pan: TEST_PAN }) },
      { origin: SHOP_ORIGIN },
    );
    expect([r.status, r.json.status]).toEqual([200, 'paid']);
    const after = s.bank.calls.slice(mark).map((c) => c.path);
    expect(after).toEqual(['/payment/cryptopay']);
  });

  it('is used once: a second attempt on the same order fetches a fresh token', async () => {
    const o = await order({ amount: SCENARIO_AMOUNT.doNotHonor }); // declined, so the order can be tried again
    expect((await session({ validationURL: s.gateway.validationUrl, order: o })).status).toBe(200);
    const first = await post(`${s.url}/applepay/payments`, {
      order: o,
      payment: payment(s.apple, { amount: SCENARIO_AMOUNT.doNotHonor }),
    });
    expect(first.status).toBe(402);
    const mark = s.bank.calls.length;
    await post(`${s.url}/applepay/payments`, {
      order: o,
      payment: payment(s.apple, { amount: SCENARIO_AMOUNT.doNotHonor }),
    });
    expect(s.bank.calls.slice(mark).map((c) => c.path)).toContain('/oauth2/token');
  });
});

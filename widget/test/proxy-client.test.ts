/** @module The two proxy calls: request shape, every answer the proxy may give, and everything it should not. */
import { PROXY_TIMEOUT_MS, authorizePayment, endpoint, requestMerchantSession } from '../src/proxy-client.js';
import { deepEqual, equal, ok } from './helpers/assert.js';
import { FAKE_PAYMENT, VALIDATION_URL } from '../test-support/fake-apple-pay-session.js';
import {
  type FakeProxy,
  MERCHANT_SESSION,
  PAID,
  THREE_DS,
  delay,
  installFakeProxy,
  json,
  proxyError,
  text,
} from './helpers/fake-proxy.js';

describe('proxy client', () => {
  let proxy: FakeProxy;
  afterEach(() => proxy?.uninstall());

  it('waits less than Apple does, and more than the proxy may take', () => {
    ok(PROXY_TIMEOUT_MS > 25_000 && PROXY_TIMEOUT_MS < 30_000, String(PROXY_TIMEOUT_MS));
  });

  it('joins the base URL and the path', () => {
    equal(endpoint('https://pay.example.kz', '/applepay/session'), 'https://pay.example.kz/applepay/session');
    equal(
      endpoint('https://pay.example.kz/base//', '/applepay/payments'),
      'https://pay.example.kz/base/applepay/payments',
    );
    equal(endpoint(' /pay ', '/applepay/session'), '/pay/applepay/session');
  });

  it('posts {validationURL, order} as JSON and returns the merchant session', async () => {
    proxy = installFakeProxy();
    const r = await requestMerchantSession('/pay', { validationURL: VALIDATION_URL, order: 'tok' });
    deepEqual(r, { ok: true, merchantSession: MERCHANT_SESSION });
    const [req] = proxy.requests;
    equal(req!.method, 'POST');
    equal(req!.path, '/pay/applepay/session');
    equal(req!.headers.get('content-type'), 'application/json');
    deepEqual(req!.body, { validationURL: VALIDATION_URL, order: 'tok' });
  });

  it('maps merchant-validation failures', async () => {
    // A refusal is session_refused (docs/element.md), with the proxy's own code beside it when it gave one.
    const cases: [any, string, string | undefined][] = [
      [proxyError(403, 'origin_not_allowed'), 'session_refused', 'origin_not_allowed'],
      [proxyError(400, 'order_expired'), 'session_refused', 'order_expired'],
      [proxyError(502, 'apple_unavailable'), 'session_refused', 'apple_unavailable'],
      [text(403, '<html>Forbidden</html>'), 'session_refused', undefined],
      [text(500, ''), 'session_refused', undefined],
      [text(200, '<html>hello</html>'), 'proxy_error', undefined],
      [text(200, 'null', 'application/json'), 'proxy_error', undefined],
      ['network-error', 'network_error', undefined],
    ];
    for (const [reply, code, proxyCode] of cases) {
      proxy?.uninstall();
      proxy = installFakeProxy({ session: reply });
      const r = await requestMerchantSession('/pay', { validationURL: VALIDATION_URL, order: 'tok' });
      equal(r.ok ? 'ok' : r.code, code, String(reply));
      equal(r.ok ? undefined : r.proxyCode, proxyCode, String(reply));
    }
  });

  it('posts {order, payment} and reads paid, 3ds and declined', async () => {
    proxy = installFakeProxy();
    const body = { order: 'tok', payment: FAKE_PAYMENT };
    deepEqual(await authorizePayment('https://pay.example.kz', body), {
      ok: true,
      status: 'paid',
      payment: PAID.payment,
    });
    equal(proxy.requests[0]!.url, 'https://pay.example.kz/applepay/payments');
    deepEqual(proxy.requests[0]!.body, body);

    proxy.payments = json(200, THREE_DS);
    deepEqual(await authorizePayment('/p', body), { ok: true, status: '3ds', form: THREE_DS.form });

    proxy.payments = json(402, {
      status: 'declined',
      error: { code: 'declined', bankCode: 487, message: 'Not permitted to merchant' },
    });
    deepEqual(await authorizePayment('/p', body), {
      ok: true,
      status: 'declined',
      declined: { code: 'declined', bankCode: 487, message: 'Not permitted to merchant' },
    });
  });

  it("passes the proxy's error codes through and calls everything else proxy_error", async () => {
    const cases: [any, string][] = [
      [proxyError(504, 'outcome_unknown'), 'outcome_unknown'],
      [proxyError(400, 'amount_mismatch'), 'amount_mismatch'],
      [proxyError(409, 'payment_in_progress'), 'payment_in_progress'],
      [proxyError(502, 'bank_unavailable'), 'bank_unavailable'],
      [text(500, '<!doctype html><title>500</title>'), 'proxy_error'],
      [text(500, ''), 'proxy_error'],
      [text(200, 'garbage{', 'application/json'), 'proxy_error'],
      [json(200, { status: 'paid' }), 'proxy_error'],
      [json(200, { status: 'weird' }), 'proxy_error'],
      [json(200, { ...THREE_DS, form: { ...THREE_DS.form, action: 'javascript:alert(1)' } }), 'proxy_error'],
      [json(200, { ...THREE_DS, form: { ...THREE_DS.form, action: 'http://bank.example/3ds' } }), 'proxy_error'],
      [
        json(200, { ...THREE_DS, form: { action: THREE_DS.form.action, fields: { PaReq: 'x', MD: 'y' } } }),
        'proxy_error',
      ],
      [json(200, [1, 2]), 'proxy_error'],
      [json(200, { status: 'error', error: { code: 42 } }), 'proxy_error'],
      ['network-error', 'network_error'],
    ];
    for (const [reply, code] of cases) {
      proxy?.uninstall();
      proxy = installFakeProxy({ payments: reply });
      const r = await authorizePayment('/pay', { order: 'tok', payment: {} });
      equal(r.ok ? r.status : r.code, code, JSON.stringify(reply));
    }
  });

  it('gives up after its timeout, aborting the request, also when the body stalls', async () => {
    proxy = installFakeProxy({ payments: 'hang' });
    const r = await authorizePayment('/pay', { order: 'tok', payment: {} }, { timeoutMs: 120 });
    equal(r.ok ? 'ok' : r.code, 'timeout');
    ok(proxy.requests[0]!.aborted, 'the request was aborted');

    // Headers arrive in time, the body never does.
    proxy.payments = () =>
      new Response(new ReadableStream({ start: (c) => c.enqueue(new TextEncoder().encode('{"status":')) }), {
        status: 200,
      });
    const stalled = await authorizePayment('/pay', { order: 'tok', payment: {} }, { timeoutMs: 120 });
    equal(stalled.ok ? 'ok' : stalled.code, 'timeout');
  });

  it('answers in time when the proxy is slow but within the timeout', async () => {
    proxy = installFakeProxy({ payments: async () => (await delay(50), json(200, PAID)) });
    const r = await authorizePayment('/pay', { order: 'tok', payment: {} }, { timeoutMs: 1000 });
    equal(r.ok && r.status, 'paid');
  });

  it('stops when the caller gives up, without calling it a timeout', async () => {
    proxy = installFakeProxy({ session: 'hang' });
    const controller = new AbortController();
    const pending = requestMerchantSession(
      '/pay',
      { validationURL: VALIDATION_URL, order: 'tok' },
      { signal: controller.signal },
    );
    await delay(20);
    controller.abort();
    const r = await pending;
    equal(r.ok ? 'ok' : r.code, 'network_error');
    ok(proxy.requests[0]!.aborted);
  });
});

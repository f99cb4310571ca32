/**
 * @module Bad input: a missing, malformed or expired order token, a missing proxy, a proxy that
 * answers garbage, HTML, a 500, nothing or cannot be reached. Each ends in `epay-error` with a
 * code, nothing thrown into the page, and no sheet left open.
 */
import '../src/index.js';
import type { EpayApplePayButton } from '../src/epay-applepay-button.js';
import { deepEqual, equal, ok } from './helpers/assert.js';
import type { FakeApplePay } from '../test-support/fake-apple-pay-session.js';
import { type FakeProxy, type Reply, installFakeProxy, text } from './helpers/fake-proxy.js';
import { catchPageErrors, makeOrder, mount, nextEvent, realClick, recordEvents, waitFor } from './helpers/page.js';
import { installSafariApplePay } from './helpers/safari.js';

let applePay: FakeApplePay;
let proxy: FakeProxy;
let el: EpayApplePayButton | undefined;
let pageErrors: ReturnType<typeof catchPageErrors>;

beforeEach(() => {
  pageErrors = catchPageErrors();
  applePay = installSafariApplePay({ stepTimeoutMs: 3000 });
});

afterEach(() => {
  el?.remove();
  el = undefined;
  applePay.uninstall();
  proxy?.uninstall();
  pageErrors.stop();
});

/** Clicks, lets the customer authorize if the sheet gets that far, and returns the one outcome. */
async function attempt(attributes: Record<string, string>, replies: { session?: Reply; payments?: Reply } = {}) {
  proxy = installFakeProxy(replies);
  el = await mount(attributes);
  el.proxyTimeout = 300;
  const log = recordEvents(el);
  const error = nextEvent(el, 'epay-error');
  await realClick(el);
  const session = applePay.last;
  if (session) {
    await waitFor(() => session.step === 'waiting' || session.step === 'ended', 'merchant validation');
    if (session.step === 'waiting') session.authorize();
  }
  const event = await error;
  await new Promise((r) => setTimeout(r, 20));
  log.stop();
  deepEqual(log.outcomes(), ['epay-error'], 'exactly one outcome');
  ok(
    applePay.sessions.every((s) => s.step === 'ended'),
    'no sheet left open',
  );
  deepEqual(pageErrors.errors.map(String), [], 'nothing thrown into the page');
  ok(typeof event.detail.message === 'string' && event.detail.message.length > 0, 'a message');
  return { code: event.detail.code as string, message: event.detail.message as string, session, proxy };
}

const PROXY = 'https://pay.example.kz';

describe('bad input', () => {
  it('missing order token: invalid_order, no sheet', async () => {
    const r = await attempt({ proxy: PROXY });
    equal(r.code, 'invalid_order');
    equal(r.session, undefined);
    equal(r.proxy.requests.length, 0);
  });

  it('malformed order token: invalid_order, no sheet', async () => {
    for (const order of ['garbage', 'a.b.c', makeOrder({ amount: 'lots' })]) {
      const r = await attempt({ proxy: PROXY, order });
      equal(r.code, 'invalid_order', order);
      equal(r.session, undefined);
      el!.remove();
      proxy.uninstall();
    }
  });

  it('expired order token: invalid_order, no sheet, the token not in the message', async () => {
    const order = makeOrder({ exp: Math.floor(Date.now() / 1000) - 5 });
    const r = await attempt({ proxy: PROXY, order });
    equal(r.code, 'invalid_order');
    ok(/expired/i.test(r.message), r.message);
    ok(!r.message.includes(order.split('.')[1]!));
    equal(r.session, undefined);
  });

  it('missing proxy: proxy_error, no sheet', async () => {
    const r = await attempt({ order: makeOrder() });
    equal(r.code, 'proxy_error');
    equal(r.session, undefined);
  });

  it('proxy answers garbage to the merchant validation: proxy_error, sheet aborted', async () => {
    const r = await attempt({ proxy: PROXY, order: makeOrder() }, { session: text(200, 'ok!!', 'text/plain') });
    equal(r.code, 'proxy_error');
    equal(r.session!.endedBy, 'abort');
  });

  it('proxy answers an HTML 500 to the payment: proxy_error, sheet failed', async () => {
    const r = await attempt(
      { proxy: PROXY, order: makeOrder() },
      { payments: text(500, '<!doctype html><h1>Internal Server Error</h1>') },
    );
    equal(r.code, 'proxy_error');
    equal(r.session!.paymentStatus, 1);
  });

  it('proxy answers a bare 500 to the merchant validation: session_refused, sheet aborted', async () => {
    const r = await attempt({ proxy: PROXY, order: makeOrder() }, { session: text(500, '') });
    equal(r.code, 'session_refused');
    equal(r.session!.endedBy, 'abort');
  });

  it('proxy answers an empty 500 to the payment: proxy_error', async () => {
    const r = await attempt({ proxy: PROXY, order: makeOrder() }, { payments: text(500, '') });
    equal(r.code, 'proxy_error');
    equal(r.session!.paymentStatus, 1);
  });

  it('proxy answers nothing: timeout, sheet closed by the element', async () => {
    const r = await attempt({ proxy: PROXY, order: makeOrder() }, { payments: 'hang' });
    equal(r.code, 'timeout');
    equal(r.session!.endedBy, 'payment');
  });

  it('proxy cannot be reached for the merchant validation: network_error, sheet aborted', async () => {
    const r = await attempt({ proxy: PROXY, order: makeOrder() }, { session: 'network-error' });
    equal(r.code, 'network_error');
    equal(r.session!.endedBy, 'abort');
  });

  it('proxy cannot be reached for the payment: network_error, sheet failed', async () => {
    const r = await attempt({ proxy: PROXY, order: makeOrder() }, { payments: 'network-error' });
    equal(r.code, 'network_error');
    equal(r.session!.paymentStatus, 1);
  });
});

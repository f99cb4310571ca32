/**
 * @module The element end to end against the fake ApplePaySession and the fake proxy, with real
 * clicks: every event row, the request it builds, exclusive outcomes, and the sheet always closed.
 */
import '../src/index.js';
import type { EpayApplePayButton } from '../src/epay-applepay-button.js';
import { buildPaymentRequest } from '../src/payment-request.js';
import { deepEqual, equal, ok } from './helpers/assert.js';
import { type FakeApplePay, FAKE_PAYMENT, VALIDATION_URL } from '../test-support/fake-apple-pay-session.js';
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
import {
  type EventLog,
  buttonOf,
  catchPageErrors,
  makeOrder,
  mount,
  nextEvent,
  realClick,
  realKey,
  recordEvents,
  waitFor,
} from './helpers/page.js';
import { installSafariApplePay } from './helpers/safari.js';

let applePay: FakeApplePay;
let proxy: FakeProxy;
let log: EventLog & { stop(): void };
let pageErrors: ReturnType<typeof catchPageErrors>;
let el: EpayApplePayButton | undefined;

/** Safari with Apple Pay (the fake session and the native button), and the fake proxy. */
function setup(
  options: Parameters<typeof installSafariApplePay>[0] = {},
  replies: Parameters<typeof installFakeProxy>[0] = {},
) {
  applePay = installSafariApplePay({ stepTimeoutMs: 2000, ...options });
  proxy = installFakeProxy(replies);
}

async function mountButton(attributes: Record<string, string | boolean> = {}) {
  el = await mount({ proxy: 'https://pay.example.kz', order: makeOrder(), label: 'Example Shop', ...attributes });
  log = recordEvents(el);
  return el;
}

/** Clicks for real and waits until the merchant validation is over (the sheet shows, or ended). */
async function clickThroughValidation() {
  await realClick(el!);
  const session = applePay.last;
  ok(session, 'a session was created in the click');
  await waitFor(() => session.step === 'waiting' || session.step === 'ended', 'merchant validation');
  return session;
}

/** The attempt ended in exactly one outcome, the sheet is closed, and nothing was thrown into the page. */
function assertSettled(outcome: string) {
  deepEqual(log.outcomes(), [outcome], 'exactly one outcome');
  ok(
    applePay.sessions.every((s) => s.step === 'ended'),
    'no sheet left open',
  );
  deepEqual(pageErrors.errors.map(String), [], 'nothing thrown into the page');
}

function detail(type: string) {
  return log.events.find((e) => e.type === type)?.detail;
}

beforeEach(() => {
  pageErrors = catchPageErrors();
});

afterEach(async () => {
  log?.stop();
  el?.remove();
  el = undefined;
  applePay?.uninstall();
  proxy?.uninstall();
  pageErrors.stop();
});

describe('epay-ready', () => {
  it('says available and shows the button where Apple Pay can pay', async () => {
    setup();
    const host = document.createElement('epay-applepay-button');
    const ready = nextEvent(host, 'epay-ready');
    document.body.append(host);
    el = host;
    const event = await ready;
    deepEqual(event.detail, { available: true });
    ok(event.bubbles && event.composed, 'bubbles and is composed');
    ok(host.available && host.hasAttribute('available'));
    equal(getComputedStyle(host).display, 'inline-block');
    ok(buttonOf(host).getBoundingClientRect().width > 0, 'the button is visible');
  });

  const cases: [string, () => void, string][] = [
    ['no ApplePaySession', () => undefined, 'unsupported_browser'],
    ['canMakePayments() false', () => setup({ canMakePayments: false }), 'cannot_make_payments'],
    ['canMakePayments() throws', () => setup({ canMakePayments: 'throw' }), 'cannot_make_payments'],
    ['no supported version', () => setup({ maxVersion: 0 }), 'unsupported_version'],
  ];
  for (const [name, arrange, reason] of cases) {
    it(`says why and hides itself: ${name}`, async () => {
      arrange();
      const host = document.createElement('epay-applepay-button');
      const ready = nextEvent(host, 'epay-ready');
      document.body.append(host);
      el = host;
      deepEqual((await ready).detail, { available: false, reason });
      equal(host.available, false);
      equal(getComputedStyle(host).display, 'none');
      equal(host.shadowRoot!.querySelector('[part=button]'), null, 'nothing to click');
    });
  }

  it('opens the session with the highest supported version', async () => {
    setup({ maxVersion: 12 });
    await mountButton();
    await realClick(el!);
    equal(applePay.last!.version, 12);
    applePay.last!.cancel();
  });
});

describe('a payment', () => {
  it('pays: epay-click, merchant validation, authorization, success', async () => {
    setup();
    const order = makeOrder({ amount: 2500.5 });
    await mountButton({ order });
    const session = await clickThroughValidation();
    deepEqual(session.merchantSession, MERCHANT_SESSION, "Apple's session from the proxy, unchanged");
    deepEqual(proxy.requests[0]!.body, { validationURL: VALIDATION_URL, order });
    equal(proxy.requests[0]!.url, 'https://pay.example.kz/applepay/session');

    const success = nextEvent(el!, 'epay-success');
    session.authorize();
    const event = await success;
    deepEqual(event.detail, { payment: PAID.payment, billingContact: FAKE_PAYMENT.billingContact });
    ok(event.bubbles && event.composed);
    equal(proxy.requests[1]!.url, 'https://pay.example.kz/applepay/payments');
    deepEqual(proxy.requests[1]!.body, { order, payment: FAKE_PAYMENT });
    deepEqual(session.calls, ['begin', 'completeMerchantValidation', 'completePayment:0']);
    deepEqual(
      log.events.map((e) => e.type),
      ['epay-click', 'epay-success'],
    );
    assertSettled('epay-success');
  });

  const attributeSets: [string, Record<string, string>, Record<string, unknown>][] = [
    ['defaults', {}, {}],
    [
      'every attribute',
      {
        label: 'Dastarkhan',
        country: 'kz',
        networks: 'visa,masterCard,amex',
        capabilities: 'supportsDebit',
        'contact-fields': 'name,email,phone',
      },
      { amount: 12.3, currency: 'USD' },
    ],
    ['no label: the host name', { label: '' }, { amount: 1 }],
  ];
  for (const [name, attributes, claims] of attributeSets) {
    it(`builds the payment request from the order and the attributes: ${name}`, async () => {
      setup();
      const order = makeOrder(claims);
      await mountButton({ order, ...attributes });
      await realClick(el!);
      const payload = JSON.parse(atob(order.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/')));
      deepEqual(
        applePay.last!.request,
        buildPaymentRequest(payload, {
          label: attributes['label'] ?? 'Example Shop',
          country: attributes['country'],
          networks: attributes['networks'],
          capabilities: attributes['capabilities'],
          contactFields: attributes['contact-fields'],
          fallbackLabel: location.hostname,
        }),
      );
      if (name === 'no label: the host name') equal(applePay.last!.request['total'].label, location.hostname);
      applePay.last!.cancel();
    });
  }

  it('3-D Secure: completes the payment, fires epay-3ds, then posts the form to the bank', async () => {
    setup({}, { payments: json(200, THREE_DS) });
    await mountButton();
    const submitted: HTMLFormElement[] = [];
    const submit = HTMLFormElement.prototype.submit;
    HTMLFormElement.prototype.submit = function (this: HTMLFormElement) {
      submitted.push(this);
    };
    try {
      const session = await clickThroughValidation();
      let completedBefore: number | undefined;
      el!.addEventListener('epay-3ds', () => (completedBefore = session.paymentStatus));
      const threeDs = nextEvent(el!, 'epay-3ds');
      session.authorize();
      const event = await threeDs;
      deepEqual(event.detail, { ...THREE_DS.form, billingContact: FAKE_PAYMENT.billingContact });
      ok(event.cancelable, 'epay-3ds is cancelable');
      equal(completedBefore, 0, 'the sheet closed with success before epay-3ds');
      equal(submitted.length, 1, 'the form was submitted');
      const form = submitted[0]!;
      equal(form.method, 'post');
      equal(form.action, THREE_DS.form.action);
      equal(form.parentNode, document.body, 'a form in the document (a detached one does not submit)');
      deepEqual(Object.fromEntries(new FormData(form)), THREE_DS.form.fields);
      ok([...form.elements].every((i) => (i as HTMLInputElement).type === 'hidden'));
      equal(form.querySelector('script'), null);
      form.remove();
      assertSettled('epay-3ds');
    } finally {
      HTMLFormElement.prototype.submit = submit;
    }
  });

  it('3-D Secure, cancelled by the page: no form is posted', async () => {
    setup({}, { payments: json(200, THREE_DS) });
    await mountButton();
    const before = document.forms.length;
    el!.addEventListener('epay-3ds', (e) => e.preventDefault());
    const session = await clickThroughValidation();
    const threeDs = nextEvent(el!, 'epay-3ds');
    session.authorize();
    await threeDs;
    equal(document.forms.length, before, 'no form added');
    assertSettled('epay-3ds');
  });

  it('declined: closes the sheet with a failure and fires epay-declined', async () => {
    setup(
      {},
      {
        payments: json(402, {
          status: 'declined',
          error: { code: 'declined', bankCode: 487, message: 'Not permitted to merchant' },
        }),
      },
    );
    await mountButton();
    const session = await clickThroughValidation();
    const declined = nextEvent(el!, 'epay-declined');
    session.authorize();
    deepEqual((await declined).detail, { code: 'declined', bankCode: 487, message: 'Not permitted to merchant' });
    equal(session.paymentStatus, 1);
    assertSettled('epay-declined');
  });

  it('cancel: the customer closes the sheet during merchant validation; the call is given up', async () => {
    setup({}, { session: 'hang' });
    await mountButton();
    await realClick(el!);
    await waitFor(() => proxy.requests.length === 1, 'the session call');
    const cancel = nextEvent(el!, 'epay-cancel');
    applePay.last!.cancel();
    deepEqual((await cancel).detail, {});
    await waitFor(() => proxy.requests[0]!.aborted, 'the call aborted');
    deepEqual(applePay.last!.calls, ['begin'], 'nothing called on a closed sheet');
    equal(proxy.requests.length, 1, 'no payment call');
    assertSettled('epay-cancel');
  });

  it('cancel: the customer closes the sheet without paying', async () => {
    setup();
    await mountButton();
    const session = await clickThroughValidation();
    const cancel = nextEvent(el!, 'epay-cancel');
    session.cancel();
    await cancel;
    assertSettled('epay-cancel');
  });

  it("a sheet closed while the bank is paying ends with the bank's answer, not a cancel", async () => {
    setup({}, { payments: async () => (await delay(150), json(200, PAID)) });
    await mountButton();
    const session = await clickThroughValidation();
    const success = nextEvent(el!, 'epay-success');
    session.authorize();
    await waitFor(() => proxy.requests.length === 2, 'the payment call');
    session.cancel();
    await success;
    ok(!session.calls.some((c) => c.startsWith('completePayment')), 'no completePayment on a closed sheet');
    assertSettled('epay-success');
  });

  it('epay-click, cancelled: no sheet, no call, no outcome', async () => {
    setup();
    await mountButton();
    el!.addEventListener('epay-click', (e) => e.preventDefault());
    await realClick(el!);
    await delay(50);
    equal(applePay.sessions.length, 0);
    equal(proxy.requests.length, 0);
    deepEqual(
      log.events.map((e) => e.type),
      ['epay-click'],
    );
  });

  it('epay-click may set a fresh order just in time', async () => {
    setup();
    await mountButton({ order: makeOrder({ exp: 1 }) });
    const fresh = makeOrder({ amount: 777 });
    el!.addEventListener('epay-click', () => (el!.order = fresh));
    const session = await clickThroughValidation();
    equal(session.request['total'].amount, '777.00');
    equal(proxy.requests[0]!.body.order, fresh);
    session.cancel();
  });

  it('ignores clicks while a sheet is open, and pays again after an outcome', async () => {
    setup();
    await mountButton();
    const session = await clickThroughValidation();
    await realClick(el!);
    equal(applePay.sessions.length, 1, 'no second session');
    deepEqual(
      log.events.map((e) => e.type),
      ['epay-click'],
    );
    const cancel = nextEvent(el!, 'epay-cancel');
    session.cancel();
    await cancel;

    const again = await clickThroughValidation();
    const success = nextEvent(el!, 'epay-success');
    again.authorize();
    await success;
    deepEqual(log.outcomes(), ['epay-cancel', 'epay-success'], 'one outcome per attempt');
  });

  it('honours disabled', async () => {
    setup();
    await mountButton({ disabled: true });
    ok(buttonOf(el!).disabled);
    await realClick(el!);
    await delay(50);
    deepEqual(log.events, []);
    equal(applePay.sessions.length, 0);
    el!.disabled = false;
    await el!.updateComplete;
    equal(buttonOf(el!).disabled, false);
  });

  for (const key of ['Enter', 'Space']) {
    it(`opens the sheet from the keyboard (${key})`, async () => {
      setup();
      await mountButton();
      buttonOf(el!).focus();
      await realKey(key);
      ok(applePay.last, 'a session from the key press');
      applePay.last!.cancel();
    });
  }

  it('a click the browser does not count as a gesture (element.click()) is refused, reported, and leaves nothing open', async () => {
    setup();
    await mountButton();
    buttonOf(el!).click();
    equal(applePay.sessions.length, 0);
    deepEqual(detail('epay-error')?.code, 'session_refused');
    assertSettled('epay-error');
  });
});

describe('epay-error', () => {
  it("passes the proxy's code through: outcome_unknown", async () => {
    setup({}, { payments: proxyError(504, 'outcome_unknown', 'The bank did not answer in time') });
    await mountButton();
    const session = await clickThroughValidation();
    const error = nextEvent(el!, 'epay-error');
    session.authorize();
    deepEqual((await error).detail, { code: 'outcome_unknown', message: 'The bank did not answer in time' });
    equal(session.paymentStatus, 1, 'failure on the sheet');
    assertSettled('epay-error');
  });

  it('a merchant validation the proxy refuses with a code: abort, session_refused with the proxy’s code, no payment call', async () => {
    setup({}, { session: proxyError(403, 'origin_not_allowed') });
    await mountButton();
    const session = await clickThroughValidation();
    equal(detail('epay-error')?.code, 'session_refused');
    equal(detail('epay-error')?.proxyCode, 'origin_not_allowed');
    deepEqual(Object.keys(detail('epay-error') ?? {}).sort(), ['code', 'message', 'proxyCode']);
    deepEqual(session.calls, ['begin', 'abort']);
    equal(proxy.requests.length, 1);
    assertSettled('epay-error');
  });

  it('a merchant validation refused without a code: session_refused', async () => {
    setup({}, { session: text(403, '<html><body>Forbidden</body></html>') });
    await mountButton();
    const session = await clickThroughValidation();
    equal(detail('epay-error')?.code, 'session_refused');
    deepEqual(session.calls, ['begin', 'abort']);
    assertSettled('epay-error');
  });

  it('a merchant session Apple Pay refuses: abort and session_refused', async () => {
    setup({ refuseMerchantSession: true });
    await mountButton();
    const session = await clickThroughValidation();
    equal(detail('epay-error')?.code, 'session_refused');
    deepEqual(session.calls, ['begin', 'completeMerchantValidation', 'abort']);
    equal(proxy.requests.length, 1);
    assertSettled('epay-error');
  });

  it('timeout in merchant validation: the element closes the sheet before Apple does', async () => {
    setup({ stepTimeoutMs: 1500 }, { session: 'hang' });
    await mountButton();
    el!.proxyTimeout = 200;
    const error = nextEvent(el!, 'epay-error');
    await realClick(el!);
    equal((await error).detail.code, 'timeout');
    equal(applePay.last!.endedBy, 'abort', 'closed by the element, not expired by Apple');
    ok(proxy.requests[0]!.aborted);
    assertSettled('epay-error');
  });

  it('timeout in payment: failure on the sheet before Apple expires it; the outcome is unknown', async () => {
    setup({ stepTimeoutMs: 1500 }, { payments: 'hang' });
    await mountButton();
    el!.proxyTimeout = 200;
    const session = await clickThroughValidation();
    const error = nextEvent(el!, 'epay-error');
    session.authorize();
    const { detail: d } = await error;
    equal(d.code, 'timeout');
    ok(/unknown/.test(d.message), d.message);
    equal(session.endedBy, 'payment');
    equal(session.paymentStatus, 1);
    assertSettled('epay-error');
  });

  it('Apple expiring the sheet first is a cancel; the late answer is dropped without a throw', async () => {
    setup({ stepTimeoutMs: 150 }, { session: async () => (await delay(400), json(200, MERCHANT_SESSION)) });
    await mountButton();
    const cancel = nextEvent(el!, 'epay-cancel');
    await realClick(el!);
    await cancel;
    await delay(400);
    equal(applePay.last!.endedBy, 'expired');
    deepEqual(applePay.last!.calls, ['begin'], 'nothing called on the expired sheet');
    assertSettled('epay-cancel');
  });
});

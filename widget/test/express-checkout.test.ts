/**
 * @module Express checkout in the element, against the fake ApplePaySession and the fake proxy, with real clicks:
 * line items, shipping methods and the coupon field on the sheet; each update event with a listener that re-prices,
 * with none, a rejected promise, a late promise, an order for another invoice and errors; the payment then sends the
 * latest order; version 11 offers no coupon field.
 */
import '../src/index.js';
import type { EpayApplePayButton } from '../src/epay-applepay-button.js';
import type { EpaySheetUpdate } from '../src/events.js';
import { deepEqual, equal, ok, throws } from './helpers/assert.js';
import {
  type FakeApplePay,
  FakeApplePayError,
  type FakeSession,
  FAKE_PAYMENT,
  REDACTED_SHIPPING_CONTACT,
} from '../test-support/fake-apple-pay-session.js';
import { type FakeProxy, PAID, THREE_DS, delay, installFakeProxy, json } from './helpers/fake-proxy.js';
import {
  type EventLog,
  catchPageErrors,
  makeOrder,
  mount,
  nextEvent,
  realClick,
  recordEvents,
  waitFor,
} from './helpers/page.js';
import { installSafariApplePay } from './helpers/safari.js';

const TEA = { label: 'Шай «Алматы» / Чай', amount: 10_000 };
const COURIER = { identifier: 'courier', label: 'Курьер', detail: '1–2 күн', amount: 1500 };
const PICKUP = { identifier: 'pickup', label: 'Самовывоз', amount: 0 };

/** The shop's first order: tea, courier delivery selected. */
const FIRST = {
  amount: 11_500,
  lineItems: [TEA, { label: 'Жеткізу / Доставка', amount: 1500 }],
  shippingType: 'delivery',
  shippingMethods: [COURIER, PICKUP],
};
/** Re-priced for pickup. */
const PICKED_UP = { ...FIRST, amount: 10_000, lineItems: [TEA], shippingMethod: 'pickup' };
/** Pickup and WELCOME10. */
const DISCOUNTED = {
  ...PICKED_UP,
  amount: 9000,
  lineItems: [TEA, { label: 'WELCOME10', amount: -1000 }],
};

let applePay: FakeApplePay;
let proxy: FakeProxy;
let log: EventLog & { stop(): void };
let pageErrors: ReturnType<typeof catchPageErrors>;
let el: EpayApplePayButton | undefined;

async function open(
  attributes: Record<string, string | boolean> = {},
  options: Parameters<typeof installSafariApplePay>[0] = {},
  replies: Parameters<typeof installFakeProxy>[0] = {},
): Promise<FakeSession> {
  applePay = installSafariApplePay({ stepTimeoutMs: 3000, ...options });
  proxy = installFakeProxy(replies);
  el = await mount({ proxy: 'https://pay.example.kz', order: makeOrder(FIRST), label: 'Example Shop', ...attributes });
  log = recordEvents(el);
  await realClick(el);
  const session = applePay.last!;
  ok(session, 'a session was created in the click');
  await waitFor(() => session.step === 'waiting' || session.step === 'ended', 'merchant validation');
  return session;
}

/** Answers every update event with `answer(detail)` passed to updateWith. */
function listen(name: string, answer: (detail: any) => EpaySheetUpdate | Promise<EpaySheetUpdate>) {
  el!.addEventListener(name, (e) => {
    const d = (e as CustomEvent).detail;
    d.updateWith(answer(d));
  });
}

async function updated(session: FakeSession, count: number) {
  await waitFor(() => session.updates.length >= count && !session.pending, `update ${count}`);
  return session.updates[count - 1]!.update;
}

async function pay(session: FakeSession) {
  const outcome = Promise.race([nextEvent(el!, 'epay-success'), nextEvent(el!, 'epay-3ds')]);
  session.authorize();
  return outcome;
}

const total = (amount: string) => ({ label: 'Example Shop', amount, type: 'final' });
const lines = (...items: [string, string][]) => items.map(([label, amount]) => ({ label, amount, type: 'final' }));

beforeEach(() => {
  pageErrors = catchPageErrors();
});

afterEach(() => {
  log?.stop();
  el?.remove();
  el = undefined;
  applePay?.uninstall();
  proxy?.uninstall();
  pageErrors.stop();
  deepEqual(pageErrors.errors.map(String), [], 'nothing thrown into the page');
});

describe('the sheet of an express order', () => {
  it('lists the line items and shipping methods (the selected first), with labels in Kazakh and Russian intact', async () => {
    const session = await open({ order: makeOrder({ ...FIRST, shippingMethod: 'pickup' }), 'contact-fields': 'email' });
    const r = session.request;
    deepEqual(r.lineItems, lines([TEA.label, '10000.00'], ['Жеткізу / Доставка', '1500.00']));
    deepEqual(r.shippingMethods, [
      { identifier: 'pickup', label: 'Самовывоз', detail: '', amount: '0.00' },
      { identifier: 'courier', label: 'Курьер', detail: '1–2 күн', amount: '1500.00' },
    ]);
    equal(r.shippingType, 'delivery');
    deepEqual(r.total, total('11500.00'));
    deepEqual(r.requiredShippingContactFields, ['email']);
    equal(session.shippingMethod!.identifier, 'pickup', 'Apple selects the first');
    session.cancel();
  });

  it('asks for the shipping-fields, and Safari asks for the price at the default address', async () => {
    const contacts: unknown[] = [];
    applePay = installSafariApplePay({ stepTimeoutMs: 3000 });
    proxy = installFakeProxy();
    el = await mount({
      proxy: 'https://pay.example.kz',
      order: makeOrder(FIRST),
      label: 'Example Shop',
      'shipping-fields': 'postalAddress, name ,phone',
      'contact-fields': 'name,email',
    });
    log = recordEvents(el);
    el.addEventListener('epay-shipping-contact', (e) => contacts.push(e.detail.contact));
    await realClick(el);
    const session = applePay.last!;
    deepEqual(session.request.requiredShippingContactFields, ['email', 'postalAddress', 'name', 'phone']);
    const update = await updated(session, 1);
    deepEqual(contacts, [REDACTED_SHIPPING_CONTACT], "the listener hears Apple's redacted contact");
    deepEqual(update.newTotal, total('11500.00'), 'no listener answer: the current order, at once');
    const success = nextEvent(el, 'epay-success');
    session.authorize();
    const { detail } = await success;
    deepEqual(detail.shippingContact, FAKE_PAYMENT.shippingContact);
    deepEqual(detail.billingContact, FAKE_PAYMENT.billingContact);
    equal(detail.shippingMethod, 'courier');
  });

  it('offers the coupon field, prefilled, at version 12 and later', async () => {
    const session = await open({ 'coupon-code': 'WELCOME10' }, { maxVersion: 12 });
    equal(session.request.supportsCouponCode, true);
    equal(session.request.couponCode, 'WELCOME10');
    ok(session.couponOffered);
    session.cancel();
  });

  it('offers an empty coupon field for a bare coupon-code attribute', async () => {
    const session = await open({ 'coupon-code': true });
    equal(session.request.supportsCouponCode, true);
    equal('couponCode' in session.request, false);
    session.cancel();
  });

  it('version 11 sees no coupon field', async () => {
    const session = await open({ 'coupon-code': 'WELCOME10' }, { maxVersion: 11 });
    equal(session.version, 11);
    equal('supportsCouponCode' in session.request, false);
    equal('couponCode' in session.request, false);
    equal(session.couponOffered, false);
    session.cancel();
  });

  it('without the attribute, no coupon field', async () => {
    const session = await open();
    equal('supportsCouponCode' in session.request, false);
    session.cancel();
  });
});

describe('epay-shipping-method', () => {
  it('a listener that re-prices: the sheet shows the new order, which the element keeps and the payment sends', async () => {
    const seen: any[] = [];
    const session = await open();
    const repriced = makeOrder(PICKED_UP);
    listen('epay-shipping-method', (d) => {
      seen.push(d.method);
      return delay(50).then(() => ({ order: repriced }));
    });
    session.selectShippingMethod('pickup');
    const update = await updated(session, 1);
    deepEqual(seen, [{ identifier: 'pickup', label: 'Самовывоз', detail: '', amount: '0.00' }]);
    deepEqual(update, { newTotal: total('10000.00'), newLineItems: lines([TEA.label, '10000.00']) });
    equal(el!.order, repriced, 'the new order is the element’s order');
    const event = await pay(session);
    equal(event.type, 'epay-success');
    equal(proxy.requests[1]!.body.order, repriced, 'the payment sends the latest order');
    equal(event.detail.shippingMethod, 'pickup');
    deepEqual(event.detail.payment, PAID.payment);
    deepEqual(session.calls, [
      'begin',
      'completeMerchantValidation',
      'completeShippingMethodSelection',
      'completePayment:0',
    ]);
  });

  it('with no listener, completes at once with the current order', async () => {
    const before = makeOrder(FIRST);
    const session = await open({ order: before });
    session.selectShippingMethod('pickup');
    equal(session.pending, undefined, 'completed in the same task');
    deepEqual(session.updates[0]!.update, {
      newTotal: total('11500.00'),
      newLineItems: lines([TEA.label, '10000.00'], ['Жеткізу / Доставка', '1500.00']),
    });
    await pay(session);
    equal(proxy.requests[1]!.body.order, before);
  });

  it('a listener that does not call updateWith: completes at once with the current order', async () => {
    const session = await open();
    el!.addEventListener('epay-shipping-method', () => {});
    session.selectShippingMethod('pickup');
    equal(session.pending, undefined);
    deepEqual(session.updates[0]!.update.newTotal, total('11500.00'));
    session.cancel();
  });

  it('a rejected promise: the current order', async () => {
    const before = makeOrder(FIRST);
    const session = await open({ order: before });
    listen('epay-shipping-method', () => Promise.reject(new Error('the shop is down')));
    session.selectShippingMethod('pickup');
    const update = await updated(session, 1);
    deepEqual(update.newTotal, total('11500.00'));
    equal(el!.order, before);
    await pay(session);
    equal(proxy.requests[1]!.body.order, before);
  });

  it('a late promise: completes with the current order at updateTimeout, and its late order is ignored', async () => {
    const before = makeOrder(FIRST);
    const session = await open({ order: before });
    el!.updateTimeout = 300;
    let resolveLate!: (u: EpaySheetUpdate) => void;
    listen('epay-shipping-method', () => new Promise((r) => (resolveLate = r)));
    const started = Date.now();
    session.selectShippingMethod('pickup');
    await updated(session, 1);
    const waited = Date.now() - started;
    ok(waited >= 250 && waited < 2500, `completed after the update timeout, not Apple's (${waited} ms)`);
    deepEqual(session.updates[0]!.update.newTotal, total('11500.00'));
    resolveLate({ order: makeOrder(PICKED_UP) });
    await delay(50);
    equal(session.updates.length, 1, 'completed exactly once');
    equal(el!.order, before, 'the late order is not taken');
    await pay(session);
    equal(proxy.requests[1]!.body.order, before);
  });

  it('waits at most 20 seconds for a listener, whatever updateTimeout says', async () => {
    const session = await open();
    let answer!: (u: EpaySheetUpdate) => void;
    listen('epay-shipping-method', () => new Promise((r) => (answer = r)));
    // The wait the element arms for a pending update is the last timer set while the sheet hands it the change (the
    // fake's own step timer comes first); 20 s cannot be waited out here.
    const armed: unknown[] = [];
    const realSetTimeout = window.setTimeout;
    window.setTimeout = ((fn: TimerHandler, ms?: number, ...rest: unknown[]) => {
      armed.push(ms);
      return realSetTimeout(fn, ms, ...rest);
    }) as typeof window.setTimeout;
    const cases = [
      [600_000, 20_000],
      [20_001, 20_000],
      [0, 20_000],
      [-1, 20_000],
      [Number.NaN, 20_000],
      [250, 250],
    ] as const;
    try {
      for (const [i, [timeout, expected]] of cases.entries()) {
        el!.updateTimeout = timeout;
        armed.length = 0;
        session.selectShippingMethod(i % 2 ? 'courier' : 'pickup');
        equal(armed.at(-1), expected, `updateTimeout ${timeout}`);
        answer({});
        await updated(session, i + 1);
      }
    } finally {
      window.setTimeout = realSetTimeout;
    }
    session.cancel();
  });

  it('Safari refuses to show the new order: the update completes with the current one, which stays the order', async () => {
    const before = makeOrder(FIRST);
    const session = await open({ order: before });
    listen('epay-shipping-method', () => ({ order: makeOrder(PICKED_UP) }));
    // Once, as Safari throws for an update it cannot take; the fake's own method is used after that.
    const complete = session.completeShippingMethodSelection.bind(session);
    session.completeShippingMethodSelection = () => {
      session.completeShippingMethodSelection = complete;
      throw new TypeError('"newLineItems" is invalid');
    };
    session.selectShippingMethod('pickup');
    const update = await updated(session, 1);
    deepEqual(update.newTotal, total('11500.00'));
    equal(el!.order, before, 'the order the sheet never showed is not taken');
    await pay(session);
    equal(proxy.requests[1]!.body.order, before);
  });

  it('an order for another invoice: the current order', async () => {
    const before = makeOrder(FIRST);
    const session = await open({ order: before });
    listen('epay-shipping-method', () => ({ order: makeOrder({ ...PICKED_UP, invoiceId: '000999999' }) }));
    session.selectShippingMethod('pickup');
    const update = await updated(session, 1);
    deepEqual(update.newTotal, total('11500.00'));
    equal(el!.order, before);
    session.cancel();
  });

  it('an order in another currency, an expired one and garbage: the current order', async () => {
    const before = makeOrder(FIRST);
    const session = await open({ order: before });
    const answers: unknown[] = [
      { order: makeOrder({ ...PICKED_UP, currency: 'USD' }) },
      { order: makeOrder({ ...PICKED_UP, exp: Math.floor(Date.now() / 1000) - 1 }) },
      { order: 'not.a.token' },
      { order: 42 },
      'nonsense',
      null,
    ];
    let i = 0;
    listen('epay-shipping-method', () => answers[i++] as EpaySheetUpdate);
    for (let n = 1; n <= answers.length; n++) {
      session.selectShippingMethod(n % 2 ? 'pickup' : 'courier');
      const update = await updated(session, n);
      deepEqual(update.newTotal, total('11500.00'), `answer ${n}`);
    }
    equal(el!.order, before);
    session.cancel();
  });

  it('updateWith twice, or after the listener returned, throws InvalidStateError into the listener only', async () => {
    const session = await open();
    const thrown: string[] = [];
    let later: ((u: EpaySheetUpdate) => void) | undefined;
    el!.addEventListener('epay-shipping-method', (e) => {
      e.detail.updateWith({ order: makeOrder(PICKED_UP) });
      try {
        e.detail.updateWith({ order: makeOrder(DISCOUNTED) });
      } catch (err) {
        thrown.push((err as DOMException).name);
      }
      later = e.detail.updateWith;
    });
    session.selectShippingMethod('pickup');
    const update = await updated(session, 1);
    deepEqual(update.newTotal, total('10000.00'), 'the first call counts');
    try {
      later!({ order: makeOrder(DISCOUNTED) });
    } catch (err) {
      thrown.push((err as DOMException).name);
    }
    deepEqual(thrown, ['InvalidStateError', 'InvalidStateError']);
    equal(session.updates.length, 1);
    session.cancel();
  });

  it('the customer closes the sheet while the update is pending: no completion, one epay-cancel, order kept', async () => {
    const before = makeOrder(FIRST);
    const session = await open({ order: before });
    let resolve!: (u: EpaySheetUpdate) => void;
    listen('epay-shipping-method', () => new Promise((r) => (resolve = r)));
    session.selectShippingMethod('pickup');
    session.cancel();
    resolve({ order: makeOrder(PICKED_UP) });
    await delay(50);
    deepEqual(log.outcomes(), ['epay-cancel']);
    equal(session.updates.length, 0);
    equal(el!.order, before);
    ok(!session.calls.includes('completeShippingMethodSelection'));
  });
});

describe('epay-shipping-contact', () => {
  it('re-prices with new shipping methods (the selected first) and the payment sends that order', async () => {
    const session = await open({ 'shipping-fields': 'postalAddress' });
    // Safari's own update at the default address, answered by no listener: the current order.
    await updated(session, 1);
    const almaty = { ...FIRST, shippingMethods: [COURIER, PICKUP], shippingMethod: 'pickup', amount: 10_000 };
    listen('epay-shipping-contact', () => ({ order: makeOrder({ ...almaty, lineItems: [TEA] }) }));
    session.selectShippingContact({ ...REDACTED_SHIPPING_CONTACT, locality: 'Astana' });
    const update = await updated(session, 2);
    deepEqual(update, {
      newTotal: total('10000.00'),
      newLineItems: lines([TEA.label, '10000.00']),
      newShippingMethods: [
        { identifier: 'pickup', label: 'Самовывоз', detail: '', amount: '0.00' },
        { identifier: 'courier', label: 'Курьер', detail: '1–2 күн', amount: '1500.00' },
      ],
      errors: [],
    });
    equal(session.shippingMethod!.identifier, 'pickup');
    const event = await pay(session);
    equal(event.detail.shippingMethod, 'pickup');
    equal(proxy.requests[1]!.body.order, el!.order);
  });

  it('addressUnserviceable reaches the sheet as a real ApplePayError; the customer cannot pay until it is fixed', async () => {
    const session = await open({ 'shipping-fields': 'postalAddress' });
    await updated(session, 1);
    listen('epay-shipping-contact', (d) =>
      d.contact.countryCode === 'KZ'
        ? { order: el!.order }
        : {
            order: el!.order,
            errors: [
              { code: 'addressUnserviceable', contactField: 'country', message: 'Только по Казахстану' },
              { code: 'notAnAppleCode', message: 'left out' },
            ],
          },
    );
    session.selectShippingContact({ countryCode: 'RU', country: 'Russia' });
    const update = await updated(session, 2);
    equal(update.errors!.length, 1, 'an error Apple cannot take is left out');
    const [error] = update.errors!;
    ok(error instanceof FakeApplePayError, 'an ApplePayError, not a plain object');
    deepEqual(
      [error!.code, error!.contactField, error!.message],
      ['addressUnserviceable', 'country', 'Только по Казахстану'],
    );
    throws(() => session.authorize(), 'Error', /while the sheet shows errors/);
    session.selectShippingContact(REDACTED_SHIPPING_CONTACT);
    deepEqual((await updated(session, 3)).errors, []);
    equal((await pay(session)).type, 'epay-success');
  });
});

describe('epay-coupon-code', () => {
  it('re-prices for WELCOME10 and refuses another code with couponCodeInvalid', async () => {
    const session = await open({ 'coupon-code': true, order: makeOrder(PICKED_UP) });
    const discounted = makeOrder(DISCOUNTED);
    const codes: string[] = [];
    listen('epay-coupon-code', (d) => {
      codes.push(d.couponCode);
      return d.couponCode === 'WELCOME10'
        ? { order: discounted }
        : { order: el!.order, errors: [{ code: 'couponCodeInvalid', message: 'Unknown code' }] };
    });
    session.changeCouponCode('NOPE');
    const refused = await updated(session, 1);
    equal(refused.errors![0]!.code, 'couponCodeInvalid');
    deepEqual(refused.newTotal, total('10000.00'));
    session.changeCouponCode('WELCOME10');
    const accepted = await updated(session, 2);
    deepEqual(accepted.newTotal, total('9000.00'));
    deepEqual(accepted.newLineItems, lines([TEA.label, '10000.00'], ['WELCOME10', '-1000.00']));
    deepEqual(accepted.errors, []);
    deepEqual(codes, ['NOPE', 'WELCOME10']);
    const event = await pay(session);
    equal(proxy.requests[1]!.body.order, discounted);
    equal(event.detail.shippingMethod, 'pickup');
  });

  it('couponCodeExpired with no order: the errors, with the current order', async () => {
    const before = makeOrder(FIRST);
    const session = await open({ 'coupon-code': 'OLD', order: before });
    listen('epay-coupon-code', () => ({ errors: [{ code: 'couponCodeExpired', message: 'Expired' }] }));
    session.changeCouponCode('OLD');
    const update = await updated(session, 1);
    equal(update.errors![0]!.code, 'couponCodeExpired');
    deepEqual(update.newTotal, total('11500.00'));
    equal(el!.order, before);
    session.cancel();
  });
});

describe('epay-3ds', () => {
  it('carries the contacts and the shipping method of the latest order', async () => {
    const session = await open({ 'shipping-fields': 'postalAddress' }, {}, { payments: () => json(200, THREE_DS) });
    await updated(session, 1);
    const picked = makeOrder(PICKED_UP);
    listen('epay-shipping-method', () => ({ order: picked }));
    session.selectShippingMethod('pickup');
    await updated(session, 2);
    el!.addEventListener('epay-3ds', (e) => e.preventDefault());
    const event = await pay(session);
    equal(event.type, 'epay-3ds');
    deepEqual(event.detail, {
      ...THREE_DS.form,
      billingContact: FAKE_PAYMENT.billingContact,
      shippingContact: FAKE_PAYMENT.shippingContact,
      shippingMethod: 'pickup',
    });
    equal(proxy.requests[1]!.body.order, picked);
  });
});

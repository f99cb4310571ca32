/** @module The PaymentSheet wrapper and the fake ApplePaySession it is tested against (the fake must refuse what Safari refuses). */
import { PaymentSheet, type ApplePaySessionConstructor, type PaymentSheetHandlers } from '../src/apple-pay-session.js';
import { buildPaymentRequest } from '../src/payment-request.js';
import { deepEqual, equal, ok, throws } from './helpers/assert.js';
import {
  FakeApplePayError,
  FakeSession,
  MERCHANT_SESSION_STUB,
  type FakeApplePay,
  installFakeApplePay,
  inUserGesture,
} from '../test-support/fake-apple-pay-session.js';
import { realClick } from './helpers/page.js';

const REQUEST = buildPaymentRequest(
  { invoiceId: '000123456', amount: 10, currency: 'KZT', exp: 2e9 },
  { label: 'Shop' },
);

/** A request with two shipping methods and the coupon field. */
const EXPRESS = buildPaymentRequest(
  {
    invoiceId: '000123456',
    amount: 10,
    currency: 'KZT',
    exp: 2e9,
    shippingMethods: [
      { identifier: 'courier', label: 'Courier', amount: 2 },
      { identifier: 'pickup', label: 'Pickup', amount: 0 },
    ],
  },
  { label: 'Shop', couponCode: '', version: 14 },
);
const UPDATE = { newTotal: { label: 'Shop', amount: '8.00', type: 'final' as const } };

/** A session at version 14 past merchant validation, opened in a real click. */
async function validated(request = EXPRESS, version = 14) {
  const s = await insideRealClick(() => {
    const session = new FakeSession(version, request);
    session.begin();
    return session;
  });
  await tick(10);
  s.completeMerchantValidation(MERCHANT_SESSION_STUB);
  return s;
}

/** A plain button in the page; `run` executes inside its (real) click handler. */
async function insideRealClick<T>(run: () => T): Promise<T> {
  const host = document.createElement('div');
  const shadow = host.attachShadow({ mode: 'open' });
  const button = document.createElement('button');
  button.textContent = 'pay';
  button.style.cssText = 'width:120px;height:40px';
  shadow.append(button);
  document.body.append(host);
  let result: { value: T } | { error: unknown } | undefined;
  button.addEventListener('click', () => {
    try {
      result = { value: run() };
    } catch (error) {
      result = { error };
    }
  });
  await realClick(host);
  host.remove();
  if (!result) throw new Error('the click did not reach the button');
  if ('error' in result) throw result.error;
  return result.value;
}

const noop: PaymentSheetHandlers = { validateMerchant() {}, paymentAuthorized() {}, cancel() {}, update() {} };
const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

describe('fake ApplePaySession (what Safari enforces)', () => {
  let applePay: FakeApplePay;
  beforeEach(() => (applePay = installFakeApplePay({ stepTimeoutMs: 200 })));
  afterEach(() => applePay.uninstall());

  it('refuses a session outside a user gesture', async () => {
    throws(() => new FakeSession(14, REQUEST), 'InvalidAccessError');
    ok(!inUserGesture());
  });

  it('refuses a session created after an await inside the click', async () => {
    let later: Promise<unknown> | undefined;
    let error: unknown;
    await insideRealClick(() => {
      later = Promise.resolve()
        .then(() => tick())
        .then(() => new FakeSession(14, REQUEST))
        .catch((e) => (error = e));
    });
    await later;
    equal((error as Error)?.name, 'InvalidAccessError');
  });

  it('refuses a synthetic click (element.click() is not a user gesture)', () => {
    const button = document.createElement('button');
    let error: unknown;
    button.addEventListener('click', () => {
      try {
        new FakeSession(14, REQUEST);
      } catch (e) {
        error = e;
      }
    });
    document.body.append(button);
    button.click();
    button.remove();
    equal((error as Error)?.name, 'InvalidAccessError');
  });

  it('accepts a session and begin() inside a real click, once, one at a time', async () => {
    const session = await insideRealClick(() => {
      const s = new FakeSession(14, REQUEST);
      s.begin();
      throws(() => s.begin(), 'InvalidAccessError');
      throws(() => new FakeSession(14, REQUEST), 'InvalidAccessError');
      return s;
    });
    equal(session.step, 'validating');
  });

  it('checks the request like Safari', async () => {
    await insideRealClick(() => {
      throws(
        () =>
          new FakeSession(14, {
            ...REQUEST,
            total: { label: 'x', amount: '10', type: 'final' },
            merchantCapabilities: [],
          }),
        'TypeError',
      );
      throws(
        () => new FakeSession(14, { ...REQUEST, total: { label: 'x', amount: '1,5', type: 'final' } }),
        'TypeError',
      );
      throws(() => new FakeSession(15, REQUEST), 'InvalidAccessError');
    });
  });

  it('expires a step that the page does not complete in time, with oncancel', async () => {
    const session = await insideRealClick(() => {
      const s = new FakeSession(14, REQUEST);
      s.begin();
      return s;
    });
    let cancelled = false;
    session.oncancel = () => (cancelled = true);
    await tick(350);
    ok(cancelled, 'oncancel after the step timeout');
    equal(session.endedBy, 'expired');
    throws(() => session.completeMerchantValidation({}), 'InvalidAccessError');
    throws(() => session.abort(), 'InvalidAccessError');
  });

  // What the demo's simulated sheet (demo/web/simulator/) builds on.
  it('asks a validationURL function for the URL, and a drawn sheet hears every step in order', async () => {
    const heard: string[] = [];
    applePay = installFakeApplePay({
      stepTimeoutMs: 500,
      validationURL: async () => 'https://apple.sandbox.test/paymentSession',
      sheet: (s) => {
        heard.push(`opened ${s.request['total'].amount}`);
        return {
          validating: (url) => heard.push(`validating ${url}`),
          merchantValidated: (m) =>
            heard.push(`validated ${(m as { merchantSessionIdentifier: string }).merchantSessionIdentifier}`),
          authorized: () => heard.push('authorized'),
          ended: (reason) => heard.push(`ended ${s.endedBy}: ${reason}`),
        };
      },
    });
    let validationURL = '';
    const session = await insideRealClick(() => {
      const s = new FakeSession(14, REQUEST);
      s.onvalidatemerchant = (e) => (validationURL = e.validationURL);
      s.begin();
      return s;
    });
    await tick(10);
    equal(validationURL, 'https://apple.sandbox.test/paymentSession');
    session.completeMerchantValidation(MERCHANT_SESSION_STUB);
    session.authorize();
    session.completePayment(FakeSession.STATUS_SUCCESS);
    deepEqual(heard, [
      'opened 10.00',
      'validating https://apple.sandbox.test/paymentSession',
      'validated SSH01',
      'authorized',
      'ended payment: completePayment(STATUS_SUCCESS)',
    ]);
  });

  it('ends the sheet with oncancel when Apple refuses the merchant session (no throw) or cannot be reached', async () => {
    applePay = installFakeApplePay({ stepTimeoutMs: 500, verifyMerchantSession: () => 'not signed' });
    let cancels = 0;
    let validations = 0;
    const open = () =>
      insideRealClick(() => {
        const s = new FakeSession(14, REQUEST);
        s.onvalidatemerchant = () => validations++;
        s.oncancel = () => cancels++;
        s.begin();
        return s;
      });
    const refused = await open();
    await tick(10);
    equal(validations, 1);
    refused.completeMerchantValidation(MERCHANT_SESSION_STUB);
    equal(refused.endedBy, 'failed');
    equal(cancels, 0, 'oncancel comes in a later task, as from Safari');
    await tick(10);
    equal(cancels, 1);
    throws(() => refused.abort(), 'InvalidAccessError');

    applePay.options.validationURL = () => Promise.reject(new Error('no network'));
    const unreachable = await open();
    await tick(20);
    equal(unreachable.endedBy, 'failed');
    equal(validations, 1, 'no onvalidatemerchant without a URL');
    equal(cancels, 2);
  });
});

describe('fake ApplePaySession: sheet updates (what Safari enforces)', () => {
  let applePay: FakeApplePay;
  beforeEach(() => (applePay = installFakeApplePay({ stepTimeoutMs: 200 })));
  afterEach(() => applePay.uninstall());

  it('completes only the update it waits for, once, and blocks the payment meanwhile', async () => {
    const session = await validated();
    const heard: string[] = [];
    session.onshippingmethodselected = (e) => heard.push(e.shippingMethod.identifier);
    throws(() => session.completeShippingMethodSelection(UPDATE), 'InvalidAccessError');
    session.selectShippingMethod('pickup');
    deepEqual(heard, ['pickup']);
    throws(() => session.authorize(), 'Error', /while the sheet waits for the shippingMethod update/);
    throws(() => session.completeCouponCodeChange(UPDATE), 'InvalidAccessError');
    session.completeShippingMethodSelection(UPDATE);
    throws(() => session.completeShippingMethodSelection(UPDATE), 'InvalidAccessError');
    equal(session.total.amount, '8.00');
    equal(session.shippingMethod!.identifier, 'pickup');
  });

  it('refuses plain objects as errors, and an update without newTotal (TypeError)', async () => {
    const session = await validated();
    session.changeCouponCode('X');
    throws(
      () => session.completeCouponCodeChange({ ...UPDATE, errors: [{ code: 'couponCodeInvalid' } as never] }),
      'TypeError',
    );
    throws(() => session.completeCouponCodeChange({} as never), 'TypeError');
    throws(() => new FakeApplePayError('notACode'), 'TypeError');
    session.completeCouponCodeChange({ ...UPDATE, errors: [new FakeApplePayError('couponCodeInvalid')] });
    equal(session.errors.length, 1);
  });

  it('ends the sheet when the page does not complete an update in time', async () => {
    const session = await validated();
    let cancelled = false;
    session.oncancel = () => (cancelled = true);
    session.selectShippingMethod('courier');
    await tick(300);
    ok(cancelled);
    equal(session.endedBy, 'expired');
  });

  it('offers no coupon field below version 12', async () => {
    const session = await validated(EXPRESS, 11);
    equal(session.couponOffered, false);
    throws(() => session.changeCouponCode('X'), 'Error', /offers no coupon field/);
  });
});

describe('PaymentSheet', () => {
  let applePay: FakeApplePay;
  beforeEach(() => (applePay = installFakeApplePay({ stepTimeoutMs: 300 })));
  afterEach(() => applePay.uninstall());

  async function open(handlers: Partial<PaymentSheetHandlers> = {}) {
    const sheet = await insideRealClick(() => {
      const s = new PaymentSheet(FakeSession as unknown as ApplePaySessionConstructor, 14, REQUEST, {
        ...noop,
        ...handlers,
      });
      s.begin();
      return s;
    });
    return { sheet, session: applePay.last! };
  }

  it('calls each complete* at most once and never after the sheet ended', async () => {
    let validationURL = '';
    let payment: unknown;
    const { sheet, session } = await open({
      validateMerchant: (url) => (validationURL = url),
      paymentAuthorized: (p) => (payment = p),
    });
    await tick(10);
    ok(validationURL.startsWith('https://apple-pay-gateway'));
    ok(sheet.completeMerchantValidation(MERCHANT_SESSION_STUB));
    equal(sheet.completeMerchantValidation(MERCHANT_SESSION_STUB), false, 'second call swallowed');
    session.authorize();
    ok(payment);
    ok(sheet.completePayment(true));
    equal(sheet.completePayment(false), false);
    equal(sheet.abort(), false);
    ok(sheet.ended);
    deepEqual(session.calls, ['begin', 'completeMerchantValidation', 'completePayment:0']);
  });

  it('reports a cancel once and swallows calls after it', async () => {
    let cancels = 0;
    const { sheet, session } = await open({ cancel: () => cancels++ });
    await tick(10);
    session.cancel();
    equal(cancels, 1);
    ok(sheet.ended);
    equal(sheet.completeMerchantValidation(MERCHANT_SESSION_STUB), false);
    equal(sheet.abort(), false);
    deepEqual(session.calls, ['begin'], 'nothing reached Safari after the cancel');
  });

  it('turns what Safari throws into false, and can still close the sheet', async () => {
    const { sheet, session } = await open();
    // No payment was authorized: Safari throws, the wrapper answers false and the sheet stays open.
    equal(sheet.completePayment(true), false);
    equal(sheet.ended, false);
    ok(sheet.abort(), 'the sheet can still be closed');
    equal(sheet.abort(), false);
    equal(session.endedBy, 'abort');
  });

  it('hands each update to the page and completes it; never after the sheet ended', async () => {
    const heard: [string, object][] = [];
    const applePaySheet = await insideRealClick(() => {
      const s = new PaymentSheet(FakeSession as unknown as ApplePaySessionConstructor, 14, EXPRESS, {
        ...noop,
        update: (kind, change) => heard.push([kind, change]),
      });
      s.begin();
      return s;
    });
    const session = applePay.last!;
    await tick(10);
    applePaySheet.completeMerchantValidation(MERCHANT_SESSION_STUB);
    session.selectShippingMethod('pickup');
    deepEqual(heard, [['ShippingMethodSelection', { method: session.shippingMethods[1] }]]);
    ok(applePaySheet.completeUpdate('ShippingMethodSelection', UPDATE));
    equal(applePaySheet.completeUpdate('ShippingMethodSelection', UPDATE), false, 'Safari refused a second');
    session.changeCouponCode('WELCOME10');
    deepEqual(heard[1], ['CouponCodeChange', { couponCode: 'WELCOME10' }]);
    session.cancel();
    equal(applePaySheet.completeUpdate('CouponCodeChange', UPDATE), false, 'the sheet is over');
  });

  it('hears no cancel after its own abort', async () => {
    let cancels = 0;
    const { sheet, session } = await open({ cancel: () => cancels++ });
    sheet.abort();
    session.oncancel?.({});
    equal(cancels, 0);
  });
});

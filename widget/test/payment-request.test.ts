/**
 * @module Pure rules: the order token's claims, the payment request, the button's text, availability; and the
 * request the element really hands to ApplePaySession never asks for EMV tokens.
 */
import '../src/index.js';
import { detectAvailability, resolveSupportedVersion } from '../src/availability.js';
import { buttonText, type EpayApplePayButton } from '../src/epay-applepay-button.js';
import { decodeOrderToken } from '../src/order-token.js';
import { buildPaymentRequest, formatAmount } from '../src/payment-request.js';
import { deepEqual, equal, ok } from './helpers/assert.js';
import type { FakeApplePay } from '../test-support/fake-apple-pay-session.js';
import { type FakeProxy, installFakeProxy } from './helpers/fake-proxy.js';
import { makeOrder, mount, nextEvent, realClick } from './helpers/page.js';
import { installSafariApplePay } from './helpers/safari.js';

const ORDER = { invoiceId: '000123456', amount: 1500, currency: 'KZT', exp: 2_000_000_000 };

describe('buildPaymentRequest', () => {
  it('builds the default request from an order and no attributes', () => {
    deepEqual(buildPaymentRequest(ORDER, {}), {
      countryCode: 'KZ',
      currencyCode: 'KZT',
      supportedNetworks: ['visa', 'masterCard'],
      merchantCapabilities: ['supports3DS'],
      total: { label: '', amount: '1500.00', type: 'final' },
      requiredBillingContactFields: ['name'],
    });
  });

  it('formats amounts with two decimals', () => {
    equal(buildPaymentRequest({ ...ORDER, amount: 0.5 }).total.amount, '0.50');
    equal(buildPaymentRequest({ ...ORDER, amount: 12.3 }).total.amount, '12.30');
    equal(buildPaymentRequest({ ...ORDER, amount: 0.29 }).total.amount, '0.29');
    equal(buildPaymentRequest({ ...ORDER, amount: 1234567.89 }).total.amount, '1234567.89');
    equal(formatAmount(1500), '1500.00');
  });

  it('takes the currency from the order', () => {
    equal(buildPaymentRequest({ ...ORDER, currency: 'USD', amount: 10 }).currencyCode, 'USD');
  });

  it('applies every attribute: label, country, networks, capabilities, contact fields', () => {
    const request = buildPaymentRequest(ORDER, {
      label: ' Example Shop ',
      country: 'us',
      networks: 'visa, masterCard ,amex,,visa',
      capabilities: 'supportsCredit,supportsDebit',
      contactFields: 'name,email,phone',
    });
    equal(request.total.label, 'Example Shop');
    equal(request.countryCode, 'US');
    deepEqual(request.supportedNetworks, ['visa', 'masterCard', 'amex']);
    deepEqual(request.merchantCapabilities, ['supports3DS', 'supportsCredit', 'supportsDebit']);
    deepEqual(request.requiredBillingContactFields, ['name', 'email', 'phone']);
    deepEqual(request.requiredShippingContactFields, ['email', 'phone']);
  });

  it('always includes supports3DS, once', () => {
    deepEqual(buildPaymentRequest(ORDER, { capabilities: 'supportsDebit,supports3DS' }).merchantCapabilities, [
      'supports3DS',
      'supportsDebit',
    ]);
    deepEqual(buildPaymentRequest(ORDER, { capabilities: '' }).merchantCapabilities, ['supports3DS']);
  });

  it('never asks for supportsEMV: ePay takes only 3-D Secure tokens', () => {
    const cases: [string | undefined, string[]][] = [
      [undefined, ['supports3DS']],
      ['supportsEMV', ['supports3DS']],
      ['supportsEMV,supports3DS', ['supports3DS']],
      [' supportsEMV , supportsDebit', ['supports3DS', 'supportsDebit']],
      ['supportsCredit,SUPPORTSEMV,supportsemv,supportsDebit', ['supports3DS', 'supportsCredit', 'supportsDebit']],
    ];
    for (const [capabilities, expected] of cases) {
      const request = buildPaymentRequest(ORDER, { capabilities });
      deepEqual(request.merchantCapabilities, expected, String(capabilities));
      ok(!request.merchantCapabilities.some((c) => c.toLowerCase() === 'supportsemv'), String(capabilities));
    }
  });

  it('asks for email in the shipping contact only when it is a contact field', () => {
    const request = buildPaymentRequest(ORDER, { contactFields: 'email' });
    deepEqual(request.requiredBillingContactFields, ['email']);
    deepEqual(request.requiredShippingContactFields, ['email']);
    equal(
      'requiredShippingContactFields' in buildPaymentRequest(ORDER, { contactFields: 'name,postalAddress' }),
      false,
    );
  });

  it('falls back to the defaults for empty attributes and to the fallback label', () => {
    const request = buildPaymentRequest(ORDER, {
      label: '  ',
      country: '',
      networks: ' , ',
      contactFields: '',
      fallbackLabel: 'shop.kz',
    });
    equal(request.total.label, 'shop.kz');
    equal(request.countryCode, 'KZ');
    deepEqual(request.supportedNetworks, ['visa', 'masterCard']);
    deepEqual(request.requiredBillingContactFields, ['name']);
  });
});

describe('decodeOrderToken', () => {
  const NOW = Date.UTC(2030, 0, 1);

  it('reads amount, currency and exp; KZT by default', () => {
    const r = decodeOrderToken(makeOrder({ amount: 99.99, currency: undefined, exp: NOW / 1000 + 60 }), NOW);
    ok(r.ok);
    equal(r.order.amount, 99.99);
    equal(r.order.currency, 'KZT');
    equal(r.order.invoiceId, '000123456');
  });

  it('reads a payload whose base64url uses - and _', () => {
    // "?>?" encodes to "Pz4_" in base64url: a description with those bytes forces the URL alphabet.
    const token = makeOrder({ description: '??>>>??>', exp: NOW / 1000 + 60 });
    ok(/[-_]/.test(token.split('.')[1]!), 'the payload uses the URL alphabet');
    ok(decodeOrderToken(token, NOW).ok);
  });

  it('refuses a missing token', () => {
    for (const token of [undefined, null, '', '   ']) {
      const r = decodeOrderToken(token, NOW);
      equal(r.ok ? 'ok' : r.reason, 'missing');
    }
  });

  it('refuses malformed tokens', () => {
    const bad = [
      'not-a-jwt',
      'a.b',
      'a.b.c.d',
      'eyJhbGciOiJIUzI1NiJ9.%%%.sig',
      `x.${btoa('[1,2]')}.y`,
      `x.${btoa('"text"')}.y`,
      makeOrder({ amount: '1500', exp: NOW / 1000 + 60 }),
      makeOrder({ amount: 0, exp: NOW / 1000 + 60 }),
      makeOrder({ amount: -5, exp: NOW / 1000 + 60 }),
      makeOrder({ amount: 10.005, exp: NOW / 1000 + 60 }),
      makeOrder({ currency: 'kzt', exp: NOW / 1000 + 60 }),
      makeOrder({ currency: 'TENGE', exp: NOW / 1000 + 60 }),
      makeOrder({ exp: 'tomorrow' }),
      makeOrder({ exp: undefined }),
    ];
    for (const token of bad) {
      const r = decodeOrderToken(token, NOW);
      equal(r.ok ? 'ok' : r.reason, 'malformed', token);
    }
  });

  it('refuses an expired order', () => {
    const r = decodeOrderToken(makeOrder({ exp: NOW / 1000 - 1 }), NOW);
    equal(r.ok ? 'ok' : r.reason, 'expired');
    equal(decodeOrderToken(makeOrder({ exp: NOW / 1000 }), NOW).ok, false, 'exp equal to now is expired');
  });

  it('never repeats the token in its message', () => {
    const token = makeOrder({ exp: 1 });
    const r = decodeOrderToken(token, NOW);
    ok(!r.ok && !r.message.includes(token.split('.')[1]!));
  });
});

describe('express checkout in the request and the sheet', () => {
  const NOW = Date.UTC(2026, 11, 5);
  const EXPRESS = {
    ...ORDER,
    amount: 9000,
    lineItems: [
      { label: 'Шай', amount: 10000 },
      { label: 'WELCOME10', amount: -1000 },
      { label: 'Салық', amount: 0, type: 'pending' as const },
    ],
    shippingType: 'storePickup',
    shippingMethods: [
      { identifier: 'a', label: 'A', amount: 100.5 },
      { identifier: 'b', label: 'B', detail: 'tomorrow', amount: 0 },
      { identifier: 'c', label: 'C', amount: 7 },
    ],
    shippingMethod: 'c',
  };

  it('lists the lines (a discount negative), the methods with the selected first, and the shipping type', () => {
    const r = buildPaymentRequest(EXPRESS, { label: 'Shop' });
    deepEqual(r.lineItems, [
      { type: 'final', label: 'Шай', amount: '10000.00' },
      { type: 'final', label: 'WELCOME10', amount: '-1000.00' },
      { type: 'pending', label: 'Салық', amount: '0.00' },
    ]);
    deepEqual(
      r.shippingMethods!.map((m) => [m.identifier, m.amount, m.detail]),
      [
        ['c', '7.00', ''],
        ['a', '100.50', ''],
        ['b', '0.00', 'tomorrow'],
      ],
    );
    equal(r.shippingType, 'storePickup');
    deepEqual(
      EXPRESS.shippingMethods.map((m) => m.identifier),
      ['a', 'b', 'c'],
      "the order's claims are not reordered",
    );
  });

  it('leaves out what the order does not have', () => {
    const r = buildPaymentRequest(ORDER, {});
    for (const key of ['lineItems', 'shippingMethods', 'shippingType', 'supportsCouponCode', 'couponCode'])
      equal(key in r, false, key);
  });

  it('an unknown selected method leaves the order as it is (Apple selects the first)', () => {
    const r = buildPaymentRequest({ ...EXPRESS, shippingMethod: 'gone' }, {});
    deepEqual(
      r.shippingMethods!.map((m) => m.identifier),
      ['a', 'b', 'c'],
    );
  });

  it('merges shipping-fields with the email and phone of contact-fields, without repeats', () => {
    const r = buildPaymentRequest(ORDER, { contactFields: 'name,phone', shippingFields: ' postalAddress, phone ,,' });
    deepEqual(r.requiredShippingContactFields, ['phone', 'postalAddress']);
    deepEqual(r.requiredBillingContactFields, ['name', 'phone']);
  });

  it('offers the coupon field only at version 12 and later, only when asked', () => {
    deepEqual(
      [11, 12, 14].map((version) => buildPaymentRequest(ORDER, { couponCode: 'SPRING', version }).supportsCouponCode),
      [undefined, true, true],
    );
    equal(buildPaymentRequest(ORDER, { couponCode: 'SPRING', version: 12 }).couponCode, 'SPRING');
    equal('couponCode' in buildPaymentRequest(ORDER, { couponCode: '', version: 12 }), false);
    equal('supportsCouponCode' in buildPaymentRequest(ORDER, { couponCode: null, version: 14 }), false);
  });

  it('reads the express claims of a token, in UTF-8', () => {
    const r = decodeOrderToken(makeOrder({ ...EXPRESS, exp: NOW / 1000 + 60 }), NOW);
    ok(r.ok);
    deepEqual(r.order.lineItems, EXPRESS.lineItems);
    deepEqual(r.order.shippingMethods, EXPRESS.shippingMethods);
    equal(r.order.shippingMethod, 'c');
  });

  it('finds malformed express claims malformed', () => {
    const exp = NOW / 1000 + 60;
    const bad = [
      { lineItems: 'tea' },
      { lineItems: [{ label: 'x', amount: '10' }] },
      { lineItems: [{ label: '', amount: 10 }] },
      { lineItems: [{ label: 'x', amount: 10.001 }] },
      { lineItems: [null] },
      { lineItems: [{ label: 'x', amount: 1, type: 'estimate' }] },
      { shippingMethods: [{ identifier: 'a', label: 'A', amount: -1 }] },
      { shippingMethods: [{ label: 'A', amount: 1 }] },
      { shippingMethods: {} },
    ];
    for (const claims of bad) {
      const r = decodeOrderToken(makeOrder({ ...claims, exp }), NOW);
      equal(r.ok ? 'ok' : r.reason, 'malformed', JSON.stringify(claims));
    }
  });
});

describe('buttonText', () => {
  it('names the button for screen readers', () => {
    equal(buttonText('buy'), 'Buy with Apple Pay');
    equal(buttonText('check-out'), 'Check out with Apple Pay');
    equal(buttonText('add-money'), 'Add money with Apple Pay');
    equal(buttonText('plain'), 'Apple Pay');
    equal(buttonText(''), 'Apple Pay');
  });
});

describe('availability', () => {
  const Session = (max: number, canPay: boolean | 'throw' = true) => {
    const S = (() => {}) as unknown as Record<string, unknown>;
    S['supportsVersion'] = (v: number) => {
      if (v > 20) throw new Error('unknown');
      return v <= max;
    };
    S['canMakePayments'] = () => {
      if (canPay === 'throw') throw new DOMException('insecure', 'InvalidAccessError');
      return canPay;
    };
    return S;
  };

  it('picks the highest supported version, counting down from 14', () => {
    equal(resolveSupportedVersion(Session(14) as never), 14);
    equal(resolveSupportedVersion(Session(99) as never), 14);
    equal(resolveSupportedVersion(Session(3) as never), 3);
    equal(resolveSupportedVersion(Session(0) as never), 0);
    const asked: number[] = [];
    resolveSupportedVersion({ supportsVersion: (v: number) => (asked.push(v), v === 12) });
    deepEqual(asked, [14, 13, 12]);
  });

  it('says why Apple Pay is not offered', () => {
    equal(reason({ isSecureContext: true }), 'unsupported_browser');
    equal(reason({ ApplePaySession: {}, isSecureContext: true }), 'unsupported_browser');
    equal(reason({ ApplePaySession: Session(14), isSecureContext: false }), 'insecure_context');
    equal(reason({ ApplePaySession: Session(14, false), isSecureContext: true }), 'cannot_make_payments');
    equal(reason({ ApplePaySession: Session(14, 'throw'), isSecureContext: true }), 'cannot_make_payments');
    equal(reason({ ApplePaySession: Session(0), isSecureContext: true }), 'unsupported_version');
    const found = detectAvailability({ ApplePaySession: Session(10), isSecureContext: true });
    ok(found.available);
    equal(found.version, 10);
  });

  function reason(env: { ApplePaySession?: unknown; isSecureContext: boolean }): string {
    const found = detectAvailability(env);
    return found.available ? 'available' : found.reason;
  }
});

describe('the request the element opens the sheet with', () => {
  let applePay: FakeApplePay | undefined;
  let proxy: FakeProxy | undefined;
  let el: EpayApplePayButton | undefined;

  afterEach(() => {
    el?.remove();
    el = undefined;
    applePay?.uninstall();
    proxy?.uninstall();
  });

  /** Clicks for real and returns the merchantCapabilities the element gave `new ApplePaySession`, then closes the sheet. */
  async function capabilitiesSent(button: EpayApplePayButton): Promise<string[]> {
    const cancelled = nextEvent(button, 'epay-cancel');
    await realClick(button);
    const session = applePay!.last;
    ok(session, 'a session was created in the click');
    const sent = session.request['merchantCapabilities'] as string[];
    session.cancel();
    await cancelled;
    return sent;
  }

  it('never holds supportsEMV, whether the merchant sets it as an attribute or a property', async () => {
    applePay = installSafariApplePay({ stepTimeoutMs: 2000 });
    proxy = installFakeProxy();
    el = await mount({
      proxy: 'https://pay.example.kz',
      order: makeOrder(),
      capabilities: 'supportsEMV,supportsDebit',
    });
    deepEqual(await capabilitiesSent(el), ['supports3DS', 'supportsDebit']);

    el.capabilities = 'supportsEMV';
    await el.updateComplete;
    deepEqual(await capabilitiesSent(el), ['supports3DS']);

    el.removeAttribute('capabilities');
    await el.updateComplete;
    const byDefault = await capabilitiesSent(el);
    deepEqual(byDefault, ['supports3DS']);
    equal(applePay.sessions.length, 3);
    ok(applePay.sessions.every((s) => !(s.request['merchantCapabilities'] as string[]).includes('supportsEMV')));
  });
});

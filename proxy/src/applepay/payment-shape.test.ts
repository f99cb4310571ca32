import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ProxyError } from '../errors.js';
import { cleanPayment, cleanPaymentData, MAX_ADDRESS_LINES, MAX_CONTACT_FIELD_CHARS } from './payment-shape.js';

/** Tokens Apple really made (see fixtures/README.md). */
const TOKENS = [
  'basistheory-ec-token.json',
  'basistheory-rsa-token.json',
  'processout-token.json',
  'processout-token-rsa.json',
].map(
  (name) => JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as Record<string, any>,
);
const EC = TOKENS[0]!;
const RSA = TOKENS[1]!;

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(ProxyError);
    return (err as ProxyError).code;
  }
  return 'none';
}

/** The route's two steps, as one. */
function clean(payment: unknown) {
  const envelope = cleanPayment(payment);
  return { ...envelope, token: { ...envelope.token, paymentData: cleanPaymentData(envelope.token.paymentData) } };
}

describe('cleanPayment and cleanPaymentData', () => {
  it.each(TOKENS.map((t, i) => [i, t] as const))('keep real token %i exactly as Apple made it', (_i, token) => {
    const payment = {
      token,
      billingContact: {
        givenName: 'Arman',
        familyName: 'Ali',
        addressLines: ['Abay 1', 'flat 2'],
        countryCode: 'KZ',
        postalCode: '050000',
      },
      shippingContact: { emailAddress: 'arman@example.kz', phoneNumber: '+77771232380' },
    };
    expect(clean(structuredClone(payment))).toEqual(payment);
  });

  it('rebuilds paymentData in Apple’s order with only the signed fields', () => {
    const pd = {
      ...structuredClone(EC.paymentData),
      extra: 1,
      header: { ...EC.paymentData.header, wrappedKey: 'QUJD', more: [1] },
    };
    const out = cleanPaymentData(pd);
    expect(Object.keys(out)).toEqual(['version', 'data', 'signature', 'header']);
    expect(Object.keys(out.header)).toEqual(['ephemeralPublicKey', 'publicKeyHash', 'transactionId']);
    expect(out).toEqual(EC.paymentData);
    const rsa = cleanPaymentData({
      ...structuredClone(RSA.paymentData),
      header: { ...RSA.paymentData.header, ephemeralPublicKey: 'QUJD' },
    });
    expect(Object.keys(rsa.header)).toEqual(['wrappedKey', 'publicKeyHash', 'transactionId']);
  });

  it('keeps applicationData when Apple sent one, drops a null', () => {
    const withApp = structuredClone(EC.paymentData);
    withApp.header.applicationData = 'ab'.repeat(32);
    expect(cleanPaymentData(withApp).header.applicationData).toBe('ab'.repeat(32));
    const withNull = structuredClone(EC.paymentData);
    withNull.header.applicationData = null;
    expect(cleanPaymentData(withNull).header).not.toHaveProperty('applicationData');
  });

  it('drops unknown keys at every level, never the object that came in', () => {
    const input = {
      token: {
        ...structuredClone(EC),
        extra: 'x',
        paymentMethod: { ...EC.paymentMethod, secret: 'x', paymentPass: { activationState: 'activated', x: 1 } },
      },
      billingContact: { givenName: 'A', constructor: 'x', future: { a: 1 } },
      shippingContact: null,
      extra: { a: 1 },
    };
    // As JSON.parse reads it: "__proto__" becomes an own key, not the prototype.
    const parsed = JSON.parse(
      JSON.stringify(input).replace('"givenName":"A"', '"givenName":"A","__proto__":{"polluted":true}'),
    );
    expect(Object.hasOwn(parsed.billingContact, '__proto__')).toBe(true);
    const out = clean(parsed);
    expect(out).toEqual({
      token: { ...EC, paymentMethod: { ...EC.paymentMethod, paymentPass: { activationState: 'activated' } } },
      billingContact: { givenName: 'A' },
    });
    expect(out.token.paymentData).not.toBe(parsed.token.paymentData);
    expect(out.token.paymentData.header).not.toBe(parsed.token.paymentData.header);
    expect(Object.hasOwn(out.billingContact!, '__proto__')).toBe(false);
    expect(Object.getPrototypeOf(out.billingContact)).toBe(Object.prototype);
  });

  it.each<[string, (p: any) => void]>([
    ['no token', (p) => delete p.token],
    ['token an array', (p) => (p.token = [])],
    ['paymentData a string', (p) => (p.token.paymentData = 'abc')],
    ['paymentData null', (p) => (p.token.paymentData = null)],
    ['paymentMethod a string', (p) => (p.token.paymentMethod = 'Visa')],
    ['paymentMethod.network a number', (p) => (p.token.paymentMethod.network = 1)],
    ['paymentPass an array', (p) => (p.token.paymentMethod.paymentPass = [])],
    ['paymentPass field an object', (p) => (p.token.paymentMethod.paymentPass = { primaryAccountIdentifier: {} })],
    ['paymentMethod.billingContact a string', (p) => (p.token.paymentMethod.billingContact = 'me')],
    ['transactionIdentifier a number', (p) => (p.token.transactionIdentifier = 7)],
    ['transactionIdentifier too long', (p) => (p.token.transactionIdentifier = 'a'.repeat(257))],
    ['billingContact a string', (p) => (p.billingContact = 'me')],
    ['shippingContact an array', (p) => (p.shippingContact = [])],
    ['a contact field a number', (p) => (p.billingContact = { givenName: 42 })],
    ['a contact field a boolean', (p) => (p.billingContact = { countryCode: true })],
    ['a contact field an array', (p) => (p.shippingContact = { emailAddress: ['a@b.kz'] })],
    ['a contact field too long', (p) => (p.billingContact = { familyName: 'x'.repeat(MAX_CONTACT_FIELD_CHARS + 1) })],
    ['addressLines a string', (p) => (p.billingContact = { addressLines: 'Abay 1' })],
    ['addressLines with a number', (p) => (p.billingContact = { addressLines: ['Abay 1', 2] })],
    ['addressLines nested', (p) => (p.billingContact = { addressLines: [['Abay 1']] })],
    ['too many addressLines', (p) => (p.billingContact = { addressLines: Array(MAX_ADDRESS_LINES + 1).fill('x') })],
  ])('%s → invalid_request', (_name, spoil) => {
    const p = { token: structuredClone(EC) };
    spoil(p);
    expect(codeOf(() => cleanPayment(p))).toBe('invalid_request');
  });

  it.each([null, 'payment', 5, [], undefined])('payment %j → invalid_request', (payment) => {
    expect(codeOf(() => cleanPayment(payment))).toBe('invalid_request');
  });

  it('takes the longest fields Apple’s limits allow', () => {
    const p = {
      token: structuredClone(EC),
      billingContact: {
        familyName: 'x'.repeat(MAX_CONTACT_FIELD_CHARS),
        addressLines: Array(MAX_ADDRESS_LINES).fill('x'),
      },
    };
    expect(clean(p).billingContact).toEqual(p.billingContact);
  });

  it.each<[string, (pd: any) => void]>([
    ['no version', (pd) => delete pd.version],
    ['another version', (pd) => (pd.version = 'EC_v2')],
    ['data not base64', (pd) => (pd.data = 'not base64!')],
    ['data a number', (pd) => (pd.data = 5)],
    ['signature an object', (pd) => (pd.signature = { a: 1 })],
    ['header an array', (pd) => (pd.header = [])],
    ['no ephemeralPublicKey on EC_v1', (pd) => delete pd.header.ephemeralPublicKey],
    ['transactionId not hex', (pd) => (pd.header.transactionId = 'zz')],
    ['applicationData an array', (pd) => (pd.header.applicationData = [[[]]])],
    ['publicKeyHash of another length', (pd) => (pd.header.publicKeyHash = 'QUJD')],
    ['data longer than the decoder takes', (pd) => (pd.data = 'A'.repeat(200_000))],
    [
      'an empty object',
      (pd) => {
        for (const k of Object.keys(pd)) delete pd[k];
      },
    ],
  ])('paymentData with %s → token_invalid', (_name, spoil) => {
    const pd = structuredClone(EC.paymentData);
    spoil(pd);
    expect(codeOf(() => cleanPaymentData(pd))).toBe('token_invalid');
  });

  it('reads own fields only', () => {
    const pd = Object.assign(Object.create(structuredClone(EC.paymentData)) as object, {});
    expect(codeOf(() => cleanPaymentData(pd as Record<string, unknown>))).toBe('token_invalid');
  });
});

import { describe, expect, it } from 'vitest';
import type { Order } from '../order.js';
import { buildCryptopayRequest, expDateFromApple } from './cryptopay-request.js';

const order: Order = {
  invoiceId: '000123456',
  amount: 1500.5,
  currency: 'KZT',
  exp: 0,
  description: 'Books',
  accountId: 'u1',
  backLink: 'https://shop.kz/ok',
  failureBackLink: 'https://shop.kz/fail',
  postLink: 'https://shop.kz/hook',
};
const paymentData = {
  version: 'EC_v1',
  data: 'ZGF0YQ==',
  signature: 'c2ln',
  header: { transactionId: 'ab', publicKeyHash: 'x', ephemeralPublicKey: 'y' },
};
const payment = {
  token: { paymentData, paymentMethod: { network: 'Visa' }, transactionIdentifier: 'AB' },
  billingContact: { givenName: ' Arman ', familyName: 'Ali' },
  shippingContact: { emailAddress: 'arman@example.kz', phoneNumber: '+77771232380' },
};
const TERMINAL = '67e34d63-102f-4bd1-898e-370781d0074d';

describe('buildCryptopayRequest', () => {
  it('decrypt mode: device PAN, MMYY, empty cvc, the online cryptogram and eci', () => {
    const r = buildCryptopayRequest({
      order,
      payment,
      mode: 'decrypt',
      terminalId: TERMINAL,
      decrypted: {
        applicationPrimaryAccountNumber: '5353756319181169',
        applicationExpirationDate: '240930',
        paymentData: { onlinePaymentCryptogram: 'AMwBRjPWDnAgAA7Rls7mAoABFA==', eciIndicator: '7' },
      },
    });
    expect(r.card).toEqual({ hpan: '5353756319181169', expDate: '0924', cvc: '', terminalId: TERMINAL });
    expect(r.body).toEqual({
      amount: 1500.5,
      currency: 'KZT',
      name: 'Arman Ali',
      cryptogramApplePay: 'AMwBRjPWDnAgAA7Rls7mAoABFA==',
      eci: '7',
      invoiceId: '000123456',
      description: 'Books',
      accountId: 'u1',
      email: 'arman@example.kz',
      phone: '+77771232380',
      backLink: 'https://shop.kz/ok',
      failureBackLink: 'https://shop.kz/fail',
      postLink: 'https://shop.kz/hook',
      paymentType: 'applePay',
      cardSave: false,
      terminalId: TERMINAL,
    });
  });

  it('passthrough mode: the SDK placeholders and base64 of the raw paymentData', () => {
    const r = buildCryptopayRequest({ order, payment, mode: 'passthrough', terminalId: TERMINAL });
    expect(r.card).toEqual({ hpan: 'AppleToken', expDate: 'expToken', cvc: '', terminalId: TERMINAL });
    expect(JSON.parse(Buffer.from(r.body.cryptogramApplePay as string, 'base64').toString())).toEqual(paymentData);
    expect(r.body).not.toHaveProperty('eci');
  });

  it('sends an empty name and no contact fields when Apple gave none', () => {
    const r = buildCryptopayRequest({
      order,
      payment: { token: payment.token },
      mode: 'passthrough',
      terminalId: TERMINAL,
    });
    expect(r.body.name).toBe('');
    expect(r.body).not.toHaveProperty('email');
    expect(r.body).not.toHaveProperty('phone');
  });

  it('leaves out an email or phone the customer typed wrong, rather than fail the payment', () => {
    for (const [emailAddress, phoneNumber] of [
      ['not an email', 'call me'],
      ['a@b', '12'],
      [`${'x'.repeat(300)}@a.kz`, '+7 (777) 123-23-80-99-99-99'],
    ]) {
      const r = buildCryptopayRequest({
        order,
        payment: { ...payment, shippingContact: { emailAddress, phoneNumber } },
        mode: 'passthrough',
        terminalId: TERMINAL,
      });
      expect(r.body).not.toHaveProperty('email');
      expect(r.body).not.toHaveProperty('phone');
    }
    const ok = buildCryptopayRequest({
      order,
      payment: { ...payment, shippingContact: { emailAddress: 'a.b@shop.kz', phoneNumber: '+7 (777) 123-23-80' } },
      mode: 'passthrough',
      terminalId: TERMINAL,
    });
    expect([ok.body.email, ok.body.phone]).toEqual(['a.b@shop.kz', '+7 (777) 123-23-80']);
  });

  it('converts YYMMDD to MMYY and refuses anything else', () => {
    expect(expDateFromApple('291231')).toBe('1229');
    expect(() => expDateFromApple('2912')).toThrow();
  });
});

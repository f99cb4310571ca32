/**
 * @module An Apple-signed token whose payload is EMV (no 3-D Secure cryptogram) is answered 400 token_invalid over
 * real HTTP, naming EMV, and never reaches the bank: decrypt mode would otherwise send an empty `cryptogramApplePay`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invoiceOf, order, payment, post, type Stack, startStack } from '../../test/harness.js';

const PAN = '6250947000000014';

let s: Stack;
beforeAll(async () => {
  s = await startStack();
});
afterAll(async () => {
  await s?.close();
});

describe('decrypt mode and the payload kind', () => {
  const card = {
    applicationPrimaryAccountNumber: PAN,
    applicationExpirationDate: '331231',
    currencyCode: '398',
    transactionAmount: 150_000,
    deviceManufacturerIdentifier: '040010030273',
  };

  it('an EMV payload → 400 token_invalid naming EMV, the bank not called', async () => {
    const plaintext = JSON.stringify({ ...card, paymentDataType: 'EMV', paymentData: { emvData: 'nyYIobLD1OX2Bwg=' } });
    const o = await order();
    const r = await post(`${s.url}/applepay/payments`, {
      order: o,
      payment: payment(s.apple, { faults: { plaintext } }),
    });
    expect(r.status).toBe(400);
    expect(r.json).toEqual({
      status: 'error',
      error: {
        code: 'token_invalid',
        message:
          'The Apple Pay token was refused (unsupported_payment_data_type): EMV payment data is not supported by ePay; only 3DSecure.',
      },
    });
    expect(r.text).not.toContain(PAN);
    expect(s.bank.calls.filter((c) => c.invoiceId === invoiceOf(o))).toEqual([]);
  });

  it('a 3DSecure payload without its cryptogram → 400 token_invalid, the bank not called', async () => {
    const plaintext = JSON.stringify({
      ...card,
      paymentDataType: '3DSecure',
      paymentData: { onlinePaymentCryptogram: '', eciIndicator: '07' },
    });
    const o = await order();
    const r = await post(`${s.url}/applepay/payments`, {
      order: o,
      payment: payment(s.apple, { faults: { plaintext } }),
    });
    expect([r.status, r.json.error.code, r.json.error.message]).toEqual([
      400,
      'token_invalid',
      'The Apple Pay token was refused (payload_invalid)',
    ]);
    expect(s.bank.calls.filter((c) => c.invoiceId === invoiceOf(o))).toEqual([]);
  });

  it('the same order then pays with a 3DSecure token: the refusal left nothing behind', async () => {
    const o = await order();
    const emv = JSON.stringify({ ...card, paymentDataType: 'EMV', paymentData: { emvData: 'nyYIobLD1OX2Bwg=' } });
    expect(
      (
        await post(`${s.url}/applepay/payments`, {
          order: o,
          payment: payment(s.apple, { faults: { plaintext: emv } }),
        })
      ).status,
    ).toBe(400);
    const r = await post(`${s.url}/applepay/payments`, { order: o, payment: payment(s.apple) });
    expect([r.status, r.json.status]).toEqual([200, 'paid']);
    expect(s.bank.ledger.paid(invoiceOf(o))).toHaveLength(1);
  });
});

/**
 * The ePay client's less common paths against the sandbox bank over HTTP: `expires_in` as a string, the bank rotating
 * its public key, and the cached key kept while the bank cannot be reached.
 */
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_EPAY, startFakeEpay } from '@epay-applepay/sandbox';
import { createEpayClient } from '../src/epay/client.js';
import {
  bankPrivateKey,
  invoiceOf,
  order,
  payment,
  post,
  SHOP_ORIGIN,
  type Stack,
  startStack,
  TEST_PAN,
  SCENARIO_AMOUNT,
} from './harness.js';

const PAN = TEST_PAN;

describe('expires_in as a string', () => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack({ bank: { expiresInAsString: true } });
  });
  afterAll(() => s?.close());

  it('is understood: the token fetched when the sheet opens is the one cryptopay uses', async () => {
    const o = await order({ amount: 4100 });
    const session = await post(
      `${s.url}/applepay/session`,
      { validationURL: s.gateway.validationUrl, order: o },
      { origin: SHOP_ORIGIN },
    );
    expect(session.status).toBe(200);
    for (
      let i = 0;
      i < 50 &&
      !s.bank.calls.some((c) => c.path === '/oauth2/token' && c.invoiceId === invoiceOf(o) && c.status === 200);
      i++
    ) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const mark = s.bank.calls.length;
    const r = await post(`${s.url}/applepay/payments`, {
      order: o,
      payment: payment(s.apple, { amount: 4100, pan: PAN }),
    });
    expect([r.status, r.json.status]).toEqual([200, 'paid']);
    expect(s.bank.calls.slice(mark).map((c) => c.path)).toEqual(['/payment/cryptopay']);
  });
});

describe('the bank rotates its public key', () => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack();
  });
  afterAll(() => s?.close());

  it('a cryptogram refused under the old key is sent once more under the new one: paid, charged once', async () => {
    expect(
      (await post(`${s.url}/applepay/payments`, { order: await order(), payment: payment(s.apple, { pan: PAN }) }))
        .status,
    ).toBe(200);
    await s.bank.rotateKey(
      generateKeyPairSync('rsa', { modulusLength: 2048 })
        .privateKey.export({ format: 'pem', type: 'pkcs8' })
        .toString(),
    );
    const o = await order();
    const r = await post(`${s.url}/applepay/payments`, { order: o, payment: payment(s.apple, { pan: PAN }) });
    expect([r.status, r.json.status]).toEqual([200, 'paid']);
    const cryptopays = s.bank.calls.filter((c) => c.path === '/payment/cryptopay' && c.invoiceId === invoiceOf(o));
    expect(cryptopays.map((c) => c.status)).toEqual([400, 200]);
    expect(s.bank.ledger.paid(invoiceOf(o))).toHaveLength(1);
  });

  it('any other refusal is final: declined, cryptopay sent once', async () => {
    const o = await order({ amount: SCENARIO_AMOUNT.notPermitted });
    const r = await post(`${s.url}/applepay/payments`, {
      order: o,
      payment: payment(s.apple, { amount: SCENARIO_AMOUNT.notPermitted }),
    });
    expect([r.status, r.json.error.bankCode]).toEqual([402, 487]);
    expect(s.bank.calls.filter((c) => c.path === '/payment/cryptopay' && c.invoiceId === invoiceOf(o))).toHaveLength(1);
  });
});

describe('the cached public key', () => {
  it('is kept while the bank cannot be reached', async () => {
    const bank = await startFakeEpay({ privateKeyPem: bankPrivateKey() });
    const client = createEpayClient({ ...SANDBOX_EPAY, oauthUrl: bank.oauthUrl, apiUrl: bank.apiUrl });
    try {
      const key = await client.getPublicKey(Date.now() + 5_000);
      expect(key?.asymmetricKeyType).toBe('rsa');
      await bank.close();
      expect(await client.refreshPublicKey(Date.now() + 2_000)).toBe(false);
      expect(await client.getPublicKey(Date.now() + 2_000)).toBe(key);
    } finally {
      await client.close();
    }
  });
});

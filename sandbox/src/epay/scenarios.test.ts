import type { KeyObject } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scenarioKey } from './scenarios.js';
import { startFakeEpay } from './server.js';
import {
  cryptopayBody,
  getToken,
  nextInvoiceId,
  parsePublicKeyText,
  postCryptopay,
  testKeyPem,
  type Fetcher,
} from './test-support.js';
import type { FakeEpay } from './types.js';

const SLOW_MS = 300;

let epay: FakeEpay;
let fetcher: Fetcher;
let publicKey: KeyObject;

beforeAll(async () => {
  epay = await startFakeEpay({ privateKeyPem: testKeyPem(), slowMs: SLOW_MS });
  fetcher = (path, init) => fetch(`${epay.url}${path}`, init);
  publicKey = parsePublicKeyText(await (await fetcher('/public.rsa')).text());
});
afterAll(() => epay.close());

async function pay(amount: number, pan = '4400430000000000') {
  const invoiceId = nextInvoiceId();
  const token = await getToken(fetcher, invoiceId, amount);
  const started = Date.now();
  const res = await postCryptopay(fetcher, token, cryptopayBody(publicKey, { invoiceId, amount, pan }));
  return { res, invoiceId, elapsed: Date.now() - started };
}

async function status(invoiceId: string, amount: number) {
  const token = await getToken(fetcher, invoiceId, amount);
  const res = await fetcher(`/check-status/payment/transaction/${invoiceId}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  expect(res.status).toBe(200);
  return (await res.json()) as { resultCode: string; resultMessage: string; transaction?: Record<string, unknown> };
}

describe('scenarioKey', () => {
  it('takes the amount’s minor units, else the PAN’s last two digits, else 00', () => {
    expect(scenarioKey(100.05, '4400430000000011')).toBe('05');
    expect(scenarioKey(100, '4400430000000011')).toBe('11');
    expect(scenarioKey(100, undefined)).toBe('00');
    expect(scenarioKey(0.87, undefined)).toBe('87');
  });
});

describe('cryptopay scenarios over HTTP', () => {
  it('00 and unlisted: paid, AUTH, approved', async () => {
    for (const amount of [100, 100.42]) {
      const { res, invoiceId } = await pay(amount);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ invoiceID: invoiceId, amount });
      expect(epay.ledger.paid(invoiceId)).toMatchObject([{ statusName: 'AUTH', reasonCode: '00' }]);
    }
  });

  it('picks the scenario from the PAN when the amount is whole', async () => {
    const { res, invoiceId } = await pay(100, '4400430000000051');
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 51, message: 'Insufficient funds', invoiceId });
  });

  it.each([
    [100.05, 5, 'Do not honor', '05'],
    [100.51, 51, 'Insufficient funds', '51'],
    [100.87, 487, 'Not permitted to merchant', '487'],
  ])('%s: declined %s, recorded FAILED', async (amount, code, message, reasonCode) => {
    const { res, invoiceId } = await pay(amount);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ code, message, invoiceId, id: '', reference: '', accountId: '' });
    expect(epay.ledger.byInvoice(invoiceId)).toMatchObject([{ statusName: 'FAILED', reasonCode }]);
    expect((await status(invoiceId, amount)).transaction).toMatchObject({ statusName: 'FAILED', reasonCode });
  });

  it.each([
    [100.54, 454, 'AUTH'],
    [100.55, 454, 'FAILED'],
    [100.59, 459, 'AUTH'],
  ])('%s: answers not-final %s; the status call says %s', async (amount, code, statusName) => {
    const { res, invoiceId } = await pay(amount);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { code: number }).code).toBe(code);
    expect(epay.ledger.byInvoice(invoiceId)).toMatchObject([{ statusName }]);
    expect(await status(invoiceId, amount)).toMatchObject({
      resultCode: '100',
      resultMessage: 'SUCCESS',
      transaction: { statusName },
    });
  });

  it('61: slow, with the charge recorded before the answer', async () => {
    const invoiceId = nextInvoiceId();
    const token = await getToken(fetcher, invoiceId, 100.61);
    const started = Date.now();
    const pending = postCryptopay(
      fetcher,
      token,
      cryptopayBody(publicKey, { invoiceId, amount: 100.61, pan: '4400430000000000' }),
    );
    await new Promise((resolve) => setTimeout(resolve, SLOW_MS / 3));
    expect(epay.ledger.paid(invoiceId)).toHaveLength(1);
    const res = await pending;
    expect(Date.now() - started).toBeGreaterThanOrEqual(SLOW_MS - 10);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ invoiceID: invoiceId });
  });

  it('71: 200 with an HTML body, charge recorded', async () => {
    const { res, invoiceId } = await pay(100.71);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    await expect(res.json()).rejects.toThrow();
    expect(epay.ledger.paid(invoiceId)).toHaveLength(1);
  });

  it('72: HTTP 500 and no transaction at all', async () => {
    const { res, invoiceId } = await pay(100.72);
    expect(res.status).toBe(500);
    expect(epay.ledger.byInvoice(invoiceId)).toEqual([]);
    expect(await status(invoiceId, 100.72)).toEqual({ resultCode: '102', resultMessage: 'Transaction not found' });
  });

  it('73: the connection drops after the charge is recorded', async () => {
    const invoiceId = nextInvoiceId();
    const token = await getToken(fetcher, invoiceId, 100.73);
    await expect(
      postCryptopay(fetcher, token, cryptopayBody(publicKey, { invoiceId, amount: 100.73, pan: '4400430000000000' })),
    ).rejects.toThrow();
    expect(epay.ledger.paid(invoiceId)).toHaveLength(1);
    expect(epay.calls.find((c) => c.path === '/payment/cryptopay' && c.invoiceId === invoiceId)?.status).toBe(0);
    expect((await status(invoiceId, 100.73)).transaction).toMatchObject({ statusName: 'AUTH' });
  });

  it('74: the connection drops and nothing is charged', async () => {
    const invoiceId = nextInvoiceId();
    const token = await getToken(fetcher, invoiceId, 100.74);
    await expect(
      postCryptopay(fetcher, token, cryptopayBody(publicKey, { invoiceId, amount: 100.74, pan: '4400430000000000' })),
    ).rejects.toThrow();
    expect(epay.ledger.byInvoice(invoiceId)).toEqual([]);
    expect((await status(invoiceId, 100.74)).resultCode).toBe('102');
  });
});

describe('GET /check-status/payment/transaction/:invoiceId', () => {
  it('reports the latest transaction in the bank’s shape', async () => {
    const { invoiceId } = await pay(100.05);
    const token = await getToken(fetcher, invoiceId, 100);
    await postCryptopay(fetcher, token, cryptopayBody(publicKey, { invoiceId, amount: 100, pan: '4400430000000000' }));
    const answer = await status(invoiceId, 100);
    expect(Object.keys(answer.transaction ?? {})).toEqual([
      'id',
      'invoiceID',
      'amount',
      'currency',
      'statusName',
      'reference',
      'reasonCode',
      'cardMask',
      'createdDate',
    ]);
    expect(answer.transaction).toMatchObject({
      invoiceID: invoiceId,
      amount: 100,
      currency: 'KZT',
      statusName: 'AUTH',
      cardMask: '440043******0000',
    });
  });

  it('wants a token bound to that invoice and amount, used once', async () => {
    const { invoiceId } = await pay(100);
    const otherInvoice = await getToken(fetcher, nextInvoiceId(), 100);
    const wrongAmount = await getToken(fetcher, invoiceId, 200);
    for (const token of [otherInvoice, wrongAmount]) {
      const res = await fetcher(`/check-status/payment/transaction/${invoiceId}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(res.status).toBe(401);
    }
    const token = await getToken(fetcher, invoiceId, 100);
    const send = () =>
      fetcher(`/check-status/payment/transaction/${invoiceId}`, { headers: { authorization: `Bearer ${token}` } });
    expect((await send()).status).toBe(200);
    expect((await send()).status).toBe(401);
  });
});

describe('latency and introspection', () => {
  it('adds the configured latency to bank calls', async () => {
    epay.setLatency(150);
    try {
      const started = Date.now();
      await fetcher('/public.rsa');
      expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    } finally {
      epay.setLatency(0);
    }
  });

  it('serves the ledger and the calls as JSON', async () => {
    const { invoiceId } = await pay(100);
    const ledger = (await (await fetcher('/_sandbox/ledger')).json()) as { transactions: Array<{ invoiceId: string }> };
    expect(ledger.transactions.some((t) => t.invoiceId === invoiceId)).toBe(true);
    const calls = (await (await fetcher('/_sandbox/calls')).json()) as Array<{ path: string; invoiceId?: string }>;
    expect(calls.some((c) => c.path === '/payment/cryptopay' && c.invoiceId === invoiceId)).toBe(true);
    expect(JSON.stringify(calls)).not.toContain('4400430000000000');
  });
});

import type { KeyObject } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeEpay } from '../server.js';
import { startTestMerchant, type TestMerchant } from '../test-merchant.js';
import {
  cryptopayBody,
  getToken,
  nextInvoiceId,
  parsePublicKeyText,
  postCryptopay,
  testKeyPem,
  type Fetcher,
} from '../test-support.js';
import type { FakeEpay } from '../types.js';

const OFF = { seed: 1, lost: 0, duplicated: 0, late: 0, lateMs: 2000, forged: 0 };

let merchant: TestMerchant;
let epay: FakeEpay;
let publicKey: KeyObject;

beforeAll(async () => {
  merchant = await startTestMerchant();
  epay = await startFakeEpay({ privateKeyPem: testKeyPem() });
  publicKey = parsePublicKeyText(await (await fetch(`${epay.url}/public.rsa`)).text());
});
afterAll(async () => {
  await epay.close();
  await merchant.close();
});

const control = (body: string, contentType = 'application/json') =>
  fetch(`${epay.url}/_sandbox/notification-faults`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body,
  });
const current = async () => (await fetch(`${epay.url}/_sandbox/notification-faults`)).json();

async function payAndFlush(): Promise<string> {
  const at: Fetcher = (path, init) => fetch(`${epay.url}${path}`, init);
  const invoiceId = nextInvoiceId();
  const token = await getToken(at, invoiceId, 100);
  const body = cryptopayBody(
    publicKey,
    { invoiceId, amount: 100, pan: '4400430000000000' },
    { postLink: `${merchant.url}/ok` },
  );
  expect((await postCryptopay(at, token, body)).status).toBe(200);
  await epay.flushNotifications();
  return invoiceId;
}

describe('POST /_sandbox/notification-faults', () => {
  it('starts off, switches faults on a running bank, and off again with {}', async () => {
    expect(await current()).toEqual(OFF);
    const on = await control(JSON.stringify({ seed: 5, lost: 1 }));
    expect(on.status).toBe(200);
    expect(await on.json()).toEqual({ ...OFF, seed: 5, lost: 1 });
    expect(await current()).toEqual({ ...OFF, seed: 5, lost: 1 });
    const lost = await payAndFlush();
    expect(merchant.forInvoice(lost)).toEqual([]);
    expect(epay.notifications.find((n) => n.body.invoiceId === lost)?.delivery).toBe('lost');

    expect(await (await control('{}')).json()).toEqual(OFF);
    const delivered = await payAndFlush();
    expect(merchant.forInvoice(delivered)).toHaveLength(1);
  });

  it('restarts the PRNG from the seed at every switch', async () => {
    const faults = { seed: 77, lost: 0.5 };
    const run = async () => {
      await control(JSON.stringify(faults));
      const outcomes: string[] = [];
      for (let i = 0; i < 12; i += 1) {
        const invoiceId = await payAndFlush();
        outcomes.push(epay.notifications.find((n) => n.body.invoiceId === invoiceId)?.delivery ?? '');
      }
      return outcomes;
    };
    const first = await run();
    expect(await run()).toEqual(first);
    expect(first).toContain('lost');
    expect(first).toContain('delivered');
    await control('{}');
  });

  it.each([
    ['a share above 1', JSON.stringify({ lost: 1.5 })],
    ['a negative share', JSON.stringify({ late: -0.5 })],
    ['a share as text', JSON.stringify({ forged: '0.5' })],
    ['NaN (not JSON)', '{"duplicated": NaN}'],
    ['a fractional seed', JSON.stringify({ seed: 0.5 })],
    ['a negative lateMs', JSON.stringify({ lateMs: -1 })],
    ['an unknown field', JSON.stringify({ lost: 0.1, slow: 1 })],
    ['an array', '[]'],
    ['null', 'null'],
    ['broken JSON', '{'],
  ])('answers 400 for %s and changes nothing', async (_label, body) => {
    await control(JSON.stringify({ seed: 3, duplicated: 0.25 }));
    const res = await control(body);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBeTruthy();
    expect(await current()).toEqual({ ...OFF, seed: 3, duplicated: 0.25 });
    await control('{}');
  });

  it('answers 400 for a body that is not JSON', async () => {
    const res = await control('lost=1', 'application/x-www-form-urlencoded');
    expect(res.status).toBe(400);
    expect(await current()).toEqual(OFF);
  });

  it('is not a bank call: not recorded in calls', async () => {
    await control('{}');
    await current();
    expect(epay.calls.some((c) => c.path.startsWith('/_sandbox'))).toBe(false);
  });
});

describe('setNotificationFaults on the handle', () => {
  it('switches faults like the route, and throws a RangeError for bad input, changing nothing', async () => {
    expect(epay.setNotificationFaults({ seed: 8, duplicated: 1 })).toEqual({ ...OFF, seed: 8, duplicated: 1 });
    const invoiceId = await payAndFlush();
    expect(merchant.forInvoice(invoiceId)).toHaveLength(2);
    expect(() => epay.setNotificationFaults({ late: Number.NaN })).toThrow(RangeError);
    expect(() => epay.setNotificationFaults({ forged: 1.01 })).toThrow(RangeError);
    expect(await current()).toEqual({ ...OFF, seed: 8, duplicated: 1 });
    expect(epay.setNotificationFaults(undefined)).toEqual(OFF);
    expect(merchant.forInvoice(await payAndFlush())).toHaveLength(1);
  });
});

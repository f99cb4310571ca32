import type { KeyObject } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FORGED_DECLINE } from './forged-notification.js';
import { startFakeEpay } from './server.js';
import { startTestMerchant, type TestMerchant } from './test-merchant.js';
import {
  cryptopayBody,
  getToken,
  nextInvoiceId,
  parsePublicKeyText,
  postCryptopay,
  testKeyPem,
  type Fetcher,
} from './test-support.js';
import type { FakeEpay, FakeEpayOptions, Notification, NotificationFaultKind } from './types.js';

const PAN = '4400430000000000';
/** Scenario 51: declined, notified to failurePostLink. */
const DECLINED = 100.51;

let merchant: TestMerchant;
let publicKey: KeyObject;
const banks: FakeEpay[] = [];

beforeAll(async () => {
  merchant = await startTestMerchant();
  const plain = await startBank();
  publicKey = parsePublicKeyText(await (await fetch(`${plain.url}/public.rsa`)).text());
});
afterAll(async () => {
  await Promise.all(banks.map((b) => b.close()));
  await merchant.close();
});

async function startBank(options: FakeEpayOptions = {}): Promise<FakeEpay> {
  const bank = await startFakeEpay({ privateKeyPem: testKeyPem(), ...options });
  banks.push(bank);
  return bank;
}

/** Pays through cryptopay with both links on the test merchant; does not wait for notifications. */
async function pay(bank: FakeEpay, amount = 100) {
  const at: Fetcher = (path, init) => fetch(`${bank.url}${path}`, init);
  const invoiceId = nextInvoiceId();
  const token = await getToken(at, invoiceId, amount);
  const links = { postLink: `${merchant.url}/ok`, failurePostLink: `${merchant.url}/fail` };
  await postCryptopay(at, token, cryptopayBody(publicKey, { invoiceId, amount, pan: PAN }, links));
  return invoiceId;
}

const recorded = (bank: FakeEpay, invoiceId: string): Notification[] =>
  bank.notifications.filter((n) => n.body.invoiceId === invoiceId);
const genuine = (bank: FakeEpay, invoiceId: string): Notification | undefined =>
  recorded(bank, invoiceId).find((n) => !n.duplicate && !n.forged);

describe('notification faults', () => {
  it('lost: recorded as lost, never sent', async () => {
    const bank = await startBank({ notificationFaults: { seed: 1, lost: 1 } });
    const invoiceId = await pay(bank);
    await bank.flushNotifications();
    expect(merchant.forInvoice(invoiceId)).toEqual([]);
    expect(recorded(bank, invoiceId)).toHaveLength(1);
    const note = genuine(bank, invoiceId);
    expect(note).toMatchObject({ kind: 'postLink', delivery: 'lost', faults: ['lost'], body: { code: 'ok' } });
    expect(note?.sentAt).toBeUndefined();
    expect(bank.ledger.paid(invoiceId)).toHaveLength(1);
  });

  it('duplicated: the same body arrives twice, the second 50 to 200 ms later', async () => {
    const bank = await startBank({ notificationFaults: { seed: 1, duplicated: 1 } });
    const invoiceId = await pay(bank);
    await bank.flushNotifications();
    const arrived = merchant.forInvoice(invoiceId);
    expect(arrived.map((r) => r.path)).toEqual(['/ok', '/ok']);
    expect(arrived[1]?.body).toEqual(arrived[0]?.body);
    const [first, second, ...rest] = recorded(bank, invoiceId);
    expect(rest).toEqual([]);
    expect(first).toMatchObject({ delivery: 'delivered', faults: ['duplicated'] });
    expect(first?.duplicate).toBeUndefined();
    expect(second).toMatchObject({ delivery: 'delivered', duplicate: true, httpStatus: 200 });
    const gap = (second?.sentAt ?? 0) - (first?.sentAt ?? 0);
    expect(gap).toBeGreaterThanOrEqual(45);
    expect(gap).toBeLessThan(1_000);
  });

  it('late: nothing arrives at once; it arrives after lateMs, and flushNotifications waits for it', async () => {
    const bank = await startBank({ notificationFaults: { seed: 1, late: 1, lateMs: 300 } });
    const invoiceId = await pay(bank);
    await new Promise((r) => setTimeout(r, 100));
    expect(merchant.forInvoice(invoiceId)).toEqual([]);
    expect(genuine(bank, invoiceId)).toMatchObject({ delivery: 'pending', faults: ['late'] });
    await bank.flushNotifications();
    expect(merchant.forInvoice(invoiceId).map((r) => r.body.code)).toEqual(['ok']);
    const note = genuine(bank, invoiceId);
    expect(note?.delivery).toBe('delivered');
    expect((note?.sentAt ?? 0) - (note?.at ?? 0)).toBeGreaterThanOrEqual(290);
  });

  it('forged: a paid payment is also claimed declined, on the same URL, with otherwise the same fields', async () => {
    const bank = await startBank({ notificationFaults: { seed: 1, forged: 1 } });
    const invoiceId = await pay(bank);
    await bank.flushNotifications();
    const arrived = merchant.forInvoice(invoiceId);
    expect(arrived.map((r) => r.path)).toEqual(['/ok', '/ok']);
    const real = arrived.find((r) => r.body.code === 'ok')?.body;
    const fake = arrived.find((r) => r.body.code === 'error')?.body;
    expect(fake).toEqual({
      ...real,
      code: 'error',
      reason: FORGED_DECLINE.reason,
      reasonCode: FORGED_DECLINE.reasonCode,
      approvalCode: '',
      dateTime: fake?.dateTime,
    });
    expect(Object.keys(fake ?? {})).toEqual(Object.keys(real ?? {}));
    expect(genuine(bank, invoiceId)).toMatchObject({ faults: ['forged'], delivery: 'delivered', body: { code: 'ok' } });
    expect(recorded(bank, invoiceId).find((n) => n.forged)).toMatchObject({
      forged: true,
      kind: 'postLink',
      delivery: 'delivered',
      body: { code: 'error' },
    });
    // The forgery is only posted: the bank's books still say paid.
    expect(bank.ledger.byInvoice(invoiceId)).toMatchObject([{ statusName: 'AUTH', reasonCode: '00' }]);
  });

  it('forged: a declined payment is also claimed paid with reasonCode 00 and an approval code', async () => {
    const bank = await startBank({ notificationFaults: { seed: 1, forged: 1 } });
    const invoiceId = await pay(bank, DECLINED);
    await bank.flushNotifications();
    const arrived = merchant.forInvoice(invoiceId);
    expect(arrived.map((r) => r.path)).toEqual(['/fail', '/fail']);
    expect(arrived.find((r) => r.body.code === 'error')?.body).toMatchObject({ reasonCode: '51', approvalCode: '' });
    expect(arrived.find((r) => r.body.code === 'ok')?.body).toMatchObject({
      reason: 'success',
      reasonCode: '00',
      approvalCode: expect.stringMatching(/^\d{6}$/),
      invoiceId,
      amount: DECLINED,
    });
    expect(bank.ledger.byInvoice(invoiceId)).toMatchObject([{ statusName: 'FAILED', reasonCode: '51' }]);
  });

  it('lost and forged together: only the forgery arrives', async () => {
    const bank = await startBank({ notificationFaults: { seed: 1, lost: 1, duplicated: 1, late: 1, forged: 1 } });
    const invoiceId = await pay(bank);
    await bank.flushNotifications();
    expect(merchant.forInvoice(invoiceId).map((r) => r.body.code)).toEqual(['error']);
    expect(genuine(bank, invoiceId)).toMatchObject({ delivery: 'lost', faults: ['lost', 'forged'] });
  });

  it('with share 0.5 over 40 payments, the same seed faults the same payments the same way, as delivered', async () => {
    const faults = { seed: 2024, lost: 0.5, duplicated: 0.5, late: 0.5, lateMs: 40, forged: 0.5 };
    const run = async (bank: FakeEpay) => {
      const invoices: string[] = [];
      for (let i = 0; i < 40; i += 1) invoices.push(await pay(bank));
      await bank.flushNotifications();
      return invoices.map((invoiceId) => ({ invoiceId, faults: genuine(bank, invoiceId)?.faults ?? [] }));
    };
    const first = await run(await startBank({ notificationFaults: faults }));
    const again = await run(await startBank({ notificationFaults: faults }));
    const plans = (r: Array<{ faults: NotificationFaultKind[] }>) => r.map((p) => p.faults.join('+'));
    expect(plans(again)).toEqual(plans(first));
    const other = await run(await startBank({ notificationFaults: { ...faults, seed: 2025 } }));
    expect(plans(other)).not.toEqual(plans(first));

    for (const kind of ['lost', 'duplicated', 'late', 'forged'] as const) {
      const chosen = first.filter((p) => p.faults.includes(kind)).length;
      expect(chosen, kind).toBeGreaterThan(0);
      expect(chosen, kind).toBeLessThan(40);
    }
    // What the merchant saw matches what was recorded: none when lost, two when duplicated, plus any forgery.
    for (const { invoiceId, faults: happened } of [...first, ...again]) {
      const arrived = merchant.forInvoice(invoiceId);
      const real = happened.includes('lost') ? 0 : happened.includes('duplicated') ? 2 : 1;
      expect(
        arrived.filter((r) => r.body.code === 'ok'),
        invoiceId,
      ).toHaveLength(real);
      expect(
        arrived.filter((r) => r.body.code === 'error'),
        invoiceId,
      ).toHaveLength(happened.includes('forged') ? 1 : 0);
    }
  });

  it('close() cancels late deliveries: recorded as cancelled, never sent, and flush does not wait', async () => {
    const bank = await startBank({ notificationFaults: { seed: 1, late: 1, duplicated: 1, lateMs: 5_000 } });
    const invoiceId = await pay(bank);
    await bank.close();
    const started = Date.now();
    await bank.flushNotifications();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(recorded(bank, invoiceId).map((n) => n.delivery)).toEqual(['cancelled', 'cancelled']);
    expect(merchant.forInvoice(invoiceId)).toEqual([]);
  });

  it('without faults, every notification goes once, at once, and carries no faults', async () => {
    const bank = await startBank();
    const invoiceId = await pay(bank);
    await bank.flushNotifications();
    expect(merchant.forInvoice(invoiceId)).toHaveLength(1);
    expect(recorded(bank, invoiceId)).toHaveLength(1);
    expect(genuine(bank, invoiceId)?.faults).toBeUndefined();
    expect(genuine(bank, invoiceId)?.sentAt).toBeTypeOf('number');
  });
});

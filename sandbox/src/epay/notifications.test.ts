import type { KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
import type { FakeEpay, NotificationBody } from './types.js';

const PAN = '4400430000000000';
const NOTIFICATION_KEYS = [
  'code',
  'reason',
  'reasonCode',
  'id',
  'invoiceId',
  'amount',
  'currency',
  'terminal',
  'accountId',
  'description',
  'language',
  'cardMask',
  'cardType',
  'cardId',
  'issuer',
  'reference',
  'approvalCode',
  'secure',
  'dateTime',
  'name',
  'email',
  'phone',
];

let merchant: Server;
let merchantUrl: string;
const received: Array<{ path: string; body: NotificationBody }> = [];
let epay: FakeEpay;
let fetcher: Fetcher;
let publicKey: KeyObject;

beforeAll(async () => {
  merchant = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => {
      received.push({ path: req.url ?? '', body: JSON.parse(text) as NotificationBody });
      res.statusCode = req.url === '/broken' ? 500 : 200;
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => merchant.listen(0, '127.0.0.1', resolve));
  merchantUrl = `http://127.0.0.1:${(merchant.address() as AddressInfo).port}`;
  epay = await startFakeEpay({ privateKeyPem: testKeyPem() });
  fetcher = (path, init) => fetch(`${epay.url}${path}`, init);
  publicKey = parsePublicKeyText(await (await fetcher('/public.rsa')).text());
});
afterAll(async () => {
  await epay.close();
  await new Promise((resolve) => merchant.close(resolve));
});

async function pay(amount: number, links: Record<string, string>, bank: FakeEpay = epay) {
  const at: Fetcher = (path, init) => fetch(`${bank.url}${path}`, init);
  const invoiceId = nextInvoiceId();
  const token = await getToken(at, invoiceId, amount);
  const extra = { accountId: 'uuid000001', cardSave: true, ...links };
  const res = await postCryptopay(at, token, cryptopayBody(publicKey, { invoiceId, amount, pan: PAN }, extra));
  await bank.flushNotifications();
  return { res, invoiceId };
}

describe('postLink / failurePostLink notifications', () => {
  it("posts the bank's notification body (docs/sandbox.md) to postLink when paid", async () => {
    const { invoiceId } = await pay(100, { postLink: `${merchantUrl}/ok`, failurePostLink: `${merchantUrl}/fail` });
    const delivered = received.filter((r) => r.body.invoiceId === invoiceId);
    expect(delivered.map((r) => r.path)).toEqual(['/ok']);
    const body = delivered[0]?.body;
    expect(Object.keys(body ?? {})).toEqual(NOTIFICATION_KEYS);
    const charge = epay.ledger.byInvoice(invoiceId)[0];
    expect(body).toMatchObject({
      code: 'ok',
      reasonCode: '00',
      id: charge?.id,
      invoiceId,
      amount: 100,
      currency: 'KZT',
      terminal: '67e34d63-102f-4bd1-898e-370781d0074d',
      accountId: 'uuid000001',
      description: 'Payment by ApplePay',
      language: 'rus',
      cardMask: '440043******0000',
      cardType: 'VISA',
      reference: charge?.reference,
      secure: 'no',
      name: 'Arman Ali',
      email: 'armanali@example.com',
      phone: '+77771232380',
    });
    expect(body?.approvalCode).toMatch(/^\d{6}$/);
    expect(body?.cardId).toMatch(/^[0-9a-f-]{36}$/);
    expect(epay.notifications.find((n) => n.body.invoiceId === invoiceId)).toMatchObject({
      kind: 'postLink',
      delivery: 'delivered',
      httpStatus: 200,
    });
  });

  it('posts code "error" to failurePostLink when declined', async () => {
    const { invoiceId } = await pay(100.51, { postLink: `${merchantUrl}/ok`, failurePostLink: `${merchantUrl}/fail` });
    const delivered = received.filter((r) => r.body.invoiceId === invoiceId);
    expect(delivered.map((r) => r.path)).toEqual(['/fail']);
    expect(delivered[0]?.body).toMatchObject({
      code: 'error',
      reason: 'Insufficient funds',
      reasonCode: '51',
      approvalCode: '',
    });
  });

  it('notifies a charged not-final payment as paid, and nothing for a 500 that charged nothing', async () => {
    const charged = await pay(100.54, { postLink: `${merchantUrl}/ok`, failurePostLink: `${merchantUrl}/fail` });
    expect(received.filter((r) => r.body.invoiceId === charged.invoiceId).map((r) => r.path)).toEqual(['/ok']);
    const nothing = await pay(100.72, { postLink: `${merchantUrl}/ok`, failurePostLink: `${merchantUrl}/fail` });
    expect(epay.notifications.filter((n) => n.body.invoiceId === nothing.invoiceId)).toEqual([]);
  });

  it('records failed deliveries with the reason', async () => {
    const refused = await pay(100, { postLink: `${merchantUrl}/broken` });
    expect(epay.notifications.find((n) => n.body.invoiceId === refused.invoiceId)).toMatchObject({
      delivery: 'failed',
      httpStatus: 500,
    });
    const unreachable = await pay(100, { postLink: 'http://127.0.0.1:9/nobody-listens' });
    const note = epay.notifications.find((n) => n.body.invoiceId === unreachable.invoiceId);
    expect(note?.delivery).toBe('failed');
    expect(note?.error).toBeTruthy();
  });

  it('records but does not post when deliverNotifications is false', async () => {
    const quiet = await startFakeEpay({ privateKeyPem: testKeyPem(), deliverNotifications: false });
    try {
      const { invoiceId } = await pay(100, { postLink: `${merchantUrl}/ok` }, quiet);
      expect(quiet.notifications).toMatchObject([{ kind: 'postLink', delivery: 'skipped', body: { invoiceId } }]);
      expect(received.filter((r) => r.body.invoiceId === invoiceId)).toEqual([]);
    } finally {
      await quiet.close();
    }
  });

  it('never carries the full card number', () => {
    expect(JSON.stringify(received)).not.toContain(PAN);
    expect(JSON.stringify(epay.notifications)).not.toContain(PAN);
  });
});

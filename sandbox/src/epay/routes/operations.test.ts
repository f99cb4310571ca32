/**
 * The operations on a paid payment (charge, cancel, refund) as strictly as the bank is known to take them, the two
 * terminal kinds (two-stage: AUTH first; single-stage: CHARGE at once), the ledger's record of operations, and the
 * queued faults that break an operation call.
 */
import type { KeyObject } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFakeEpayApp } from '../app.js';
import { BANK_ERRORS } from '../bank-errors.js';
import { startFakeEpay } from '../server.js';
import type { FakeEpayState } from '../state.js';
import {
  cryptopayBody,
  getTerminalToken,
  getToken,
  nextInvoiceId,
  parsePublicKeyText,
  postCryptopay,
  postOperation,
  testKeyPem,
  type Fetcher,
} from '../test-support.js';
import { THREE_DS_CODE } from '../three-ds-pages.js';
import type { Charge, FakeEpay, FakeEpayOptions, OperationKind } from '../types.js';

/** Ends in 00: paid. */
const PAN = '4400431234561200';
/** Ends in 11: 3-D Secure. */
const PAN_3DS = '4400431234561211';
const SLOW_MS = 150;

interface Bank {
  fetcher: Fetcher;
  state: FakeEpayState;
  publicKey: KeyObject;
}

async function bank(options: FakeEpayOptions = {}): Promise<Bank> {
  const created = await createFakeEpayApp({ privateKeyPem: testKeyPem(), slowMs: SLOW_MS, ...options });
  const fetcher: Fetcher = async (path, init) => created.app.request(path, init);
  return { fetcher, state: created.state, publicKey: parsePublicKeyText(await (await fetcher('/public.rsa')).text()) };
}

let twoStage: Bank;
let singleStage: Bank;
beforeAll(async () => {
  twoStage = await bank();
  singleStage = await bank({ singleStage: true });
});

/** Pays `amount` on a bank; returns the invoice, the bank's payment id and its ledger line. */
async function pay(b: Bank, amount = 100, options: { currency?: string; pan?: string } = {}) {
  const invoiceId = nextInvoiceId();
  const currency = options.currency ?? 'KZT';
  const token = await getToken(b.fetcher, invoiceId, amount, currency);
  const res = await postCryptopay(
    b.fetcher,
    token,
    cryptopayBody(b.publicKey, { invoiceId, amount, currency, pan: options.pan ?? PAN }),
  );
  const body = (await res.json()) as { id?: string };
  const charge = b.state.ledger.byInvoice(invoiceId)[0] as Charge;
  // The id the operations take is the one the bank answers a payment with (a decline answers none).
  if (res.status === 200) expect(body.id).toBe(charge.id);
  return { invoiceId, id: charge.id, charge };
}

/** One operation with a fresh terminal token; the answer's status and parsed JSON body. */
async function op(b: Bank, id: string, kind: OperationKind, input: { query?: string; body?: unknown } = {}) {
  const res = await postOperation(b.fetcher, await getTerminalToken(b.fetcher), id, kind, input);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** What the status call says of an invoice, asked with a terminal token. */
async function statusOf(b: Bank, invoiceId: string) {
  const res = await b.fetcher(`/check-status/payment/transaction/${invoiceId}`, {
    headers: { authorization: `Bearer ${await getTerminalToken(b.fetcher)}` },
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { transaction: { statusName: string; amount: number; id: string } }).transaction;
}

/** The refusal the bank answers for an error, as `toMatchObject` checks it. */
function refusal(error: { status: number; code: number }) {
  return { status: error.status, body: { code: error.code, message: expect.any(String) } };
}

const OK = { status: 200, body: {} };

describe('POST /operation/:id/charge', () => {
  it('captures all of an AUTH by default: CHARGE in the status call, the original amount kept', async () => {
    const { invoiceId, id, charge } = await pay(twoStage, 100);
    expect(await op(twoStage, id, 'charge')).toEqual(OK);
    expect(await statusOf(twoStage, invoiceId)).toMatchObject({ id, statusName: 'CHARGE', amount: 100 });
    expect(charge).toMatchObject({ statusName: 'CHARGE', chargedAmount: 100, refundedAmount: 0 });
    expect(charge.operations).toEqual([{ kind: 'charge', amount: 100, at: expect.any(String) }]);
    expect(new Date(charge.operations?.[0]?.at ?? '').toISOString()).toBe(charge.operations?.[0]?.at);
  });

  it('captures part of it, from the query or the JSON body, and records what was charged', async () => {
    const fromQuery = await pay(twoStage, 100);
    expect(await op(twoStage, fromQuery.id, 'charge', { query: 'amount=60.5' })).toEqual(OK);
    expect(fromQuery.charge).toMatchObject({ statusName: 'CHARGE', amount: 100, chargedAmount: 60.5 });
    expect(await statusOf(twoStage, fromQuery.invoiceId)).toMatchObject({ statusName: 'CHARGE', amount: 100 });

    const fromBody = await pay(twoStage, 100);
    expect(await op(twoStage, fromBody.id, 'charge', { body: { amount: 40 } })).toEqual(OK);
    expect(fromBody.charge.chargedAmount).toBe(40);

    const both = await pay(twoStage, 100);
    expect(await op(twoStage, both.id, 'charge', { query: 'amount=25.10', body: { amount: 25.1 } })).toEqual(OK);
    expect(both.charge.chargedAmount).toBe(25.1);
  });

  it('captures exactly the whole amount, and refuses one tiyn more (1041)', async () => {
    const over = await pay(twoStage, 100);
    expect(await op(twoStage, over.id, 'charge', { query: 'amount=100.01' })).toMatchObject(
      refusal(BANK_ERRORS.amountTooLarge),
    );
    expect(over.charge).toMatchObject({ statusName: 'AUTH', chargedAmount: 0, operations: [] });
    expect(await op(twoStage, over.id, 'charge', { body: { amount: 100 } })).toEqual(OK);
    expect(over.charge.chargedAmount).toBe(100);
  });

  it.each([
    ['a zero amount in the query', { query: 'amount=0' }],
    ['three decimals in the query', { query: 'amount=10.555' }],
    ['a negative amount in the query', { query: 'amount=-5' }],
    ['an exponent in the query', { query: 'amount=1e1' }],
    ['an empty amount in the query', { query: 'amount=' }],
    ['the amount twice in the query', { query: 'amount=10&amount=10' }],
    ['a zero amount in the body', { body: { amount: 0 } }],
    ['three decimals in the body', { body: { amount: 10.555 } }],
    ['a negative amount in the body', { body: { amount: -5 } }],
    ['the amount as a string in the body', { body: { amount: '10' } }],
    ['query and body disagreeing', { query: 'amount=10', body: { amount: 11 } }],
    ['an externalID (refunds only)', { query: 'externalID=r-1' }],
    ['an unknown body field', { body: { amount: 10, currency: 'KZT' } }],
    ['a body that is not an object', { body: [10] }],
  ])('refuses %s with 1010 and charges nothing', async (_label, input) => {
    const { id, charge } = await pay(twoStage, 100);
    const answer = await op(twoStage, id, 'charge', input);
    expect(answer).toMatchObject(refusal(BANK_ERRORS.badRequest));
    expect(answer.body.message).toMatch(/^Invalid request: (query |body )?(amount|externalID|currency|body)/);
    expect(charge).toMatchObject({ statusName: 'AUTH', operations: [] });
  });

  it('refuses a body that is not JSON (1010)', async () => {
    const { id, charge } = await pay(twoStage, 100);
    const res = await twoStage.fetcher(`/operation/${id}/charge`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await getTerminalToken(twoStage.fetcher)}`, 'content-type': 'text/plain' },
      body: 'amount=10',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: BANK_ERRORS.badRequest.code });
    expect(charge.statusName).toBe('AUTH');
  });

  it('refuses to charge anything but an AUTH (1040): a CHARGE, a CANCEL, a FAILED, a NEW', async () => {
    const charged = await pay(twoStage, 100);
    await op(twoStage, charged.id, 'charge');
    const cancelled = await pay(twoStage, 100);
    await op(twoStage, cancelled.id, 'cancel');
    const declined = await pay(twoStage, 100.05);
    const waiting = await pay(twoStage, 100, { pan: PAN_3DS });
    expect(declined.charge.statusName).toBe('FAILED');
    expect(waiting.charge.statusName).toBe('NEW');
    for (const { id, charge } of [charged, cancelled, declined, waiting]) {
      const before = charge.statusName;
      const answer = await op(twoStage, id, 'charge');
      expect(answer).toMatchObject(refusal(BANK_ERRORS.invalidState));
      expect(answer.body.message).toContain(before);
      expect(charge.statusName).toBe(before);
    }
    expect(charged.charge.operations).toHaveLength(1);
  });
});

describe('POST /operation/:id/cancel', () => {
  it('voids an AUTH: CANCEL in the status call, nothing charged', async () => {
    const { invoiceId, id, charge } = await pay(twoStage, 250);
    expect(await op(twoStage, id, 'cancel')).toEqual(OK);
    expect(await statusOf(twoStage, invoiceId)).toMatchObject({ statusName: 'CANCEL', amount: 250 });
    expect(charge).toMatchObject({ statusName: 'CANCEL', chargedAmount: 0, refundedAmount: 0 });
    expect(charge.operations).toEqual([{ kind: 'cancel', amount: 250, at: expect.any(String) }]);
    expect(twoStage.state.ledger.paid(invoiceId)).toEqual([]);
  });

  it('takes no amount, in the query or the body (1010); an empty JSON object is fine', async () => {
    const { id, charge } = await pay(twoStage, 100);
    expect(await op(twoStage, id, 'cancel', { query: 'amount=100' })).toMatchObject(refusal(BANK_ERRORS.badRequest));
    expect(await op(twoStage, id, 'cancel', { body: { amount: 100 } })).toMatchObject(refusal(BANK_ERRORS.badRequest));
    expect(charge.statusName).toBe('AUTH');
    expect(await op(twoStage, id, 'cancel', { body: {} })).toEqual(OK);
  });

  it('refuses to cancel anything but an AUTH (1040): a CHARGE, a CANCEL, a REFUND', async () => {
    const charged = await pay(twoStage, 100);
    await op(twoStage, charged.id, 'charge');
    const cancelled = await pay(twoStage, 100);
    await op(twoStage, cancelled.id, 'cancel');
    const refunded = await pay(twoStage, 100);
    await op(twoStage, refunded.id, 'charge');
    await op(twoStage, refunded.id, 'refund');
    for (const { id, charge } of [charged, cancelled, refunded]) {
      const before = charge.statusName;
      expect(await op(twoStage, id, 'cancel')).toMatchObject(refusal(BANK_ERRORS.invalidState));
      expect(charge.statusName).toBe(before);
    }
  });
});

describe('POST /operation/:id/refund', () => {
  /** A payment charged in full (two-stage: paid, then charged). */
  async function charged(amount = 100, currency = 'KZT') {
    const paid = await pay(twoStage, amount, { currency });
    expect(await op(twoStage, paid.id, 'charge')).toEqual(OK);
    return paid;
  }

  it('gives back all that is left by default: REFUND', async () => {
    const { invoiceId, id, charge } = await charged(100);
    expect(await op(twoStage, id, 'refund')).toEqual(OK);
    expect(await statusOf(twoStage, invoiceId)).toMatchObject({ statusName: 'REFUND', amount: 100 });
    expect(charge).toMatchObject({ statusName: 'REFUND', chargedAmount: 100, refundedAmount: 100 });
    expect(twoStage.state.ledger.paid(invoiceId)).toEqual([]);
  });

  it('gives back part: PARTIAL_REFUND while something is left, REFUND once refunds add up to the charge', async () => {
    const { invoiceId, id, charge } = await charged(100);
    expect(await op(twoStage, id, 'refund', { query: 'amount=30.10&externalID=refund-1' })).toEqual(OK);
    expect(await statusOf(twoStage, invoiceId)).toMatchObject({ statusName: 'PARTIAL_REFUND', amount: 100 });
    expect(charge).toMatchObject({ statusName: 'PARTIAL_REFUND', refundedAmount: 30.1 });
    expect(twoStage.state.ledger.paid(invoiceId)).toEqual([charge]);

    expect(await op(twoStage, id, 'refund', { body: { amount: 59.9, externalID: 'refund-2' } })).toEqual(OK);
    expect(charge).toMatchObject({ statusName: 'PARTIAL_REFUND', refundedAmount: 90 });
    expect(await op(twoStage, id, 'refund', { body: { amount: 10 } })).toEqual(OK);
    expect(await statusOf(twoStage, invoiceId)).toMatchObject({ statusName: 'REFUND', amount: 100 });
    expect(charge).toMatchObject({ statusName: 'REFUND', chargedAmount: 100, refundedAmount: 100 });
    expect(charge.operations).toEqual([
      { kind: 'charge', amount: 100, at: expect.any(String) },
      { kind: 'refund', amount: 30.1, externalId: 'refund-1', at: expect.any(String) },
      { kind: 'refund', amount: 59.9, externalId: 'refund-2', at: expect.any(String) },
      { kind: 'refund', amount: 10, at: expect.any(String) },
    ]);
  });

  it('never gives back more than is left of the charge (1041)', async () => {
    const { id, charge } = await charged(100);
    expect(await op(twoStage, id, 'refund', { query: 'amount=100.01' })).toMatchObject(
      refusal(BANK_ERRORS.amountTooLarge),
    );
    expect(await op(twoStage, id, 'refund', { query: 'amount=30' })).toEqual(OK);
    expect(await op(twoStage, id, 'refund', { query: 'amount=70.01' })).toMatchObject(
      refusal(BANK_ERRORS.amountTooLarge),
    );
    expect(charge).toMatchObject({ statusName: 'PARTIAL_REFUND', refundedAmount: 30 });
  });

  it('refunds only what a partial charge took', async () => {
    const { id, charge } = await pay(twoStage, 100);
    expect(await op(twoStage, id, 'charge', { query: 'amount=60' })).toEqual(OK);
    expect(await op(twoStage, id, 'refund', { query: 'amount=61' })).toMatchObject(refusal(BANK_ERRORS.amountTooLarge));
    expect(await op(twoStage, id, 'refund')).toEqual(OK);
    expect(charge).toMatchObject({ statusName: 'REFUND', chargedAmount: 60, refundedAmount: 60 });
  });

  it('refuses a refund below 10 (1042), in KZT and in other currencies; exactly 10 is fine', async () => {
    const kzt = await charged(100);
    expect(await op(twoStage, kzt.id, 'refund', { query: 'amount=9.99' })).toMatchObject(
      refusal(BANK_ERRORS.refundBelowMinimum),
    );
    expect(kzt.charge.refundedAmount).toBe(0);
    expect(await op(twoStage, kzt.id, 'refund', { query: 'amount=10' })).toEqual(OK);
    expect(kzt.charge.refundedAmount).toBe(10);

    const usd = await charged(50, 'USD');
    expect(await op(twoStage, usd.id, 'refund', { body: { amount: 9 } })).toMatchObject(
      refusal(BANK_ERRORS.refundBelowMinimum),
    );
    expect(usd.charge.statusName).toBe('CHARGE');
  });

  it('refuses the default refund when less than 10 is left (1042)', async () => {
    const { id, charge } = await charged(100);
    expect(await op(twoStage, id, 'refund', { query: 'amount=95' })).toEqual(OK);
    expect(await op(twoStage, id, 'refund')).toMatchObject(refusal(BANK_ERRORS.refundBelowMinimum));
    expect(charge).toMatchObject({ statusName: 'PARTIAL_REFUND', refundedAmount: 95 });
  });

  it('refuses to refund an AUTH, a CANCEL or a REFUND (1040)', async () => {
    const authorized = await pay(twoStage, 100);
    const cancelled = await pay(twoStage, 100);
    await op(twoStage, cancelled.id, 'cancel');
    const refunded = await charged(100);
    await op(twoStage, refunded.id, 'refund');
    for (const { id, charge } of [authorized, cancelled, refunded]) {
      const before = charge.statusName;
      expect(await op(twoStage, id, 'refund', { query: 'amount=10' })).toMatchObject(refusal(BANK_ERRORS.invalidState));
      expect(charge.statusName).toBe(before);
    }
  });

  it.each([
    ['65 characters', { query: `externalID=${'r'.repeat(65)}` }],
    ['an empty one', { query: 'externalID=' }],
    ['a control character', { body: { externalID: 'r\n1' } }],
    ['a number', { body: { externalID: 7 } }],
    ['query and body disagreeing', { query: 'externalID=a', body: { externalID: 'b' } }],
  ])('refuses an externalID with %s (1010)', async (_label, input) => {
    const { id, charge } = await charged(100);
    expect(await op(twoStage, id, 'refund', input)).toMatchObject(refusal(BANK_ERRORS.badRequest));
    expect(charge.statusName).toBe('CHARGE');
  });

  it('takes an externalID of 64 characters', async () => {
    const { id, charge } = await charged(100);
    const externalId = 'r'.repeat(64);
    expect(
      await op(twoStage, id, 'refund', { query: `externalID=${externalId}`, body: { externalID: externalId } }),
    ).toEqual(OK);
    expect(charge.operations?.at(-1)).toMatchObject({ kind: 'refund', amount: 100, externalId });
  });
});

describe('the operations’ token and payment id', () => {
  it('refuses a payment’s token, bound to this very invoice (401 code 1005), and does nothing', async () => {
    const { invoiceId, id, charge } = await pay(twoStage, 100);
    for (const kind of ['charge', 'cancel', 'refund'] as const) {
      const res = await postOperation(twoStage.fetcher, await getToken(twoStage.fetcher, invoiceId, 100), id, kind);
      expect({ status: res.status, body: await res.json() }).toMatchObject(refusal(BANK_ERRORS.tokenMismatch));
    }
    expect(charge).toMatchObject({ statusName: 'AUTH', operations: [] });
  });

  it('spends the terminal token: a second use is refused (1004); no token is 1001', async () => {
    const { id, charge } = await pay(twoStage, 100);
    const token = await getTerminalToken(twoStage.fetcher);
    expect((await postOperation(twoStage.fetcher, token, id, 'refund')).status).toBe(400);
    const reused = await postOperation(twoStage.fetcher, token, id, 'charge');
    expect({ status: reused.status, body: await reused.json() }).toMatchObject(refusal(BANK_ERRORS.tokenUsed));
    const bare = await twoStage.fetcher(`/operation/${id}/charge`, { method: 'POST' });
    expect({ status: bare.status, body: await bare.json() }).toMatchObject(refusal(BANK_ERRORS.tokenMissing));
    expect(charge.statusName).toBe('AUTH');
  });

  it('refuses an unknown payment id (1030) in the bank’s failure shape', async () => {
    for (const kind of ['charge', 'cancel', 'refund'] as const) {
      expect(await op(twoStage, '00000000-0000-4000-8000-000000000000', kind)).toEqual({
        status: 400,
        body: { code: 1030, message: 'Payment not found', invoiceId: '', id: '', reference: '', accountId: '' },
      });
    }
  });

  it('names the payment in a refusal and records the call with its invoice', async () => {
    const { invoiceId, id } = await pay(twoStage, 100);
    expect(await op(twoStage, id, 'refund')).toMatchObject({ body: { invoiceId, id, reference: '' } });
    expect(twoStage.state.calls.at(-1)).toMatchObject({
      method: 'POST',
      path: `/operation/${id}/refund`,
      invoiceId,
      status: 400,
    });
  });
});

describe('two-stage and single-stage terminals', () => {
  it('two-stage (the default): a paid payment is AUTH with nothing charged yet', async () => {
    const { invoiceId, charge } = await pay(twoStage, 100);
    expect(await statusOf(twoStage, invoiceId)).toMatchObject({ statusName: 'AUTH' });
    expect(charge).toMatchObject({ chargedAmount: 0, refundedAmount: 0, operations: [] });
    expect(twoStage.state.ledger.paid(invoiceId)).toEqual([charge]);
  });

  it('single-stage: a paid payment is CHARGE at once, refundable, and neither charged nor cancelled again', async () => {
    const { invoiceId, id, charge } = await pay(singleStage, 100);
    expect(await statusOf(singleStage, invoiceId)).toMatchObject({ statusName: 'CHARGE', amount: 100 });
    expect(charge).toMatchObject({ chargedAmount: 100, refundedAmount: 0, operations: [] });
    expect(singleStage.state.ledger.paid(invoiceId)).toEqual([charge]);
    expect(await op(singleStage, id, 'charge')).toMatchObject(refusal(BANK_ERRORS.invalidState));
    expect(await op(singleStage, id, 'cancel')).toMatchObject(refusal(BANK_ERRORS.invalidState));
    expect(await op(singleStage, id, 'refund', { query: 'amount=40' })).toEqual(OK);
    expect(await statusOf(singleStage, invoiceId)).toMatchObject({ statusName: 'PARTIAL_REFUND' });
    expect(await op(singleStage, id, 'refund')).toEqual(OK);
    expect(await statusOf(singleStage, invoiceId)).toMatchObject({ statusName: 'REFUND' });
  });

  it('single-stage: a payment confirmed after 3-D Secure is CHARGE too', async () => {
    const { invoiceId, id } = await pay(singleStage, 100, { pan: PAN_3DS });
    const session = singleStage.state.threeDs.byChargeId(id);
    if (!session) throw new Error('no 3-D Secure session');
    const form = (fields: Record<string, string>) => ({ method: 'POST', body: new URLSearchParams(fields) });
    const page = await (
      await singleStage.fetcher(
        '/3ds',
        form({ PaReq: session.paReq, MD: session.md, TermUrl: 'https://shop.example/3ds/callback' }),
      )
    ).text();
    const back = await (
      await singleStage.fetcher('/3ds/submit', form({ MD: session.md, code: THREE_DS_CODE, decision: 'confirm' }))
    ).text();
    expect(page).toContain('form');
    const paRes = /name="PaRes"[^>]*value="([^"]*)"/.exec(back)?.[1] ?? '';
    const confirmed = await singleStage.fetcher('/payment/confirm', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${await getToken(singleStage.fetcher, invoiceId, 100)}`,
      },
      body: JSON.stringify({ ID: id, PaRes: paRes, MD: session.md }),
    });
    expect(confirmed.status).toBe(302);
    expect(await statusOf(singleStage, invoiceId)).toMatchObject({ statusName: 'CHARGE' });
    expect(singleStage.state.ledger.byInvoice(invoiceId)[0]).toMatchObject({ chargedAmount: 100 });
  });
});

describe('the ledger’s operations', () => {
  it('lists each payment’s operations and totals in /_sandbox/ledger', async () => {
    const { id } = await pay(twoStage, 200);
    await op(twoStage, id, 'charge', { query: 'amount=150' });
    await op(twoStage, id, 'refund', { query: 'amount=50&externalID=ret-9' });
    const ledger = (await (await twoStage.fetcher('/_sandbox/ledger')).json()) as { transactions: Charge[] };
    const line = ledger.transactions.find((t) => t.id === id);
    expect(line).toMatchObject({
      amount: 200,
      statusName: 'PARTIAL_REFUND',
      chargedAmount: 150,
      refundedAmount: 50,
      operations: [
        { kind: 'charge', amount: 150, at: expect.any(String) },
        { kind: 'refund', amount: 50, externalId: 'ret-9', at: expect.any(String) },
      ],
    });
    expect(JSON.parse(JSON.stringify(twoStage.state.ledger)).transactions).toEqual(ledger.transactions);
  });
});

describe('queued operation faults', () => {
  it('5xx: the bank’s 500 error shape, nothing done, the token not spent', async () => {
    const { id, charge } = await pay(twoStage, 100);
    const token = await getTerminalToken(twoStage.fetcher);
    twoStage.state.failNextOperation('5xx');
    const res = await postOperation(twoStage.fetcher, token, id, 'charge');
    expect({ status: res.status, body: await res.json() }).toMatchObject({
      status: 500,
      body: { code: BANK_ERRORS.internal.code, message: BANK_ERRORS.internal.message },
    });
    expect(twoStage.state.calls.at(-1)).toMatchObject({ status: 500, operationFault: '5xx' });
    expect(charge).toMatchObject({ statusName: 'AUTH', operations: [] });
    expect((await postOperation(twoStage.fetcher, token, id, 'charge')).status).toBe(200);
    expect(charge.statusName).toBe('CHARGE');
  });

  it('dropped_before: the connection is cut and nothing is done', async () => {
    const { id, charge } = await pay(twoStage, 100);
    twoStage.state.failNextOperation('dropped_before');
    const res = await postOperation(twoStage.fetcher, await getTerminalToken(twoStage.fetcher), id, 'cancel');
    await expect(res.text()).rejects.toThrow();
    expect(charge).toMatchObject({ statusName: 'AUTH', operations: [] });
    expect(twoStage.state.calls.at(-1)).toMatchObject({ status: 0, operationFault: 'dropped_before' });
  });

  it('dropped_after: the operation is done, then the connection is cut', async () => {
    const { id, charge } = await pay(twoStage, 100);
    twoStage.state.failNextOperation('dropped_after');
    const res = await postOperation(twoStage.fetcher, await getTerminalToken(twoStage.fetcher), id, 'cancel');
    await expect(res.text()).rejects.toThrow();
    expect(charge.statusName).toBe('CANCEL');
    expect(twoStage.state.calls.at(-1)).toMatchObject({ status: 0, operationFault: 'dropped_after' });
  });

  it('garbage: the operation is done, and the answer is a 200 HTML page', async () => {
    const { id, charge } = await pay(twoStage, 100);
    await op(twoStage, id, 'charge');
    twoStage.state.failNextOperation('garbage');
    const res = await postOperation(twoStage.fetcher, await getTerminalToken(twoStage.fetcher), id, 'refund', {
      query: 'amount=20',
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(await res.text()).toMatch(/^<!DOCTYPE html>/);
    expect(charge).toMatchObject({ statusName: 'PARTIAL_REFUND', refundedAmount: 20 });
  });

  it('hang: the operation is done at once, and answered after slowMs', async () => {
    const { id, charge } = await pay(twoStage, 100);
    twoStage.state.failNextOperation('hang');
    const token = await getTerminalToken(twoStage.fetcher);
    const started = Date.now();
    const pending = postOperation(twoStage.fetcher, token, id, 'charge');
    await new Promise((resolve) => setTimeout(resolve, SLOW_MS / 3));
    expect(charge.statusName).toBe('CHARGE');
    const res = await pending;
    expect(Date.now() - started).toBeGreaterThanOrEqual(SLOW_MS - 5);
    expect({ status: res.status, body: await res.json() }).toEqual(OK);
  });

  it('applies queued faults one per operation call, first in first out; other calls leave them queued', async () => {
    const { invoiceId, id, charge } = await pay(twoStage, 100);
    twoStage.state.failNextOperation('garbage');
    twoStage.state.failNextOperation('5xx');
    await statusOf(twoStage, invoiceId);
    const first = await postOperation(twoStage.fetcher, await getTerminalToken(twoStage.fetcher), id, 'charge', {
      query: 'amount=50',
    });
    expect(await first.text()).toMatch(/^<!DOCTYPE html>/);
    expect(charge.chargedAmount).toBe(50);
    expect(await op(twoStage, id, 'refund', { query: 'amount=10' })).toMatchObject({ status: 500 });
    expect(charge.refundedAmount).toBe(0);
    expect(await op(twoStage, id, 'refund', { query: 'amount=10' })).toEqual(OK);
    expect(charge.refundedAmount).toBe(10);
  });

  it('breaks the answer of a refused operation the same way (the bank acted: it refused)', async () => {
    const { id, charge } = await pay(twoStage, 100);
    twoStage.state.failNextOperation('garbage');
    const res = await postOperation(twoStage.fetcher, await getTerminalToken(twoStage.fetcher), id, 'refund');
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/^<!DOCTYPE html>/);
    expect(charge.statusName).toBe('AUTH');
  });

  it('refuses an unknown kind', () => {
    expect(() => twoStage.state.failNextOperation('slow' as never)).toThrow(RangeError);
  });
});

describe('failNextOperation on a listening bank', () => {
  let epay: FakeEpay;
  let b: Bank;
  beforeAll(async () => {
    epay = await startFakeEpay({ privateKeyPem: testKeyPem() });
    const fetcher: Fetcher = (path, init) => fetch(`${epay.url}${path}`, init);
    b = {
      fetcher,
      state: undefined as never,
      publicKey: parsePublicKeyText(await (await fetcher('/public.rsa')).text()),
    };
  });
  afterAll(() => epay.close());

  async function payHere(amount: number) {
    const invoiceId = nextInvoiceId();
    const res = await postCryptopay(
      b.fetcher,
      await getToken(b.fetcher, invoiceId, amount),
      cryptopayBody(b.publicKey, { invoiceId, amount, pan: PAN }),
    );
    return ((await res.json()) as { id: string }).id;
  }
  const chargeOf = (id: string) => epay.ledger.transactions.find((t) => t.id === id);

  it('dropped_after cuts the socket after the charge; dropped_before before it', async () => {
    const after = await payHere(100);
    epay.failNextOperation('dropped_after');
    await expect(postOperation(b.fetcher, await getTerminalToken(b.fetcher), after, 'charge')).rejects.toThrow();
    expect(chargeOf(after)?.statusName).toBe('CHARGE');

    const before = await payHere(100);
    epay.failNextOperation('dropped_before');
    await expect(postOperation(b.fetcher, await getTerminalToken(b.fetcher), before, 'charge')).rejects.toThrow();
    expect(chargeOf(before)?.statusName).toBe('AUTH');
    expect(epay.calls.filter((c) => c.operationFault).map((c) => [c.operationFault, c.status])).toEqual([
      ['dropped_after', 0],
      ['dropped_before', 0],
    ]);
  });
});

/**
 * "Declined" and "nothing was charged" only on the bank's proof, over real HTTP against the sandbox bank, with its
 * ledger checked: a refusal whose payment went through is paid, "terminal not found" from the status call proves
 * nothing, "not found" is the bank's code 102 even with HTTP 400, the status call uses a terminal token, and a
 * failed 3-D Secure check (`3D`) is a decline.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { THREE_DS_FAILED } from '@epay-applepay/sandbox';
import {
  invoiceOf,
  order,
  passwordPage,
  payment,
  post,
  type Stack,
  start3ds,
  startStack,
  TEST_PAN,
  SCENARIO_AMOUNT,
  secondApp,
} from './harness.js';

const PAN = TEST_PAN;
let s: Stack;

async function pay(amount: number) {
  const o = await order({ amount });
  const mark = s.bank.calls.length;
  const r = await post(`${s.url}/applepay/payments`, { order: o, payment: payment(s.apple, { amount, pan: PAN }) });
  const invoiceId = invoiceOf(o);
  return { o, r, invoiceId, calls: () => s.bank.calls.slice(mark) };
}

beforeAll(async () => {
  s = await startStack();
});
afterAll(() => s?.close());

describe('a cryptopay refusal is settled by the status call', () => {
  it('477 "operation already exists" while the payment went through → 200 paid from the bank record, charged once', async () => {
    const { r, invoiceId, calls } = await pay(SCENARIO_AMOUNT.alreadyExistsCharged);
    expect([r.status, r.json.status]).toEqual([200, 'paid']);
    const [charge] = s.bank.ledger.paid(invoiceId);
    expect(r.json.payment).toMatchObject({ id: charge!.id, invoiceId, reference: charge!.reference });
    expect(calls().filter((c) => c.path === '/payment/cryptopay')).toHaveLength(1);
  });

  it('458 (payment-system timeout) that charged nothing → 402 declined only after the status call found no payment', async () => {
    const { r, invoiceId, calls } = await pay(SCENARIO_AMOUNT.paymentSystemTimeout);
    expect([r.status, r.json.error.bankCode]).toEqual([402, 458]);
    expect(s.bank.ledger.byInvoice(invoiceId)).toEqual([]);
    const paths = calls().map((c) => c.path);
    expect(paths.indexOf(`/check-status/payment/transaction/${invoiceId}`)).toBeGreaterThan(
      paths.indexOf('/payment/cryptopay'),
    );
  });

  it('a final issuer decline (51) → 402 declined, the status call showing the failed payment', async () => {
    const { r, invoiceId, calls } = await pay(SCENARIO_AMOUNT.insufficientFunds);
    expect([r.status, r.json.error.bankCode]).toEqual([402, 51]);
    expect(s.bank.ledger.byInvoice(invoiceId)).toMatchObject([{ statusName: 'FAILED' }]);
    expect(calls().some((c) => c.path.startsWith('/check-status/'))).toBe(true);
  });
});

describe('"terminal not found" from the status call proves nothing', () => {
  it('a bank error that charged, then 104 "Terminal not found" → 504 outcome_unknown, never "nothing was charged"', async () => {
    const { o, r, invoiceId } = await pay(SCENARIO_AMOUNT.bankErrorChargedTerminalNotFound);
    expect([r.status, r.json.error.code]).toEqual([504, 'outcome_unknown']);
    expect(s.bank.ledger.paid(invoiceId)).toHaveLength(1);
    // A retry of the order never sends a second cryptopay while the bank cannot say what happened.
    const again = await post(`${s.url}/applepay/payments`, {
      order: o,
      payment: payment(s.apple, { amount: SCENARIO_AMOUNT.bankErrorChargedTerminalNotFound, pan: PAN }),
    });
    expect([again.status, again.json.error.code]).toEqual([409, 'payment_in_progress']);
    expect(s.bank.calls.filter((c) => c.path === '/payment/cryptopay' && c.invoiceId === invoiceId)).toHaveLength(1);
    expect(s.bank.ledger.paid(invoiceId)).toHaveLength(1);
  });
});

describe('the status call', () => {
  it('asks for a terminal token (no invoiceID, no amount) for each status call; cryptopay keeps the invoice token', async () => {
    const { r, invoiceId, calls } = await pay(SCENARIO_AMOUNT.notFinalCharged); // 454 not final, then the status call finds AUTH
    expect([r.status, r.json.status]).toEqual([200, 'paid']);
    const tokens = calls().filter((c) => c.path === '/oauth2/token');
    const statuses = calls().filter((c) => c.path.startsWith('/check-status/'));
    expect(statuses.length).toBeGreaterThan(0);
    expect(tokens.filter((c) => c.invoiceId === undefined)).toHaveLength(statuses.length);
    expect(tokens.filter((c) => c.invoiceId === invoiceId)).toHaveLength(1);
  });

  it('"not found" is code 102 even with HTTP 400: a bank error proven uncharged → 502 bank_unavailable', async () => {
    const t = await startStack({ bank: { notFoundHttpStatus: 400 } });
    try {
      const o = await order({ amount: SCENARIO_AMOUNT.bankError });
      const r = await post(`${t.url}/applepay/payments`, {
        order: o,
        payment: payment(t.apple, { amount: SCENARIO_AMOUNT.bankError, pan: PAN }),
      });
      expect([r.status, r.json.error.code]).toEqual([502, 'bank_unavailable']);
      expect(t.bank.ledger.byInvoice(invoiceOf(o))).toEqual([]);
    } finally {
      await t.close();
    }
  });
});

describe('after 3-D Secure', () => {
  it('a failed check (status 3D) is a decline: another instance, asked again, reads it from the status call', async () => {
    const { o, form } = await start3ds(s, { failureBackLink: 'https://shop.example/fail' });
    const back = await passwordPage(form, false);
    const first = await fetch(back.action, {
      method: 'POST',
      body: new URLSearchParams(back.fields),
      redirect: 'manual',
    });
    expect(new URL(first.headers.get('location')!).searchParams.get('code')).toBe(String(THREE_DS_FAILED.code));
    expect(s.bank.ledger.byInvoice(invoiceOf(o))).toMatchObject([{ statusName: '3D' }]);

    // A second instance with its own store knows nothing of the first confirmation: the bank refuses a second one,
    // and the status call's 3D is the answer.
    const { app: other, logs } = secondApp(s);
    const again = await other.request(back.action, { method: 'POST', body: new URLSearchParams(back.fields) });
    expect(again.status).toBe(303);
    const loc = new URL(again.headers.get('location')!);
    expect([loc.pathname, loc.searchParams.get('code')]).toEqual(['/fail', String(THREE_DS_FAILED.code)]);
    expect(logs.at(-1)).toMatchObject({ outcome: 'declined' });
    expect(s.bank.ledger.paid(invoiceOf(o))).toHaveLength(0);
  });
});

describe('a retry of the same order after a decline (found by review)', () => {
  it('whose cryptopay gets no answer is outcome_unknown, never the earlier decline taken for its own', async () => {
    const o = await order({ amount: SCENARIO_AMOUNT.paid });
    // The amount's minor units are 00, so the device PAN's last two digits pick the scenario: 51 declines.
    const first = await post(`${s.url}/applepay/payments`, {
      order: o,
      payment: payment(s.apple, { pan: '4400430100000051' }),
    });
    expect([first.status, first.json.error.bankCode]).toEqual([402, 51]);
    // Another card: the connection drops and the bank records nothing; its only record is still the first failure.
    const retry = await post(`${s.url}/applepay/payments`, {
      order: o,
      payment: payment(s.apple, { pan: '4400430100000074' }),
    });
    expect([retry.status, retry.json.error.code]).toEqual([504, 'outcome_unknown']);
    expect(s.bank.ledger.byInvoice(invoiceOf(o)).map((c) => c.statusName)).toEqual(['FAILED']);
  });

  it('pays with another card, asking the bank once before sending cryptopay', async () => {
    const o = await order({ amount: SCENARIO_AMOUNT.paid });
    await post(`${s.url}/applepay/payments`, { order: o, payment: payment(s.apple, { pan: '4400430100000051' }) });
    const mark = s.bank.calls.length;
    const retry = await post(`${s.url}/applepay/payments`, { order: o, payment: payment(s.apple, { pan: PAN }) });
    expect([retry.status, retry.json.status]).toEqual([200, 'paid']);
    const paths = s.bank.calls.slice(mark).map((c) => c.path);
    expect(paths.indexOf(`/check-status/payment/transaction/${invoiceOf(o)}`)).toBeLessThan(
      paths.indexOf('/payment/cryptopay'),
    );
    expect(s.bank.ledger.paid(invoiceOf(o))).toHaveLength(1);
  });
});

describe('a refusal whose status the bank cannot tell', () => {
  it('57, a final card decline, with the status call answering 104 → 402 declined, nothing charged', async () => {
    const { r, invoiceId } = await pay(SCENARIO_AMOUNT.notPermittedStatusUnanswered);
    expect([r.status, r.json.error.bankCode]).toEqual([402, 57]);
    expect(s.bank.ledger.byInvoice(invoiceId)).toEqual([]);
  });

  it('476, not on the list of final declines, with the status call answering 104 → 504 outcome_unknown', async () => {
    const { r, calls } = await pay(SCENARIO_AMOUNT.unavailableStatusUnanswered);
    expect([r.status, r.json.error.code]).toEqual([504, 'outcome_unknown']);
    expect(calls().filter((c) => c.path === '/payment/cryptopay')).toHaveLength(1);
  });
});

describe('the confirmation’s failure page naming its code errorCode, as the bank’s SDK reads it', () => {
  it('is read: the customer goes to the failure link with the bank’s code', async () => {
    const t = await startStack({ bank: { failureCodeParam: 'errorCode' } });
    try {
      const { o, form } = await start3ds(t, { failureBackLink: 'https://shop.example/fail' });
      const back = await passwordPage(form, false);
      const cb = await fetch(back.action, {
        method: 'POST',
        body: new URLSearchParams(back.fields),
        redirect: 'manual',
      });
      const loc = new URL(cb.headers.get('location')!);
      expect([cb.status, loc.pathname, loc.searchParams.get('code')]).toEqual([
        303,
        '/fail',
        String(THREE_DS_FAILED.code),
      ]);
      expect(t.bank.ledger.paid(invoiceOf(o))).toHaveLength(0);
    } finally {
      await t.close();
    }
  });
});

/**
 * Every row of the `/applepay/payments` table, against the sandbox bank over real HTTP on loopback, unhappy paths
 * first; the sandbox's ledger shows that nothing is ever charged twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_EPAY, THREE_DS_CODE, THREE_DS_FAILED } from '@epay-applepay/sandbox';
import {
  forms,
  invoiceOf,
  order,
  passwordPage,
  payment,
  post,
  postForm,
  type Stack,
  start3ds as start3dsIn,
  startStack,
  TEST_PAN,
  SCENARIO_AMOUNT,
  ORDER_SECRET,
} from './harness.js';
import { updateOrder } from '../src/order.js';

const PAN = TEST_PAN;
const CRYPTOGRAM = 'AMwBRjPWDnAgAA7Rls7mAoABFA==';
let s: Stack;
const seen: string[] = []; // every answer body, checked for secrets at the end

async function pay(body: unknown, headers?: Record<string, string>) {
  const r = await post(`${s.url}/applepay/payments`, body, headers);
  seen.push(r.text);
  return r;
}

beforeAll(async () => {
  s = await startStack({ bank: { slowMs: 4_000 } });
});
afterAll(async () => {
  await s?.close();
});

describe('bad requests are refused before the bank is called', () => {
  it.each([
    ['not JSON', '{'],
    ['an array', '[]'],
    ['no order', { payment: {} }],
    ['order not a string', { order: 5, payment: { token: { paymentData: {} } } }],
    ['no payment', { order: 'x' }],
    ['payment without token', { order: 'x', payment: {} }],
    ['paymentData not an object', { order: 'x', payment: { token: { paymentData: 'abc' } } }],
    ['billingContact not an object', { order: 'x', payment: { token: { paymentData: {} }, billingContact: 'me' } }],
  ])('%s → 400 invalid_request', async (_name, body) => {
    const calls = s.bank.calls.length;
    const r = await pay(body);
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ status: 'error', error: { code: 'invalid_request', message: expect.any(String) } });
    expect(s.bank.calls.length).toBe(calls);
  });

  it('an order signed with another secret → 400 invalid_order', async () => {
    const { signOrder } = await import('../src/order.js');
    const forged = await signOrder(
      { invoiceId: '123456789', amount: 1, exp: Math.floor(Date.now() / 1000) + 60 },
      'x'.repeat(40),
    );
    const r = await pay({ order: forged, payment: payment(s.apple, { amount: 1 }) });
    expect([r.status, r.json.error.code]).toEqual([400, 'invalid_order']);
  });

  it('an expired order → 400 order_expired', async () => {
    const r = await pay({ order: await order({ exp: Math.floor(Date.now() / 1000) - 1 }), payment: payment(s.apple) });
    expect([r.status, r.json.error.code]).toEqual([400, 'order_expired']);
  });

  it('a token for another amount → 400 amount_mismatch, nothing charged', async () => {
    const o = await order({ amount: 1500 });
    const r = await pay({ order: o, payment: payment(s.apple, { amount: 15 }) });
    expect([r.status, r.json.error.code]).toEqual([400, 'amount_mismatch']);
    expect(s.bank.ledger.byInvoice(invoiceOf(o))).toHaveLength(0);
  });

  it('a token for another currency → 400 amount_mismatch', async () => {
    const r = await pay({ order: await order(), payment: payment(s.apple, { currencyCode: '840' }) });
    expect([r.status, r.json.error.code]).toEqual([400, 'amount_mismatch']);
  });

  it('a forged or altered token → 400 token_invalid', async () => {
    const p = payment(s.apple);
    const data = Buffer.from(p.token.paymentData.data, 'base64');
    data[10] = (data[10] ?? 0) ^ 0xff;
    p.token.paymentData.data = data.toString('base64');
    const r = await pay({ order: await order(), payment: p });
    expect([r.status, r.json.error.code]).toEqual([400, 'token_invalid']);
  });

  it('an old token → 400 token_expired', async () => {
    const p = payment(s.apple, { signingTime: new Date(Date.now() - 10 * 60_000) });
    const r = await pay({ order: await order(), payment: p });
    expect([r.status, r.json.error.code]).toEqual([400, 'token_expired']);
  });

  it('a replayed token → 400 token_invalid, charged once', async () => {
    const p = payment(s.apple, { pan: PAN });
    const first = await pay({ order: await order(), payment: p });
    expect(first.status).toBe(200);
    const o2 = await order();
    const again = await pay({ order: o2, payment: p });
    expect([again.status, again.json.error.code]).toEqual([400, 'token_invalid']);
    expect(s.bank.ledger.byInvoice(invoiceOf(o2))).toHaveLength(0);
  });
});

describe('the bank says no', () => {
  it.each([
    [0.05, 5],
    [0.51, 51],
    [0.87, 487],
  ])('amount ending %s → 402 declined with bankCode %s, nothing paid', async (cents, code) => {
    const amount = 1000 + cents;
    const o = await order({ amount });
    const r = await pay({ order: o, payment: payment(s.apple, { amount }) });
    expect(r.status).toBe(402);
    expect(r.json).toEqual({
      status: 'declined',
      error: { code: 'declined', bankCode: code, message: expect.any(String) },
    });
    expect(s.bank.ledger.paid(invoiceOf(o))).toHaveLength(0);
  });

  it('a declined card (by PAN) → 402', async () => {
    const r = await pay({
      order: await order({ amount: 700 }),
      payment: payment(s.apple, { amount: 700, pan: '4400430100000051' }),
    });
    expect([r.status, r.json.error.bankCode]).toEqual([402, 51]);
  });

  it('not final 454, then the status call finds the charge → 200 paid, charged once', async () => {
    const o = await order({ amount: SCENARIO_AMOUNT.notFinalCharged });
    const r = await pay({ order: o, payment: payment(s.apple, { amount: SCENARIO_AMOUNT.notFinalCharged }) });
    expect(r.status).toBe(200);
    expect(r.json.status).toBe('paid');
    expect(s.bank.ledger.paid(invoiceOf(o))).toHaveLength(1);
    expect(s.bank.calls.filter((c) => c.path === '/payment/cryptopay' && c.invoiceId === invoiceOf(o))).toHaveLength(1);
  });

  it('not final 454, then the status call finds it failed → 402 declined', async () => {
    const o = await order({ amount: SCENARIO_AMOUNT.notFinalUncharged });
    const r = await pay({ order: o, payment: payment(s.apple, { amount: SCENARIO_AMOUNT.notFinalUncharged }) });
    expect(r.status).toBe(402);
    expect(s.bank.ledger.paid(invoiceOf(o))).toHaveLength(0);
  });

  it('not final 459 with the charge recorded → 200 paid', async () => {
    const o = await order({ amount: SCENARIO_AMOUNT.notFinal459Charged });
    const r = await pay({ order: o, payment: payment(s.apple, { amount: SCENARIO_AMOUNT.notFinal459Charged }) });
    expect([r.status, r.json.status]).toEqual([200, 'paid']);
    expect(s.bank.ledger.paid(invoiceOf(o))).toHaveLength(1);
  });
});

describe('the bank fails', () => {
  it('cryptopay times out after charging → the status call settles it: 200 paid, never retried', async () => {
    const o = await order({ amount: SCENARIO_AMOUNT.slow });
    const r = await pay({ order: o, payment: payment(s.apple, { amount: SCENARIO_AMOUNT.slow }) });
    expect([r.status, r.json.status]).toEqual([200, 'paid']);
    expect(s.bank.calls.filter((c) => c.path === '/payment/cryptopay' && c.invoiceId === invoiceOf(o))).toHaveLength(1);
    expect(s.bank.ledger.paid(invoiceOf(o))).toHaveLength(1);
  });

  it('a garbage answer after charging → status → 200 paid', async () => {
    const o = await order({ amount: SCENARIO_AMOUNT.garbage });
    const r = await pay({ order: o, payment: payment(s.apple, { amount: SCENARIO_AMOUNT.garbage }) });
    expect([r.status, r.json.status]).toEqual([200, 'paid']);
    expect(s.bank.ledger.paid(invoiceOf(o))).toHaveLength(1);
  });

  it('a 500 with nothing at the bank → 502 bank_unavailable', async () => {
    const o = await order({ amount: SCENARIO_AMOUNT.bankError });
    const r = await pay({ order: o, payment: payment(s.apple, { amount: SCENARIO_AMOUNT.bankError }) });
    expect([r.status, r.json.error.code]).toEqual([502, 'bank_unavailable']);
    expect(s.bank.ledger.paid(invoiceOf(o))).toHaveLength(0);
  });

  it('the connection dropped after charging → status → 200 paid', async () => {
    const o = await order({ amount: SCENARIO_AMOUNT.droppedCharged });
    const r = await pay({ order: o, payment: payment(s.apple, { amount: SCENARIO_AMOUNT.droppedCharged }) });
    expect([r.status, r.json.status]).toEqual([200, 'paid']);
    expect(s.bank.ledger.paid(invoiceOf(o))).toHaveLength(1);
    expect(s.bank.calls.filter((c) => c.path === '/payment/cryptopay' && c.invoiceId === invoiceOf(o))).toHaveLength(1);
  });

  it('the connection dropped and the bank holds nothing → 504 outcome_unknown, never retried', async () => {
    const o = await order({ amount: SCENARIO_AMOUNT.droppedUncharged });
    const r = await pay({ order: o, payment: payment(s.apple, { amount: SCENARIO_AMOUNT.droppedUncharged }) });
    expect([r.status, r.json.error.code]).toEqual([504, 'outcome_unknown']);
    expect(s.bank.calls.filter((c) => c.path === '/payment/cryptopay' && c.invoiceId === invoiceOf(o))).toHaveLength(1);
    expect(s.bank.ledger.paid(invoiceOf(o))).toHaveLength(0);
  });

  it('the same invoice paid twice at once → the second gets 409 payment_in_progress, one charge', async () => {
    const o = await order({ amount: SCENARIO_AMOUNT.slow }); // the slow scenario holds the first payment at the bank
    const first = pay({ order: o, payment: payment(s.apple, { amount: SCENARIO_AMOUNT.slow }) });
    await new Promise((r) => setTimeout(r, 150));
    const second = await pay({ order: o, payment: payment(s.apple, { amount: SCENARIO_AMOUNT.slow }) });
    expect([second.status, second.json.error.code]).toEqual([409, 'payment_in_progress']);
    expect((await first).status).toBe(200);
    expect(s.bank.ledger.paid(invoiceOf(o))).toHaveLength(1);
  });

  it('the same order paid again after it was paid → answered paid from the bank’s record, cryptopay not sent again', async () => {
    const o = await order();
    const first = await pay({ order: o, payment: payment(s.apple, { pan: PAN }) });
    expect(first.status).toBe(200);
    const again = await pay({ order: o, payment: payment(s.apple, { pan: PAN }) });
    expect(again.status).toBe(200);
    expect(again.json).toEqual(first.json);
    expect(s.bank.ledger.paid(invoiceOf(o))).toHaveLength(1);
    expect(s.bank.calls.filter((c) => c.path === '/payment/cryptopay' && c.invoiceId === invoiceOf(o))).toHaveLength(1);
  });

  it('a new attempt while an earlier one waits for 3-D Secure → 409 payment_in_progress, cryptopay not sent again', async () => {
    const o = await order({ amount: SCENARIO_AMOUNT.threeDs });
    expect((await pay({ order: o, payment: payment(s.apple, { amount: SCENARIO_AMOUNT.threeDs }) })).json.status).toBe(
      '3ds',
    );
    // However often the customer tries again, the bank is asked, never charged again.
    for (let attempt = 2; attempt <= 4; attempt++) {
      const again = await pay({ order: o, payment: payment(s.apple, { amount: SCENARIO_AMOUNT.threeDs }) });
      expect([again.status, again.json.error.code], `attempt ${attempt}`).toEqual([409, 'payment_in_progress']);
    }
    expect(s.bank.calls.filter((c) => c.path === '/payment/cryptopay' && c.invoiceId === invoiceOf(o))).toHaveLength(1);
  });

  it('a new attempt after a decline goes to the bank again', async () => {
    const o = await order({ amount: SCENARIO_AMOUNT.doNotHonor });
    expect((await pay({ order: o, payment: payment(s.apple, { amount: SCENARIO_AMOUNT.doNotHonor }) })).status).toBe(
      402,
    );
    await pay({ order: o, payment: payment(s.apple, { amount: SCENARIO_AMOUNT.doNotHonor }) });
    expect(s.bank.calls.filter((c) => c.path === '/payment/cryptopay' && c.invoiceId === invoiceOf(o))).toHaveLength(2);
  });

  it('the same Apple token with its transactionId in upper case is still a replay', async () => {
    const p = payment(s.apple, { pan: PAN });
    expect((await pay({ order: await order(), payment: p })).status).toBe(200);
    p.token.paymentData.header.transactionId = p.token.paymentData.header.transactionId.toUpperCase();
    const o2 = await order();
    const again = await pay({ order: o2, payment: p });
    expect([again.status, again.json.error.code]).toEqual([400, 'token_invalid']);
    expect(s.bank.calls.filter((c) => c.invoiceId === invoiceOf(o2))).toHaveLength(0);
  });
});

describe('the bank is down or refuses the credentials', () => {
  it('an unreachable bank → 502 bank_unavailable', async () => {
    const down = await startStack({
      env: { EPAY_OAUTH_URL: 'http://127.0.0.1:9/oauth2/token', EPAY_API_URL: 'http://127.0.0.1:9' },
    });
    try {
      const r = await post(`${down.url}/applepay/payments`, { order: await order(), payment: payment(down.apple) });
      seen.push(r.text);
      expect([r.status, r.json.error.code]).toEqual([502, 'bank_unavailable']);
    } finally {
      await down.close();
    }
  });

  it('wrong credentials → 502 bank_unavailable, nothing charged, the secret in no log', async () => {
    const bad = await startStack({ env: { EPAY_CLIENT_SECRET: 'wrong-secret-value-123' } });
    try {
      const o = await order();
      const r = await post(`${bad.url}/applepay/payments`, { order: o, payment: payment(bad.apple) });
      expect([r.status, r.json.error.code]).toEqual([502, 'bank_unavailable']);
      expect(bad.bank.ledger.byInvoice(invoiceOf(o))).toHaveLength(0);
      expect(JSON.stringify(bad.logs) + r.text).not.toContain('wrong-secret-value-123');
    } finally {
      await bad.close();
    }
  });
});

describe('paid', () => {
  it('decrypt mode → 200 paid with the bank ids; the bank got the device PAN and cryptogram', async () => {
    const o = await order({ amount: 2500, description: 'Books' });
    const r = await pay({
      order: o,
      payment: payment(s.apple, { amount: 2500, pan: PAN, cryptogram: CRYPTOGRAM, eci: '7' }),
    });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({
      status: 'paid',
      payment: {
        id: expect.any(String),
        invoiceId: invoiceOf(o),
        amount: 2500,
        currency: 'KZT',
        reference: expect.any(String),
      },
    });
    const charges = s.bank.ledger.paid(invoiceOf(o));
    expect(charges).toHaveLength(1);
    expect(charges[0]!.cardMask).toMatch(/^440043\*+0001$/);
    expect(charges[0]!.id).toBe(r.json.payment.id);
  });

  it('passthrough mode → 200 paid; a token not shaped like Apple’s → 400 token_invalid, the bank not called', async () => {
    const pt = await startStack({ mode: 'passthrough' });
    try {
      const o = await order({ amount: 990 });
      const r = await post(`${pt.url}/applepay/payments`, { order: o, payment: payment(pt.apple, { amount: 990 }) });
      seen.push(r.text);
      expect([r.status, r.json.status]).toEqual([200, 'paid']);
      expect(pt.bank.ledger.paid(invoiceOf(o))).toHaveLength(1);

      const bad = payment(pt.apple, { amount: 990 });
      const o2 = await order({ amount: 990 });
      for (const paymentData of [
        { ...bad.token.paymentData, version: 'EC_v2' },
        { ...bad.token.paymentData, data: 'not base64!' },
        {},
      ]) {
        const r2 = await post(`${pt.url}/applepay/payments`, {
          order: o2,
          payment: { ...bad, token: { ...bad.token, paymentData } },
        });
        expect([r2.status, r2.json.error.code]).toEqual([400, 'token_invalid']);
      }
      expect(pt.bank.calls.filter((c) => c.invoiceId === invoiceOf(o2))).toHaveLength(0);
    } finally {
      await pt.close();
    }
  });

  it('RSA_v1 tokens pay too', async () => {
    const o = await order();
    const r = await pay({ order: o, payment: payment(s.apple, { version: 'RSA_v1', pan: PAN }) });
    expect([r.status, r.json.status]).toEqual([200, 'paid']);
  });
});

describe('a re-priced order (express checkout), decrypt mode', () => {
  it('the updated order pays its new amount; a token for the earlier amount is 400 amount_mismatch and moves no money', async () => {
    // A: the order the page opened the sheet with; B: the backend re-priced it when the customer chose delivery.
    const a = await order({ amount: 1000 });
    const b = await updateOrder(
      a,
      {
        lineItems: [
          { label: 'Шай «Алматы», 3 қорап', amount: 1000 },
          { label: 'Доставка курьером', amount: 100 },
        ],
      },
      ORDER_SECRET,
    );
    const invoiceId = invoiceOf(b);
    expect(invoiceId).toBe(invoiceOf(a));

    // The sheet showed A's total when the customer paid: the token is for 1000, the order now says 1100.
    const stale = await pay({ order: b, payment: payment(s.apple, { amount: 1000, pan: PAN }) });
    expect([stale.status, stale.json.error.code]).toEqual([400, 'amount_mismatch']);
    expect(s.bank.ledger.byInvoice(invoiceId)).toEqual([]);
    expect(s.bank.calls.filter((c) => c.invoiceId === invoiceId)).toEqual([]); // not even a token was asked for

    // The invoice is still free: a token for the new total pays it, once, for 1100.
    const r = await pay({ order: b, payment: payment(s.apple, { amount: 1100, pan: PAN }) });
    expect([r.status, r.json.status, r.json.payment?.amount, r.json.payment?.invoiceId]).toEqual([
      200,
      'paid',
      1100,
      invoiceId,
    ]);
    const charges = s.bank.ledger.paid(invoiceId);
    expect(charges.map((c) => c.amount)).toEqual([1100]);
  });
});

describe('3-D Secure', () => {
  /** Starts a 3-D Secure payment and checks the answer's shape. */
  async function start3ds(claims: Record<string, string> = {}) {
    const started = await start3dsIn(s, claims);
    expect(started.form).toEqual({
      action: expect.any(String),
      fields: { PaReq: expect.any(String), MD: expect.any(String), TermUrl: expect.any(String) },
    });
    expect(started.form.fields.TermUrl!.startsWith(`${s.url}/3ds/callback?ctx=`)).toBe(true);
    return started;
  }

  it('approved → 303 to backLink with invoiceId and reference; one charge', async () => {
    const { o, form } = await start3ds({
      backLink: 'https://shop.example/ok?lang=ru',
      failureBackLink: 'https://shop.example/fail',
    });
    const back = await passwordPage(form, true);
    const cb = await postForm(back.action, back.fields);
    expect(cb.status).toBe(303);
    const loc = new URL(cb.headers.get('location')!);
    expect(loc.origin + loc.pathname).toBe('https://shop.example/ok');
    expect(loc.searchParams.get('lang')).toBe('ru');
    expect(loc.searchParams.get('invoiceId')).toBe(invoiceOf(o));
    expect(loc.searchParams.get('reference')).toBeTruthy();
    expect(s.bank.ledger.paid(invoiceOf(o))).toHaveLength(1);

    // The same callback again (a double submit or a replay) is never confirmed twice, and still lands on success.
    const again = await postForm(back.action, back.fields);
    expect(again.status).toBe(303);
    expect(new URL(again.headers.get('location')!).pathname).toBe('/ok');
    expect(s.bank.ledger.paid(invoiceOf(o))).toHaveLength(1);
    expect(s.bank.calls.filter((c) => c.path === '/payment/confirm' && c.invoiceId === invoiceOf(o))).toHaveLength(1);
  });

  it('the bank’s form posted twice at once → both land on the success page, confirmed once', async () => {
    const { o, form } = await start3ds({
      backLink: 'https://shop.example/ok',
      failureBackLink: 'https://shop.example/fail',
    });
    const back = await passwordPage(form, true);
    const [a, b] = await Promise.all([postForm(back.action, back.fields), postForm(back.action, back.fields)]);
    for (const cb of [a, b]) {
      expect(cb.status).toBe(303);
      expect(new URL(cb.headers.get('location')!).pathname).toBe('/ok');
    }
    expect(s.bank.ledger.paid(invoiceOf(o))).toHaveLength(1);
    expect(s.bank.calls.filter((c) => c.path === '/payment/confirm' && c.invoiceId === invoiceOf(o))).toHaveLength(1);
  });

  it('a timeout after an earlier declined attempt is unknown, not that old decline; a retry then waits (409)', async () => {
    // Attempt A: 3-D Secure, declined by the customer: the bank records a FAILED transaction for the order.
    const o = await order({ amount: 500, failureBackLink: 'https://shop.example/fail' });
    const a = await pay({ order: o, payment: payment(s.apple, { amount: 500, pan: '4400430100000011' }) });
    expect(a.json.status).toBe('3ds');
    const back = await passwordPage(a.json.form, false);
    expect((await postForm(back.action, back.fields)).status).toBe(303);
    // Attempt B: the connection drops and the bank shows only A's failure: that says nothing about B.
    const b = await pay({ order: o, payment: payment(s.apple, { amount: 500, pan: '4400430100000074' }) });
    expect([b.status, b.json.error.code]).toEqual([504, 'outcome_unknown']);
    // Attempt C, right after: B may still land at the bank, so no third cryptopay.
    const c = await pay({ order: o, payment: payment(s.apple, { amount: 500, pan: PAN }) });
    expect([c.status, c.json.error.code]).toEqual([409, 'payment_in_progress']);
    expect(s.bank.calls.filter((x) => x.path === '/payment/cryptopay' && x.invoiceId === invoiceOf(o))).toHaveLength(2);
  });

  it('when no bank token can be had for the confirmation, a page offers to send the bank’s result again', async () => {
    const t = await startStack();
    try {
      const o = await order({ amount: SCENARIO_AMOUNT.threeDs, failureBackLink: 'https://shop.example/fail' });
      const r = await post(`${t.url}/applepay/payments`, {
        order: o,
        payment: payment(t.apple, { amount: SCENARIO_AMOUNT.threeDs }),
      });
      const page = await postForm(r.json.form.action, r.json.form.fields);
      const [pw] = forms(page.text);
      const done = await postForm(new URL(pw!.action, r.json.form.action).href, {
        ...pw!.fields,
        code: THREE_DS_CODE,
        decision: 'confirm',
      });
      const [back] = forms(done.text);
      await t.bank.close();
      for (let i = 0; i < 2; i++) {
        const cb = await postForm(back!.action, back!.fields);
        expect(cb.status).toBe(503);
        expect(cb.headers.get('content-security-policy')).toContain("form-action 'self'");
        const [again] = forms(cb.text);
        expect(again!.action).toBe('');
        expect(again!.fields).toEqual(back!.fields);
      }
    } finally {
      await t.close();
    }
  });

  it('declined at the password page → 303 to failureBackLink with invoiceId, code and message', async () => {
    const { o, form } = await start3ds({ failureBackLink: 'https://shop.example/fail?x=1' });
    const back = await passwordPage(form, false);
    const cb = await postForm(back.action, back.fields);
    expect(cb.status).toBe(303);
    const loc = new URL(cb.headers.get('location')!);
    expect(loc.pathname).toBe('/fail');
    expect(loc.searchParams.get('x')).toBe('1');
    expect(loc.searchParams.get('invoiceId')).toBe(invoiceOf(o));
    expect(loc.searchParams.get('code')).toBe(String(THREE_DS_FAILED.code));
    expect(loc.searchParams.get('message')).toBe(THREE_DS_FAILED.message);
    expect(s.bank.ledger.paid(invoiceOf(o))).toHaveLength(0);
  });

  it('without links → a small HTML result page with security headers', async () => {
    const { form } = await start3ds();
    const back = await passwordPage(form, true);
    const cb = await postForm(back.action, back.fields);
    expect(cb.status).toBe(200);
    expect(cb.headers.get('content-type')).toMatch(/text\/html/);
    expect(cb.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(cb.text).toContain('Payment complete');
  });

  it('an expired context sends the customer to failureBackLink with code session_expired, nothing confirmed', async () => {
    const { createSealer } = await import('../src/seal.js');
    const sealer = createSealer(s.config.orderSigningSecret, '3ds-context');
    const ctx = {
      id: 'x',
      invoiceId: '123456789',
      amount: SCENARIO_AMOUNT.threeDs,
      currency: 'KZT',
      failureBackLink: 'https://shop.example/fail',
    };
    const old = sealer.seal(ctx, 1_000, Date.now() - 60_000);
    const confirms = s.bank.calls.filter((c) => c.path === '/payment/confirm').length;
    const cb = await postForm(`${s.url}/3ds/callback?ctx=${old}`, { PaRes: 'p', MD: 'm' });
    expect(cb.status).toBe(303);
    const loc = new URL(cb.headers.get('location')!);
    expect([loc.pathname, loc.searchParams.get('invoiceId'), loc.searchParams.get('code')]).toEqual([
      '/fail',
      '123456789',
      'session_expired',
    ]);
    expect(s.bank.calls.filter((c) => c.path === '/payment/confirm').length).toBe(confirms);
  });

  it('a tampered, foreign or missing context gets the failure page, never a crash', async () => {
    const { form } = await start3ds({ failureBackLink: 'https://shop.example/fail' });
    const back = await passwordPage(form, true);
    const tampered = back.action.replace(/ctx=(.)/, (_m, ch: string) => `ctx=${ch === 'A' ? 'B' : 'A'}`);
    for (const url of [tampered, `${s.url}/3ds/callback`, `${s.url}/3ds/callback?ctx=%00%01`]) {
      const cb = await postForm(url, back.fields);
      expect(cb.status).toBe(400);
      expect(cb.text).toContain('Payment failed');
    }
    const noFields = await postForm(back.action, {});
    expect(noFields.status).toBe(303);
    expect(new URL(noFields.headers.get('location')!).searchParams.get('code')).toBe('invalid_request');
  });
});

describe('secrets', () => {
  it('never appear in an answer or a log line', async () => {
    // Its own payments, one of each outcome, so the check does not depend on which tests ran before it.
    const mark = s.logs.length;
    const answers: string[] = [];
    const payOne = async (amount: number, pan = PAN) => {
      const r = await post(`${s.url}/applepay/payments`, {
        order: await order({ amount }),
        payment: payment(s.apple, { amount, pan }),
      });
      answers.push(r.text);
      return r;
    };
    expect((await payOne(SCENARIO_AMOUNT.paid)).json.status).toBe('paid');
    expect((await payOne(SCENARIO_AMOUNT.insufficientFunds)).json.status).toBe('declined');
    expect((await payOne(SCENARIO_AMOUNT.notFinalCharged)).json.status).toBe('paid');
    expect((await payOne(SCENARIO_AMOUNT.droppedUncharged)).json.error.code).toBe('outcome_unknown');
    const started = await payOne(SCENARIO_AMOUNT.threeDs);
    const back = await passwordPage(started.json.form, true);
    answers.push((await postForm(back.action, back.fields)).text);
    answers.push(...seen);
    const logs = s.logs.slice(mark);
    const text = answers.join('\n') + JSON.stringify(s.logs);
    for (const secret of [PAN, CRYPTOGRAM, SANDBOX_EPAY.clientSecret, s.config.orderSigningSecret]) {
      expect(text).not.toContain(secret);
    }
    expect(text).not.toMatch(/PRIVATE KEY/);
    expect(text).not.toMatch(/Bearer /i);
    expect(logs.length).toBeGreaterThanOrEqual(6);
    expect(logs.every((l) => typeof l.status === 'number' && typeof l.path === 'string')).toBe(true);
    expect(logs.some((l) => l.outcome === 'paid' && typeof l.invoiceId === 'string')).toBe(true);
  });
});

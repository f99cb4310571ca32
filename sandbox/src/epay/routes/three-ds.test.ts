import type { KeyObject } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BANK_ERRORS } from '../bank-errors.js';
import { startFakeEpay } from '../server.js';
import { startTestMerchant, type TestMerchant } from '../test-merchant.js';
import {
  cryptopayBody,
  getTerminalToken,
  getToken,
  nextInvoiceId,
  parsePublicKeyText,
  postCryptopay,
  testKeyPem,
  type Fetcher,
} from '../test-support.js';
import { THREE_DS_CODE } from '../three-ds-pages.js';
import type { FakeEpay, FakeEpayOptions } from '../types.js';

const TERM_URL = 'https://shop.example/3ds/callback?session=abc';
const AMOUNT = 100.11;

let epay: FakeEpay;
let publicKey: KeyObject;

beforeAll(async () => {
  epay = await startFakeEpay({ privateKeyPem: testKeyPem() });
  publicKey = parsePublicKeyText(await (await fetch(`${epay.apiUrl}/public.rsa`)).text());
});
afterAll(() => epay.close());

const bank = (path: string, init?: RequestInit) => fetch(`${epay.url}${path}`, { redirect: 'manual', ...init });

/** The value of a named input in an HTML page. */
function inputValue(html: string, name: string): string | undefined {
  const match = new RegExp(`<input[^>]*name="${name}"[^>]*value="([^"]*)"`).exec(html);
  return match?.[1]?.replaceAll('&amp;', '&').replaceAll('&quot;', '"').replaceAll('&#39;', "'");
}

function formAction(html: string): string | undefined {
  return /<form[^>]*action="([^"]*)"/.exec(html)?.[1]?.replaceAll('&amp;', '&');
}

async function startThreeDs(amount = AMOUNT, at: Fetcher = bank, extra: Record<string, unknown> = {}) {
  const invoiceId = nextInvoiceId();
  const token = await getToken(at, invoiceId, amount);
  const res = await postCryptopay(
    at,
    token,
    cryptopayBody(publicKey, { invoiceId, amount, pan: '4400430000000000' }, extra),
  );
  expect(res.status).toBe(200);
  const body = (await res.json()) as { id: string; secure3D: { paReq: string; md: string; action: string } } & Record<
    string,
    unknown
  >;
  return { invoiceId, body };
}

async function postForm(url: string, fields: Record<string, string>) {
  const res = await fetch(url, { method: 'POST', body: new URLSearchParams(fields), redirect: 'manual' });
  return { status: res.status, html: await res.text() };
}

/** Runs the customer's part: the password page, then the chosen button; returns the PaRes page. */
async function authenticate(
  secure3D: { paReq: string; md: string; action: string },
  decision: 'confirm' | 'decline',
  code = THREE_DS_CODE,
) {
  const page = await postForm(secure3D.action, { PaReq: secure3D.paReq, MD: secure3D.md, TermUrl: TERM_URL });
  expect(page.status).toBe(200);
  const submitUrl = formAction(page.html) ?? '';
  return postForm(submitUrl, { MD: inputValue(page.html, 'MD') ?? '', code, decision });
}

async function confirm(
  invoiceId: string,
  fields: { ID: string; PaRes: string; MD: string },
  amount = AMOUNT,
  at: Fetcher = bank,
) {
  const token = await getToken(at, invoiceId, amount);
  return at('/payment/confirm', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(fields),
  });
}

describe('3-D Secure', () => {
  it('answers the bank’s 3-D Secure shape with this sandbox’s /3ds page, and holds the payment as NEW', async () => {
    const { invoiceId, body } = await startThreeDs();
    expect(Object.keys(body)).toEqual([
      'id',
      'accountId',
      'amount',
      'amountBonus',
      'currency',
      'description',
      'email',
      'invoiceID',
      'invoiceIdAlt',
      'language',
      'phone',
      'reference',
      'intReference',
      'secure3D',
      'cardID',
      'fee',
    ]);
    expect(body.secure3D.action).toBe(`${epay.url}/3ds`);
    expect(JSON.parse(Buffer.from(body.secure3D.paReq, 'base64').toString('utf8'))).toMatchObject({
      messageType: 'PaReq',
      id: body.id,
    });
    expect(epay.ledger.byInvoice(invoiceId)).toMatchObject([{ statusName: 'NEW', reasonCode: '' }]);
    expect(epay.ledger.paid(invoiceId)).toEqual([]);
  });

  it('shows a usable password page: code field with hint, Confirm and Decline', async () => {
    const { body } = await startThreeDs();
    const page = await postForm(body.secure3D.action, {
      PaReq: body.secure3D.paReq,
      MD: body.secure3D.md,
      TermUrl: TERM_URL,
    });
    expect(page.status).toBe(200);
    expect(page.html).toMatch(/<input[^>]*name="code"/);
    expect(page.html).toContain(THREE_DS_CODE);
    expect(page.html).toMatch(/<button[^>]*value="confirm"[^>]*>Confirm<\/button>/);
    expect(page.html).toMatch(/<button[^>]*value="decline"[^>]*>Decline<\/button>/);
    expect(formAction(page.html)).toBe(`${epay.url}/3ds/submit`);
  });

  it('refuses the page for an unknown MD, a PaReq of another payment, or a relative TermUrl', async () => {
    const { body } = await startThreeDs();
    const { body: other } = await startThreeDs();
    const { paReq, md, action } = body.secure3D;
    expect((await postForm(action, { PaReq: paReq, MD: 'nope', TermUrl: TERM_URL })).status).toBe(400);
    expect((await postForm(action, { PaReq: other.secure3D.paReq, MD: md, TermUrl: TERM_URL })).status).toBe(400);
    expect((await postForm(action, { PaReq: paReq, MD: md, TermUrl: '/callback' })).status).toBe(400);
  });

  it('confirmed: posts PaRes and MD to TermUrl, confirm moves it to AUTH and redirects to the success page', async () => {
    const { invoiceId, body } = await startThreeDs();
    const back = await authenticate(body.secure3D, 'confirm');
    expect(formAction(back.html)).toBe(TERM_URL);
    expect(back.html).toContain('<script>document.forms.ReturnForm.submit();</script>');
    expect(back.html).toMatch(/<button type="submit">Continue<\/button>/);
    const PaRes = inputValue(back.html, 'PaRes') ?? '';
    expect(inputValue(back.html, 'MD')).toBe(body.secure3D.md);

    const res = await confirm(invoiceId, { ID: body.id, PaRes, MD: body.secure3D.md });
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get('location') ?? '');
    expect(`${location.origin}${location.pathname}`).toBe('https://epay.homebank.kz/payform/success.html');
    const charge = epay.ledger.byInvoice(invoiceId)[0];
    expect(Object.fromEntries(location.searchParams)).toEqual({
      amount: String(AMOUNT),
      currency: 'KZT',
      invoiceID: invoiceId,
      accountID: '',
      description: 'Payment by ApplePay',
      reference: charge?.reference,
      language: 'rus',
      cardid: '',
    });
    expect(charge).toMatchObject({ statusName: 'AUTH', reasonCode: '00' });
  });

  it('confirms at most once: a second confirm is refused and charges nothing twice', async () => {
    const { invoiceId, body } = await startThreeDs();
    const PaRes = inputValue((await authenticate(body.secure3D, 'confirm')).html, 'PaRes') ?? '';
    const fields = { ID: body.id, PaRes, MD: body.secure3D.md };
    expect((await confirm(invoiceId, fields)).status).toBe(302);
    const again = await confirm(invoiceId, fields);
    expect(again.status).toBe(400);
    expect(await again.json()).toMatchObject({ code: BANK_ERRORS.alreadyConfirmed.code, invoiceId, id: body.id });
    expect(epay.ledger.byInvoice(invoiceId)).toHaveLength(1);
    expect(epay.ledger.paid(invoiceId)).toHaveLength(1);
  });

  it('declined: confirm moves it to 3D (the check failed) and redirects to the failure page', async () => {
    const { invoiceId, body } = await startThreeDs();
    const back = await authenticate(body.secure3D, 'decline', '');
    const res = await confirm(invoiceId, {
      ID: body.id,
      PaRes: inputValue(back.html, 'PaRes') ?? '',
      MD: body.secure3D.md,
    });
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get('location') ?? '');
    expect(`${location.origin}${location.pathname}`).toBe('https://epay.homebank.kz/payform/');
    expect(Object.fromEntries(location.searchParams)).toEqual({
      invoiceID: invoiceId,
      code: '455',
      message: '3-D Secure authentication failed',
    });
    expect(epay.ledger.byInvoice(invoiceId)).toMatchObject([{ statusName: '3D', reasonCode: '455' }]);
  });

  it('gives up after three wrong codes, and a later right code cannot change that', async () => {
    const { invoiceId, body } = await startThreeDs();
    const page = await postForm(body.secure3D.action, {
      PaReq: body.secure3D.paReq,
      MD: body.secure3D.md,
      TermUrl: TERM_URL,
    });
    const submit = formAction(page.html) ?? '';
    const first = await postForm(submit, { MD: body.secure3D.md, code: '000000', decision: 'confirm' });
    expect(first.html).toContain('Wrong code. 2 attempts left.');
    await postForm(submit, { MD: body.secure3D.md, code: '000000', decision: 'confirm' });
    const third = await postForm(submit, { MD: body.secure3D.md, code: '000000', decision: 'confirm' });
    expect(third.html).toContain('Authentication failed.');
    const late = await postForm(submit, { MD: body.secure3D.md, code: THREE_DS_CODE, decision: 'confirm' });
    expect(late.html).toContain('Authentication failed.');
    const res = await confirm(invoiceId, {
      ID: body.id,
      PaRes: inputValue(late.html, 'PaRes') ?? '',
      MD: body.secure3D.md,
    });
    expect(new URL(res.headers.get('location') ?? '').searchParams.get('code')).toBe('455');
  });

  it('refuses a forged PaRes, a PaRes of another payment, and a wrong MD', async () => {
    const { invoiceId, body } = await startThreeDs();
    const declined = inputValue((await authenticate(body.secure3D, 'decline', '')).html, 'PaRes') ?? '';
    const forged = JSON.parse(Buffer.from(declined, 'base64').toString('utf8')) as Record<string, string>;
    forged.status = 'Y';
    const forgedPaRes = Buffer.from(JSON.stringify(forged)).toString('base64');
    const { invoiceId: otherInvoice, body: other } = await startThreeDs();
    const otherPaRes = inputValue((await authenticate(other.secure3D, 'confirm')).html, 'PaRes') ?? '';
    expect(otherInvoice).not.toBe(invoiceId);

    for (const fields of [
      { ID: body.id, PaRes: forgedPaRes, MD: body.secure3D.md },
      { ID: body.id, PaRes: otherPaRes, MD: body.secure3D.md },
      { ID: body.id, PaRes: declined, MD: other.secure3D.md },
    ]) {
      const res = await confirm(invoiceId, fields);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { code: number }).code).toBe(BANK_ERRORS.threeDsMismatch.code);
    }
    expect(epay.ledger.byInvoice(invoiceId)).toMatchObject([{ statusName: 'NEW' }]);
  });

  it('wants a confirm token bound to the payment’s invoice and amount, and a well-formed body', async () => {
    const { invoiceId, body } = await startThreeDs();
    const PaRes = inputValue((await authenticate(body.secure3D, 'confirm')).html, 'PaRes') ?? '';
    const fields = { ID: body.id, PaRes, MD: body.secure3D.md };
    expect((await confirm(invoiceId, fields, 100)).status).toBe(401);
    expect((await confirm(nextInvoiceId(), fields)).status).toBe(401);
    expect((await confirm(invoiceId, { ...fields, ID: '00000000-0000-0000-0000-000000000000' })).status).toBe(400);
    const token = await getToken(bank, invoiceId, AMOUNT);
    const extraField = await bank('/payment/confirm', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ ...fields, id: body.id }),
    });
    expect(extraField.status).toBe(400);
    expect(epay.ledger.byInvoice(invoiceId)).toMatchObject([{ statusName: 'NEW' }]);
    expect((await confirm(invoiceId, fields)).status).toBe(302);
  });

  it('with confirmStyle ok-body, answers 200 with the page URL as JSON', async () => {
    const okBody = await startFakeEpay({ privateKeyPem: testKeyPem(), confirmStyle: 'ok-body' });
    try {
      const at = (path: string, init?: RequestInit) => fetch(`${okBody.url}${path}`, { redirect: 'manual', ...init });
      const invoiceId = nextInvoiceId();
      const payToken = await getToken(at, invoiceId, AMOUNT);
      const paid = await postCryptopay(
        at,
        payToken,
        cryptopayBody(publicKey, { invoiceId, amount: AMOUNT, pan: '4400430000000000' }),
      );
      const body = (await paid.json()) as { id: string; secure3D: { paReq: string; md: string; action: string } };
      expect(body.secure3D.action).toBe(`${okBody.url}/3ds`);
      const PaRes = inputValue((await authenticate(body.secure3D, 'confirm')).html, 'PaRes') ?? '';
      const token = await getToken(at, invoiceId, AMOUNT);
      const res = await at('/payment/confirm', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ ID: body.id, PaRes, MD: body.secure3D.md }),
      });
      expect(res.status).toBe(200);
      const { url } = (await res.json()) as { url: string };
      expect(url.startsWith('https://epay.homebank.kz/payform/success.html?')).toBe(true);
    } finally {
      await okBody.close();
    }
  });
});

describe('3-D Secure finished on the bank’s page, without the shop', () => {
  const SELF_COMPLETE_MS = 100;
  let merchant: TestMerchant;
  const banks: FakeEpay[] = [];
  beforeAll(async () => {
    merchant = await startTestMerchant();
  });
  afterAll(async () => {
    await Promise.all(banks.map((b) => b.close()));
    await merchant.close();
  });

  async function startBank(options: FakeEpayOptions = {}) {
    const started = await startFakeEpay({
      privateKeyPem: testKeyPem(),
      threeDsSelfCompleteMs: SELF_COMPLETE_MS,
      ...options,
    });
    banks.push(started);
    const at: Fetcher = (path, init) => fetch(`${started.url}${path}`, { redirect: 'manual', ...init });
    return { bank: started, at };
  }

  /** cryptopay with both links on the test merchant, then the customer's decision on the password page. */
  async function payAndDecide(at: Fetcher, decision: 'confirm' | 'decline') {
    const links = { postLink: `${merchant.url}/ok`, failurePostLink: `${merchant.url}/fail` };
    const { invoiceId, body } = await startThreeDs(AMOUNT, at, links);
    const back = await authenticate(body.secure3D, decision, decision === 'confirm' ? THREE_DS_CODE : '');
    const fields = { ID: body.id, PaRes: inputValue(back.html, 'PaRes') ?? '', MD: body.secure3D.md };
    return { invoiceId, fields };
  }

  async function status(at: Fetcher, invoiceId: string) {
    const token = await getTerminalToken(at);
    const res = await at(`/check-status/payment/transaction/${invoiceId}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    return ((await res.json()) as { transaction: { statusName: string; reasonCode: string } }).transaction;
  }

  const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('confirmed, no confirm: the bank settles AUTH by itself after threeDsSelfCompleteMs and posts postLink once', async () => {
    const { bank, at } = await startBank();
    const { invoiceId } = await payAndDecide(at, 'confirm');
    expect(await status(at, invoiceId)).toMatchObject({ statusName: 'NEW' });
    await wait(SELF_COMPLETE_MS * 3);
    await bank.flushNotifications();
    expect(await status(at, invoiceId)).toMatchObject({ statusName: 'AUTH', reasonCode: '00' });
    const arrived = merchant.forInvoice(invoiceId);
    expect(arrived.map((r) => r.path)).toEqual(['/ok']);
    expect(arrived[0]?.body).toMatchObject({ code: 'ok', reasonCode: '00', secure: 'yes', invoiceId });
    expect(bank.ledger.paid(invoiceId)).toHaveLength(1);
  });

  it('declined, no confirm: the bank settles 3D with 455 and posts failurePostLink once', async () => {
    const { bank, at } = await startBank();
    const { invoiceId } = await payAndDecide(at, 'decline');
    await wait(SELF_COMPLETE_MS * 3);
    await bank.flushNotifications();
    expect(await status(at, invoiceId)).toMatchObject({ statusName: '3D', reasonCode: '455' });
    const arrived = merchant.forInvoice(invoiceId);
    expect(arrived.map((r) => r.path)).toEqual(['/fail']);
    expect(arrived[0]?.body).toMatchObject({ code: 'error', reasonCode: '455', approvalCode: '' });
    expect(bank.ledger.paid(invoiceId)).toEqual([]);
  });

  it('on a single-stage terminal the bank settles CHARGE', async () => {
    const { bank, at } = await startBank({ singleStage: true });
    const { invoiceId } = await payAndDecide(at, 'confirm');
    await wait(SELF_COMPLETE_MS * 3);
    await bank.flushNotifications();
    expect(bank.ledger.byInvoice(invoiceId)).toMatchObject([{ statusName: 'CHARGE', chargedAmount: AMOUNT }]);
    expect(merchant.forInvoice(invoiceId)).toHaveLength(1);
  });

  it('a confirm after the bank settled gets the same result page, changes nothing and sends nothing more', async () => {
    const { bank, at } = await startBank();
    const { invoiceId, fields } = await payAndDecide(at, 'confirm');
    await wait(SELF_COMPLETE_MS * 3);
    await bank.flushNotifications();
    const settled = structuredClone(bank.ledger.byInvoice(invoiceId));
    expect(settled).toMatchObject([{ statusName: 'AUTH' }]);

    const late = await confirm(invoiceId, fields, AMOUNT, at);
    expect(late.status).toBe(302);
    const location = new URL(late.headers.get('location') ?? '');
    expect(`${location.origin}${location.pathname}`).toBe('https://epay.homebank.kz/payform/success.html');
    // Exactly what a confirm that settled would have answered.
    expect(Object.fromEntries(location.searchParams)).toEqual({
      amount: String(AMOUNT),
      currency: 'KZT',
      invoiceID: invoiceId,
      accountID: '',
      description: 'Payment by ApplePay',
      reference: settled[0]?.reference,
      language: 'rus',
      cardid: '',
    });
    await wait(SELF_COMPLETE_MS);
    await bank.flushNotifications();
    expect(bank.ledger.byInvoice(invoiceId)).toEqual(settled);
    expect(merchant.forInvoice(invoiceId)).toHaveLength(1);
    expect(bank.notifications.filter((n) => n.body.invoiceId === invoiceId)).toHaveLength(1);

    // The merchant's confirm was its first: a second one is refused as always.
    const again = await confirm(invoiceId, fields, AMOUNT, at);
    expect(again.status).toBe(400);
    expect(((await again.json()) as { code: number }).code).toBe(BANK_ERRORS.alreadyConfirmed.code);
  });

  it('a late confirm of a declined payment gets the failure page and changes nothing', async () => {
    const { bank, at } = await startBank({ failureCodeParam: 'errorCode' });
    const { invoiceId, fields } = await payAndDecide(at, 'decline');
    await wait(SELF_COMPLETE_MS * 3);
    const late = await confirm(invoiceId, fields, AMOUNT, at);
    const location = new URL(late.headers.get('location') ?? '');
    expect(Object.fromEntries(location.searchParams)).toEqual({
      invoiceID: invoiceId,
      errorCode: '455',
      message: '3-D Secure authentication failed',
    });
    await bank.flushNotifications();
    expect(merchant.forInvoice(invoiceId).map((r) => r.path)).toEqual(['/fail']);
    expect(bank.ledger.byInvoice(invoiceId)).toMatchObject([{ statusName: '3D' }]);
  });

  it('a confirm before the timer settles; the timer then does nothing (one notification)', async () => {
    const timerMs = 400;
    const { bank, at } = await startBank({ threeDsSelfCompleteMs: timerMs });
    const decided = Date.now();
    const { invoiceId, fields } = await payAndDecide(at, 'confirm');
    const res = await confirm(invoiceId, fields, AMOUNT, at);
    // Otherwise this test would not be testing a confirm that came first.
    expect(Date.now() - decided).toBeLessThan(timerMs);
    expect(res.status).toBe(302);
    expect(bank.ledger.byInvoice(invoiceId)).toMatchObject([{ statusName: 'AUTH' }]);
    const settled = structuredClone(bank.ledger.byInvoice(invoiceId));
    await wait(timerMs * 2);
    await bank.flushNotifications();
    expect(merchant.forInvoice(invoiceId)).toHaveLength(1);
    expect(bank.notifications.filter((n) => n.body.invoiceId === invoiceId)).toHaveLength(1);
    expect(bank.ledger.byInvoice(invoiceId)).toEqual(settled);
  });

  it('with threeDsSelfCompleteMs false the payment waits for the confirm', async () => {
    const { bank, at } = await startBank({ threeDsSelfCompleteMs: false });
    const { invoiceId } = await payAndDecide(at, 'confirm');
    await wait(SELF_COMPLETE_MS * 3);
    await bank.flushNotifications();
    expect(await status(at, invoiceId)).toMatchObject({ statusName: 'NEW' });
    expect(merchant.forInvoice(invoiceId)).toEqual([]);
  });

  it('stopping the bank calls the self-completion off', async () => {
    const { bank, at } = await startBank({ threeDsSelfCompleteMs: 150 });
    const { invoiceId } = await payAndDecide(at, 'confirm');
    await bank.close();
    await wait(450);
    expect(bank.ledger.byInvoice(invoiceId)).toMatchObject([{ statusName: 'NEW' }]);
    expect(bank.notifications.filter((n) => n.body.invoiceId === invoiceId)).toEqual([]);
    expect(merchant.forInvoice(invoiceId)).toEqual([]);
  });
});

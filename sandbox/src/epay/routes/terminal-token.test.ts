/**
 * The terminal token (asked for without invoice and amount) and the answers that a client must not misread: a refusal
 * whose payment went through (477), a refusal that recorded nothing (458), "terminal not found" from the status call,
 * "not found" with HTTP 400, and `terminalId` in the cryptopay body.
 */
import type { KeyObject } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createFakeEpayApp } from '../app.js';
import { BANK_ERRORS } from '../bank-errors.js';
import { SANDBOX_EPAY } from '../sandbox-credentials.js';
import {
  cryptopayBody,
  type Fetcher,
  getTerminalToken,
  getToken,
  nextInvoiceId,
  parsePublicKeyText,
  postCryptopay,
  terminalTokenForm,
  testKeyPem,
  tokenForm,
} from '../test-support.js';

const PAN = '4400431234561200';

async function bank(options: Parameters<typeof createFakeEpayApp>[0] = {}) {
  const created = await createFakeEpayApp({ privateKeyPem: testKeyPem(), ...options });
  const fetcher: Fetcher = async (path, init) => created.app.request(path, init);
  const publicKey: KeyObject = parsePublicKeyText(await (await fetcher('/public.rsa')).text());
  return { fetcher, state: created.state, publicKey };
}

async function status(fetcher: Fetcher, invoiceId: string, token: string) {
  const res = await fetcher(`/check-status/payment/transaction/${invoiceId}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

let b: Awaited<ReturnType<typeof bank>>;
beforeAll(async () => {
  b = await bank();
});

async function pay(amount: number, mutate: (body: Record<string, unknown>) => void = () => {}) {
  const invoiceId = nextInvoiceId();
  const token = await getToken(b.fetcher, invoiceId, amount);
  const body = cryptopayBody(b.publicKey, { invoiceId, amount, pan: PAN });
  mutate(body);
  const res = await postCryptopay(b.fetcher, token, body);
  return { invoiceId, status: res.status, body: (await res.json()) as Record<string, any> };
}

describe('the terminal token', () => {
  it('is issued for the form without invoiceID, amount and currency, and serves the status call of any invoice', async () => {
    const paid = await pay(100);
    const s = await status(b.fetcher, paid.invoiceId, await getTerminalToken(b.fetcher));
    expect(s).toMatchObject({ status: 200, body: { resultCode: '100', transaction: { statusName: 'AUTH' } } });
  });

  it('is refused by cryptopay: a payment needs a token asked for its own invoice and amount', async () => {
    const invoiceId = nextInvoiceId();
    const res = await postCryptopay(
      b.fetcher,
      await getTerminalToken(b.fetcher),
      cryptopayBody(b.publicKey, { invoiceId, amount: 100, pan: PAN }),
    );
    expect(res.status).toBe(BANK_ERRORS.tokenMismatch.status);
    expect(b.state.ledger.byInvoice(invoiceId)).toEqual([]);
  });

  it('a form with only some of invoiceID, amount and currency is refused', async () => {
    const { invoiceID: _i, ...partial } = tokenForm('000000100001', '100');
    const res = await b.fetcher('/oauth2/token', { method: 'POST', body: new URLSearchParams(partial) });
    expect(res.status).toBe(400);
  });

  it('another terminal is refused', async () => {
    const res = await b.fetcher('/oauth2/token', {
      method: 'POST',
      body: new URLSearchParams({ ...terminalTokenForm(), terminal: 'other' }),
    });
    expect(res.status).toBe(400);
  });
});

describe('refusals that are not declines', () => {
  it('477 "operation already exists" while the payment went through: the status call shows AUTH', async () => {
    const r = await pay(100.77);
    expect([r.status, r.body.code]).toEqual([400, 477]);
    expect(b.state.ledger.paid(r.invoiceId)).toHaveLength(1);
    const s = await status(b.fetcher, r.invoiceId, await getTerminalToken(b.fetcher));
    expect(s.body.transaction.statusName).toBe('AUTH');
  });

  it('458 payment-system timeout that charged nothing: the status call finds no payment (102)', async () => {
    const r = await pay(100.58);
    expect([r.status, r.body.code]).toEqual([400, 458]);
    expect(b.state.ledger.byInvoice(r.invoiceId)).toEqual([]);
    expect((await status(b.fetcher, r.invoiceId, await getTerminalToken(b.fetcher))).body.resultCode).toBe('102');
  });

  it('an internal error that charged all the same, whose status call answers 104 "Terminal not found"', async () => {
    const r = await pay(100.75);
    expect([r.status, r.body.code]).toEqual([500, BANK_ERRORS.internal.code]);
    expect(b.state.ledger.paid(r.invoiceId)).toHaveLength(1);
    const s = await status(b.fetcher, r.invoiceId, await getTerminalToken(b.fetcher));
    expect(s).toEqual({ status: 200, body: { resultCode: '104', resultMessage: 'Terminal not found' } });
  });
});

describe('the status call', () => {
  it('answers "not found" (102) with HTTP 400 when so configured', async () => {
    const other = await bank({ notFoundHttpStatus: 400 });
    const s = await status(other.fetcher, nextInvoiceId(), await getTerminalToken(other.fetcher));
    expect(s).toEqual({ status: 400, body: { resultCode: '102', resultMessage: 'Transaction not found' } });
  });
});

describe('terminalId in the cryptopay body', () => {
  it('is accepted when it is the terminal', async () => {
    const r = await pay(100, (body) => Object.assign(body, { terminalId: SANDBOX_EPAY.terminalId }));
    expect(r.status).toBe(200);
  });

  it('is refused, charging nothing, when it is another terminal', async () => {
    const r = await pay(100, (body) => Object.assign(body, { terminalId: 'other-terminal' }));
    expect([r.status, r.body.code]).toEqual([400, BANK_ERRORS.terminalMismatch.code]);
    expect(b.state.ledger.byInvoice(r.invoiceId)).toEqual([]);
  });
});

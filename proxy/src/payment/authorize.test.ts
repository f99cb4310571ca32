/**
 * The money rules of one payment, reached with a scripted bank client instead of sandbox scenarios: a refusal is a
 * decline only on the bank's proof, the status call settles what `cryptopay` left open, and `cryptopay` is sent once.
 */
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ProxyConfig } from '../config.js';
import type { CryptopayOutcome, EpayClient, StatusOutcome } from '../epay/client.js';
import { ProxyError } from '../errors.js';
import type { Order } from '../order.js';
import { createSealer } from '../seal.js';
import { MemoryStore } from '../store.js';
import type { PaymentAnswer } from './answer.js';
import { PaymentAttempt } from './attempt.js';
import { takePayment } from './authorize.js';
import type { PaymentDeps } from './deps.js';

const bankKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
const config = {
  publicUrl: 'https://pay.shop.example',
  epay: { tokenMode: 'passthrough', terminalId: 'term' },
  apple: { tokenMaxAgeS: 300 },
} as unknown as ProxyConfig;

/** A bank client that answers `cryptopay` once as told and the status calls from a list (the last one repeats). */
function scriptedBank(cryptopay: CryptopayOutcome, statuses: StatusOutcome[]) {
  const calls = { cryptopay: 0, status: 0 };
  const epay = {
    getPaymentToken: async () => ({ ok: true as const, token: 'T' }),
    getPublicKey: async () => bankKey,
    refreshPublicKey: async () => false,
    cryptopay: async () => {
      calls.cryptopay++;
      return cryptopay;
    },
    status: async () => statuses[Math.min(calls.status++, statuses.length - 1)]!,
  } as unknown as EpayClient;
  return { epay, calls };
}

let seq = 0;
async function run(cryptopay: CryptopayOutcome, statuses: StatusOutcome[], store: MemoryStore = new MemoryStore()) {
  const { epay, calls } = scriptedBank(cryptopay, statuses);
  const deps: PaymentDeps = {
    config,
    epay,
    store,
    sealer: createSealer('s'.repeat(40), '3ds-context'),
    appleTokens: { decrypt: async () => Promise.reject(new Error('not in passthrough')), checkShape: async () => {} },
  };
  const order: Order = {
    invoiceId: '000123456',
    amount: 1500,
    currency: 'KZT',
    exp: Math.floor(Date.now() / 1000) + 600,
  };
  const transactionId = (++seq).toString(16).padStart(8, '0');
  const attempt = new PaymentAttempt(order, { token: { paymentData: { header: { transactionId } } } });
  let answer: PaymentAnswer | undefined;
  let error: string | undefined;
  try {
    answer = await takePayment(deps, attempt);
  } catch (err) {
    if (!(err instanceof ProxyError)) throw err;
    error = err.code;
  }
  return { answer, error, calls, log: attempt.log };
}

const refused = (bankCode: number): CryptopayOutcome => ({ kind: 'refused', bankCode, message: 'refused' });
const found = (statusName: string, id = 'p1'): StatusOutcome => ({
  kind: 'found',
  statusName,
  id,
  reference: 'ref',
  reasonCode: '05',
  message: 'm',
});
const threeDs: CryptopayOutcome = {
  kind: '3ds',
  id: 'A',
  paReq: 'cGFyZXE=',
  md: 'md',
  action: 'https://epay.homebank.kz/3ds',
};
const timeout: CryptopayOutcome = { kind: 'unknown', bankError: false, reason: 'UND_ERR_HEADERS_TIMEOUT' };
const noAnswer: StatusOutcome = { kind: 'no_answer', reason: 'status: HTTP 503' };
const notFound: StatusOutcome = { kind: 'not_found' };

describe('a cryptopay refusal', () => {
  it('with the status call showing AUTH or CHARGE is paid, from the bank record', async () => {
    const r = await run(refused(477), [found('CHARGE')]);
    expect(r.answer).toMatchObject({ status: 'paid', payment: { id: 'p1', reference: 'ref' } });
    expect(r.calls.cryptopay).toBe(1);
  });

  it.each(['FAILED', 'REJECT', '3D', 'CANCEL', 'CANCEL_OLD'])(
    'with the status call showing %s is declined, with the refusal’s code',
    async (name) => {
      const r = await run(refused(477), [found(name)]);
      expect(r.answer).toEqual({ status: 'declined', error: { code: 'declined', bankCode: 477, message: 'refused' } });
    },
  );

  it('with the bank’s "not found" is declined: the bank answered, nothing is on its way', async () => {
    expect((await run(refused(458), [notFound])).answer).toMatchObject({ status: 'declined' });
  });

  it.each([5, 51, 54, 57, 61, 62, 65, 487])(
    '%s, a final card decline, is declined when the status call cannot answer',
    async (code) => {
      const r = await run(refused(code), [noAnswer]);
      expect(r.answer).toMatchObject({ status: 'declined', error: { bankCode: code } });
      expect(r.calls.status).toBe(3);
    },
  );

  it.each([477, 458, 497, 502, 493, 494, 1099])(
    '%s, not a final decline, is outcome_unknown when the status call cannot answer',
    async (code) => {
      const r = await run(refused(code), [noAnswer]);
      expect(r.error).toBe('outcome_unknown');
      expect(r.calls.cryptopay).toBe(1);
    },
  );

  it('a final decline code is still outcome_unknown while the bank shows the payment open (NEW)', async () => {
    expect((await run(refused(51), [found('NEW')])).error).toBe('outcome_unknown');
  });
});

describe('a cryptopay without a clear answer', () => {
  it.each(['3D', 'CANCEL', 'CANCEL_OLD'])(
    'a timeout, then the status call shows %s: declined (the customer did not pay)',
    async (name) => {
      const r = await run({ kind: 'unknown', bankError: false, reason: 'timeout' }, [found(name)]);
      expect(r.answer).toMatchObject({ status: 'declined', error: { bankCode: 5 } });
    },
  );

  it('a timeout, then "not found": outcome_unknown (the payment may still be on its way), never re-sent', async () => {
    const r = await run({ kind: 'unknown', bankError: false, reason: 'timeout' }, [notFound]);
    expect([r.error, r.calls.cryptopay]).toEqual(['outcome_unknown', 1]);
  });

  it('the bank’s own error, then "not found" twice: nothing was charged (bank_unavailable)', async () => {
    const r = await run({ kind: 'unknown', bankError: true, reason: 'HTTP 500' }, [notFound, notFound]);
    expect(r.error).toBe('bank_unavailable');
  });

  it('454, then NEW: outcome_unknown', async () => {
    expect((await run({ kind: 'not_final', bankCode: 454 }, [found('NEW')])).error).toBe('outcome_unknown');
  });
});

describe('two attempts on one order (one store)', () => {
  it('an earlier attempt’s failure is never taken as this attempt’s outcome: a timeout after it stays unknown', async () => {
    const store = new MemoryStore();
    expect((await run(threeDs, [], store)).answer).toMatchObject({ status: '3ds' }); // A waits for 3-D Secure: the mark stays
    // B: the status call shows A failed at 3-D Secure, so B may go on; its cryptopay times out and the bank still shows
    // only A's failure: that says nothing about B.
    const b = await run(timeout, [found('3D', 'A')], store);
    expect([b.error, b.calls.cryptopay]).toEqual(['outcome_unknown', 1]);
  });

  it('after an unknown outcome, a retry within the settling window is 409 without cryptopay, unless the bank shows it paid', async () => {
    const store = new MemoryStore();
    expect((await run(timeout, [noAnswer], store)).error).toBe('outcome_unknown');
    const retry = await run({ kind: 'paid', id: 'B', reference: 'r' }, [notFound], store);
    expect([retry.error, retry.calls.cryptopay]).toEqual(['payment_in_progress', 0]);
    const paid = await run({ kind: 'paid', id: 'B', reference: 'r' }, [found('AUTH', 'A')], store);
    expect(paid.answer).toMatchObject({ status: 'paid', payment: { id: 'A' } });
    expect(paid.calls.cryptopay).toBe(0);
  });

  it('a retry after a decline asks the bank first, and never takes the earlier failure for its own', async () => {
    const store = new MemoryStore();
    expect((await run(refused(51), [found('FAILED', 'A')], store)).answer).toMatchObject({ status: 'declined' });
    // B's cryptopay times out while the bank still shows only A's failure: unknown, not "declined" with A's code.
    const b = await run(timeout, [found('FAILED', 'A')], store);
    expect([b.error, b.calls.cryptopay]).toEqual(['outcome_unknown', 1]);
  });

  it('a retry after a decline pays after one status call', async () => {
    const store = new MemoryStore();
    expect((await run(refused(51), [found('FAILED', 'A')], store)).answer).toMatchObject({ status: 'declined' });
    const next = await run({ kind: 'paid', id: 'B', reference: 'r' }, [found('FAILED', 'A')], store);
    expect(next.answer).toMatchObject({ status: 'paid', payment: { id: 'B' } });
    expect([next.calls.cryptopay, next.calls.status]).toEqual([1, 1]);
  });

  it('a refusal before any bank call on a fresh order leaves it free: the next attempt does not ask the bank first', async () => {
    const store = new MemoryStore();
    const { epay } = scriptedBank({ kind: 'paid', id: 'B', reference: 'r' }, []);
    const deps: PaymentDeps = {
      config,
      epay,
      store,
      sealer: createSealer('s'.repeat(40), '3ds-context'),
      appleTokens: { decrypt: async () => Promise.reject(new Error('unused')), checkShape: async () => {} },
    };
    const order: Order = {
      invoiceId: '000123456',
      amount: 1500,
      currency: 'KZT',
      exp: Math.floor(Date.now() / 1000) + 600,
    };
    const bad = new PaymentAttempt(order, { token: { paymentData: { header: { transactionId: 'not hex' } } } });
    await expect(takePayment(deps, bad)).rejects.toMatchObject({ code: 'token_invalid' });
    const next = await run({ kind: 'paid', id: 'B', reference: 'r' }, [], store);
    expect([next.answer?.status, next.calls.status]).toEqual(['paid', 0]);
  });
});

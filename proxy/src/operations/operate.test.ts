/**
 * The operations' money rules with a scripted bank: state checks, amounts, one operation per invoice, no blind
 * re-send, the status call settling an unclear answer, and a refund of unknown outcome blocking the next.
 */
import { describe, expect, it } from 'vitest';
import type { OperationOutcome, OperationRequest, StatusOutcome } from '../epay/client.js';
import { ProxyError } from '../errors.js';
import { MemoryStore } from '../store.js';
import { operate, type OperationDeps } from './operate.js';

const found = (statusName: string, amount = 1500): StatusOutcome => ({
  kind: 'found',
  statusName,
  id: 'P1',
  reference: 'ref',
  reasonCode: '00',
  message: '',
  amount,
  currency: 'KZT',
});

function bank(statuses: StatusOutcome[], outcomes: OperationOutcome[]) {
  const sent: OperationRequest[] = [];
  let s = 0;
  const epay: OperationDeps['epay'] = {
    status: async () => statuses[Math.min(s++, statuses.length - 1)]!,
    operation: async (request) => {
      sent.push(request);
      return outcomes[Math.min(sent.length - 1, outcomes.length - 1)]!;
    },
  };
  return { epay, sent, statusCalls: () => s };
}

async function run(deps: OperationDeps, input: Parameters<typeof operate>[1]) {
  try {
    return { answer: await operate(deps, input) };
  } catch (err) {
    if (!(err instanceof ProxyError)) throw err;
    return { error: err.code, details: err.details };
  }
}

const done: OperationOutcome = { kind: 'done' };
const lost: OperationOutcome = { kind: 'unknown', bankError: false, reason: 'UND_ERR_HEADERS_TIMEOUT' };

describe('operate', () => {
  it('captures an authorized payment: one status call, one charge with the bank id', async () => {
    const b = bank([found('AUTH')], [done]);
    const r = await run(
      { epay: b.epay, store: new MemoryStore() },
      { kind: 'charge', invoiceId: '000123456', requestId: 'k1' },
    );
    expect(r.answer?.payment).toMatchObject({ id: 'P1', state: 'charged', bankStatus: 'CHARGE', amount: 1500 });
    expect(b.sent).toEqual([{ kind: 'charge', id: 'P1' }]);
    expect(b.statusCalls()).toBe(1);
  });

  it.each([
    ['charge', 'CHARGE', 'charged'],
    ['cancel', 'CHARGE', 'charged'],
    ['refund', 'AUTH', 'authorized'],
    ['refund', 'CANCEL', 'cancelled'],
    ['charge', 'FAILED', 'failed'],
  ] as const)(
    'a %s of a %s payment is 409 invalid_state naming the state, nothing sent',
    async (kind, status, state) => {
      const b = bank([found(status)], [done]);
      const r = await run({ epay: b.epay, store: new MemoryStore() }, { kind, invoiceId: '000123456', requestId: 'k' });
      expect([r.error, r.details?.state]).toEqual(['invalid_state', state]);
      expect(b.sent).toEqual([]);
    },
  );

  it('amounts: more than the payment, a refund under 10, an amount on a cancel → invalid_amount, nothing sent', async () => {
    for (const [kind, status, amount] of [
      ['charge', 'AUTH', 1500.01],
      ['refund', 'CHARGE', 9.99],
      ['cancel', 'AUTH', 100],
    ] as const) {
      const b = bank([found(status)], [done]);
      const r = await run(
        { epay: b.epay, store: new MemoryStore() },
        { kind, invoiceId: '000123456', amount, requestId: 'k' },
      );
      expect(r.error).toBe('invalid_amount');
      expect(b.sent).toEqual([]);
    }
  });

  it('partial refunds never add up to more than the payment', async () => {
    const store = new MemoryStore();
    const b = bank([found('CHARGE'), found('PARTIAL_REFUND'), found('PARTIAL_REFUND')], [done]);
    const first = await run(
      { epay: b.epay, store },
      { kind: 'refund', invoiceId: '000123456', amount: 1000, requestId: 'a' },
    );
    expect(first.answer).toMatchObject({
      payment: { state: 'refunded', bankStatus: 'PARTIAL_REFUND' },
      refund: { amount: 1000 },
    });
    const tooMuch = await run(
      { epay: b.epay, store },
      { kind: 'refund', invoiceId: '000123456', amount: 500.01, requestId: 'b' },
    );
    expect(tooMuch.error).toBe('invalid_amount');
    const rest = await run(
      { epay: b.epay, store },
      { kind: 'refund', invoiceId: '000123456', amount: 500, requestId: 'c' },
    );
    expect(rest.answer?.payment).toMatchObject({ bankStatus: 'REFUND' });
    expect(b.sent.map((x) => x.amount)).toEqual([1000, 500]);
  });

  it('every refund carries an externalID derived from its request, the same for the same request', async () => {
    const b = bank([found('CHARGE')], [done]);
    await run(
      { epay: b.epay, store: new MemoryStore() },
      { kind: 'refund', invoiceId: '000123456', requestId: 'same' },
    );
    await run(
      { epay: b.epay, store: new MemoryStore() },
      { kind: 'refund', invoiceId: '000123456', requestId: 'same' },
    );
    expect(b.sent[0]!.externalId).toBe('r-same');
    expect(b.sent[1]!.externalId).toBe(b.sent[0]!.externalId);
  });

  it('one operation per invoice at a time: the second gets 409 operation_in_progress', async () => {
    let release: () => void = () => {};
    const slow: OperationDeps['epay'] = {
      status: async () => found('CHARGE'),
      operation: () =>
        new Promise((r) => {
          release = () => r(done);
        }),
    };
    const store = new MemoryStore();
    const first = run({ epay: slow, store }, { kind: 'refund', invoiceId: '000123456', amount: 100, requestId: 'a' });
    await new Promise((r) => setTimeout(r, 10));
    const second = await run(
      { epay: slow, store },
      { kind: 'refund', invoiceId: '000123456', amount: 100, requestId: 'b' },
    );
    expect(second.error).toBe('operation_in_progress');
    release();
    expect((await first).answer).toBeDefined();
  });

  it('no answer, then the status shows the charge: done, sent once', async () => {
    const b = bank([found('AUTH'), found('CHARGE')], [lost]);
    const r = await run(
      { epay: b.epay, store: new MemoryStore() },
      { kind: 'charge', invoiceId: '000123456', requestId: 'k' },
    );
    expect(r.answer?.payment.state).toBe('charged');
    expect(b.sent).toHaveLength(1);
  });

  it('no answer and the status never shows it: 504 outcome_unknown, never re-sent', async () => {
    const b = bank([found('AUTH')], [lost]);
    const r = await run(
      { epay: b.epay, store: new MemoryStore() },
      { kind: 'cancel', invoiceId: '000123456', requestId: 'k' },
    );
    expect(r.error).toBe('outcome_unknown');
    expect(b.sent).toHaveLength(1);
  });

  it('the bank’s own error, then the payment twice as before: nothing was done (502 bank_unavailable)', async () => {
    const b = bank([found('AUTH')], [{ kind: 'unknown', bankError: true, reason: 'HTTP 500' }]);
    const r = await run(
      { epay: b.epay, store: new MemoryStore() },
      { kind: 'charge', invoiceId: '000123456', requestId: 'k' },
    );
    expect(r.error).toBe('bank_unavailable');
  });

  it('a refund of unknown outcome blocks the next refund until the status shows it', async () => {
    const store = new MemoryStore();
    const unknown = bank([found('CHARGE')], [lost]);
    const r1 = await run(
      { epay: unknown.epay, store },
      { kind: 'refund', invoiceId: '000123456', amount: 100, requestId: 'a' },
    );
    expect(r1.error).toBe('outcome_unknown');
    const blocked = bank([found('CHARGE')], [done]);
    const r2 = await run(
      { epay: blocked.epay, store },
      { kind: 'refund', invoiceId: '000123456', amount: 100, requestId: 'b' },
    );
    expect(r2.error).toBe('operation_in_progress');
    expect(blocked.sent).toEqual([]);
    const shown = bank([found('PARTIAL_REFUND')], [done]);
    const r3 = await run(
      { epay: shown.epay, store },
      { kind: 'refund', invoiceId: '000123456', amount: 100, requestId: 'c' },
    );
    expect(r3.answer).toBeDefined();
  });

  it('a refusal is 409 operation_refused with the bank’s code; a refused token or no connection is 502', async () => {
    const refused = bank([found('AUTH')], [{ kind: 'refused', bankCode: 1040, message: 'Invalid state' }]);
    const r = await run(
      { epay: refused.epay, store: new MemoryStore() },
      { kind: 'charge', invoiceId: '000123456', requestId: 'k' },
    );
    expect([r.error, r.details?.bankCode]).toEqual(['operation_refused', 1040]);
    const notSent = bank([found('AUTH')], [{ kind: 'not_sent', reason: 'ECONNREFUSED' }]);
    expect(
      (
        await run(
          { epay: notSent.epay, store: new MemoryStore() },
          { kind: 'charge', invoiceId: '000123456', requestId: 'k' },
        )
      ).error,
    ).toBe('bank_unavailable');
  });

  it('the bank holding no payment is 404 payment_not_found; a status call without an answer is 502', async () => {
    const none = bank([{ kind: 'not_found' }], [done]);
    expect(
      (
        await run(
          { epay: none.epay, store: new MemoryStore() },
          { kind: 'charge', invoiceId: '000123456', requestId: 'k' },
        )
      ).error,
    ).toBe('payment_not_found');
    const silent = bank([{ kind: 'no_answer', reason: 'x' }], [done]);
    expect(
      (
        await run(
          { epay: silent.epay, store: new MemoryStore() },
          { kind: 'charge', invoiceId: '000123456', requestId: 'k' },
        )
      ).error,
    ).toBe('bank_unavailable');
  });
});

describe('operate, from the operations review', () => {
  it('the bank’s 500 on a partial refund of a partly refunded payment is unknown (the name cannot change), and blocks', async () => {
    const store = new MemoryStore();
    const b = bank([found('PARTIAL_REFUND')], [{ kind: 'unknown', bankError: true, reason: 'HTTP 500' }]);
    const r = await run(
      { epay: b.epay, store },
      { kind: 'refund', invoiceId: '000123456', amount: 100, requestId: 'a' },
    );
    expect(r.error).toBe('outcome_unknown');
    const next = bank([found('PARTIAL_REFUND')], [done]);
    expect(
      (await run({ epay: next.epay, store }, { kind: 'refund', invoiceId: '000123456', amount: 100, requestId: 'b' }))
        .error,
    ).toBe('operation_in_progress');
    expect(next.sent).toEqual([]);
  });

  it('a refund of unknown outcome that the bank later shows is counted: refunds never add up past the payment', async () => {
    const store = new MemoryStore();
    const lostRefund = bank([found('CHARGE', 1000)], [lost]);
    expect(
      (
        await run(
          { epay: lostRefund.epay, store },
          { kind: 'refund', invoiceId: '000123456', amount: 800, requestId: 'a' },
        )
      ).error,
    ).toBe('outcome_unknown');
    const later = bank([found('PARTIAL_REFUND', 1000)], [done]);
    const r = await run(
      { epay: later.epay, store },
      { kind: 'refund', invoiceId: '000123456', amount: 800, requestId: 'b' },
    );
    expect(r.error).toBe('invalid_amount');
    expect(later.sent).toEqual([]);
  });

  it('the books failing after the bank did it: 504, the invoice stays blocked, nothing sent twice', async () => {
    const store = new MemoryStore();
    const put = store.put.bind(store);
    store.put = async (...args) => {
      if (args[0].startsWith('op-books:')) throw new Error('store went away');
      return put(...args);
    };
    const b = bank([found('CHARGE', 1000)], [done]);
    expect(
      (await run({ epay: b.epay, store }, { kind: 'refund', invoiceId: '000123456', amount: 800, requestId: 'a' }))
        .error,
    ).toBe('outcome_unknown');
    const again = bank([found('CHARGE', 1000)], [done]);
    expect(
      (await run({ epay: again.epay, store }, { kind: 'refund', invoiceId: '000123456', amount: 800, requestId: 'a' }))
        .error,
    ).toBe('operation_in_progress');
    expect(again.sent).toEqual([]);
  });

  it('a capture of unknown outcome blocks the next capture or void', async () => {
    const store = new MemoryStore();
    expect(
      (
        await run(
          { epay: bank([found('AUTH')], [lost]).epay, store },
          { kind: 'charge', invoiceId: '000123456', requestId: 'a' },
        )
      ).error,
    ).toBe('outcome_unknown');
    const next = bank([found('AUTH')], [done]);
    expect(
      (await run({ epay: next.epay, store }, { kind: 'cancel', invoiceId: '000123456', requestId: 'b' })).error,
    ).toBe('operation_in_progress');
    expect(next.sent).toEqual([]);
  });

  it('after a partial capture, refunds are limited to what was captured', async () => {
    const store = new MemoryStore();
    expect(
      (
        await run(
          { epay: bank([found('AUTH', 1000)], [done]).epay, store },
          { kind: 'charge', invoiceId: '000123456', amount: 600, requestId: 'a' },
        )
      ).answer,
    ).toBeDefined();
    const r = await run(
      { epay: bank([found('CHARGE', 1000)], [done]).epay, store },
      { kind: 'refund', invoiceId: '000123456', amount: 601, requestId: 'b' },
    );
    expect(r.error).toBe('invalid_amount');
  });
});

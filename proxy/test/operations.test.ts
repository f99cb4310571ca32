/**
 * The operations API over real HTTP against the sandbox bank, unhappy cases first: every fault of an operation is
 * settled by the status call and never re-sent, idempotency keys make a retry harmless, and the ledger shows each
 * capture, void and refund done once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { post, type Stack, startStack, paidInvoice as harnessPaidInvoice } from './harness.js';

const KEY = 'operations-key-for-tests-0123456789abcdef';
let s: Stack;
let seq = 0;

beforeAll(async () => {
  // The sandbox's slow fault answers after 4 s: past the operation's own timeout in this stack (1.5 s).
  s = await startStack({ env: { OPERATIONS_API_KEYS: KEY }, bank: { slowMs: 4_000 } });
});
afterAll(() => s?.close());

const paidInvoice = (amount?: number) => harnessPaidInvoice(s, amount);

async function op(
  invoiceId: string,
  kind: 'charge' | 'cancel' | 'refund',
  body?: unknown,
  headers: Record<string, string> = {},
) {
  return post(`${s.url}/operations/payments/${invoiceId}/${kind}`, body === undefined ? '' : body, {
    authorization: `Bearer ${KEY}`,
    'idempotency-key': `k-${++seq}`,
    ...headers,
  });
}

const opsAt = (invoiceId: string, kind: string) =>
  s.bank.calls.filter(
    (c) => c.path.startsWith('/operation/') && c.path.endsWith(`/${kind}`) && c.invoiceId === invoiceId,
  );
const ledgerOf = (invoiceId: string) =>
  s.bank.ledger.byInvoice(invoiceId)[0] as unknown as {
    statusName: string;
    operations?: Array<{ kind: string; amount?: number }>;
  };

describe('authentication and bad input change nothing at the bank', () => {
  it('no key, a wrong key, or a key of another length → 401 unauthorized', async () => {
    const invoiceId = await paidInvoice();
    for (const authorization of [undefined, `Bearer ${KEY}x`, 'Bearer short', `Basic ${KEY}`]) {
      const r = await post(`${s.url}/operations/payments/${invoiceId}/cancel`, '', {
        'idempotency-key': 'k',
        ...(authorization ? { authorization } : {}),
      });
      expect([r.status, r.json.error.code]).toEqual([401, 'unauthorized']);
    }
    expect(ledgerOf(invoiceId).statusName).toBe('AUTH');
  });

  it('no CORS allow header, whatever the Origin', async () => {
    const invoiceId = await paidInvoice();
    const r = await fetch(`${s.url}/operations/payments/${invoiceId}`, {
      headers: { authorization: `Bearer ${KEY}`, origin: 'https://shop.example' },
    });
    expect(r.status).toBe(200);
    expect(r.headers.get('access-control-allow-origin')).toBeNull();
  });

  it.each([
    ['no Idempotency-Key', 'charge', {}, { 'idempotency-key': '' }, 400, 'idempotency_key_required'],
    ['an amount of 0', 'charge', { amount: 0 }, {}, 400, 'invalid_amount'],
    ['three decimals', 'charge', { amount: 1.001 }, {}, 400, 'invalid_amount'],
    ['an amount as a string', 'charge', { amount: '100' }, {}, 400, 'invalid_amount'],
    ['more than the payment', 'charge', { amount: 1500.01 }, {}, 400, 'invalid_amount'],
    ['an amount on a cancel', 'cancel', { amount: 100 }, {}, 400, 'invalid_amount'],
    ['an unknown field', 'charge', { amount: 100, extra: 1 }, {}, 400, 'invalid_request'],
    ['not JSON', 'charge', '{', {}, 400, 'invalid_request'],
    ['a refund of an AUTH', 'refund', {}, {}, 409, 'invalid_state'],
  ] as const)('%s → %s %s', async (_name, kind, body, headers, status, code) => {
    const invoiceId = await paidInvoice();
    const r = await op(invoiceId, kind, body, headers as Record<string, string>);
    expect([r.status, r.json.error.code]).toEqual([status, code]);
    expect(s.bank.calls.filter((c) => c.path.startsWith('/operation/') && c.invoiceId === invoiceId)).toEqual([]);
    expect(ledgerOf(invoiceId).statusName).toBe('AUTH');
  });

  it('an invoice the bank does not know → 404 payment_not_found; a malformed one → 400', async () => {
    expect((await op('000000000777', 'charge', {})).json.error.code).toBe('payment_not_found');
    expect((await op('12ab', 'charge', {})).json.error.code).toBe('invalid_request');
  });
});

describe('faults of the operation itself: settled by the status call, never re-sent', () => {
  it.each([
    ['no answer in time, done', 'hang', 200],
    ['garbage, done', 'garbage', 200],
    ['connection dropped after doing it', 'dropped_after', 200],
  ] as const)('%s → 200 charged from the status call, one charge at the bank', async (_name, fault, status) => {
    const invoiceId = await paidInvoice();
    s.bank.failNextOperation(fault);
    const r = await op(invoiceId, 'charge', {});
    expect([r.status, r.json.payment?.state]).toEqual([status, 'charged']);
    expect(opsAt(invoiceId, 'charge')).toHaveLength(1);
    expect(ledgerOf(invoiceId).statusName).toBe('CHARGE');
  });

  it('connection dropped before doing it → 504 outcome_unknown (nothing proves it was not done), never re-sent', async () => {
    const invoiceId = await paidInvoice();
    s.bank.failNextOperation('dropped_before');
    const r = await op(invoiceId, 'cancel', {});
    expect([r.status, r.json.error.code]).toEqual([504, 'outcome_unknown']);
    expect(opsAt(invoiceId, 'cancel')).toHaveLength(1);
    expect(ledgerOf(invoiceId).statusName).toBe('AUTH');
  });

  it('the bank’s own 500, and the payment twice as before → 502 bank_unavailable: nothing was done', async () => {
    const invoiceId = await paidInvoice();
    s.bank.failNextOperation('5xx');
    const r = await op(invoiceId, 'charge', {});
    expect([r.status, r.json.error.code]).toEqual([502, 'bank_unavailable']);
    expect(ledgerOf(invoiceId).statusName).toBe('AUTH');
  });

  it('a refund of unknown outcome blocks the next refund (409) until the bank shows it', async () => {
    const invoiceId = await paidInvoice();
    expect((await op(invoiceId, 'charge', {})).status).toBe(200);
    s.bank.failNextOperation('dropped_before');
    const r1 = await op(invoiceId, 'refund', { amount: 100 });
    expect(r1.json.error.code).toBe('outcome_unknown');
    const r2 = await op(invoiceId, 'refund', { amount: 100 });
    expect([r2.status, r2.json.error.code]).toEqual([409, 'operation_in_progress']);
    expect(opsAt(invoiceId, 'refund')).toHaveLength(1);
  });
});

describe('the happy paths, and retries made harmless', () => {
  it('capture part, then refund in parts up to the charge, never more; the ledger shows each once', async () => {
    const invoiceId = await paidInvoice();
    const charged = await op(invoiceId, 'charge', { amount: 1200 });
    expect([charged.status, charged.json.payment.state]).toEqual([200, 'charged']);
    const r1 = await op(invoiceId, 'refund', { amount: 1000 });
    expect(r1.json).toMatchObject({
      status: 'ok',
      payment: { state: 'refunded' },
      refund: { amount: 1000, externalId: expect.any(String) },
    });
    const tooMuch = await op(invoiceId, 'refund', { amount: 1500 });
    expect([tooMuch.status, tooMuch.json.error.code]).toEqual([400, 'invalid_amount']); // 200 left of the 1200 captured
    const r2 = await op(invoiceId, 'refund', { amount: 200 });
    expect(r2.status).toBe(200);
    const got = await fetch(`${s.url}/operations/payments/${invoiceId}`, {
      headers: { authorization: `Bearer ${KEY}` },
    });
    expect(((await got.json()) as any).payment).toMatchObject({ state: 'refunded', bankStatus: 'REFUND' });
    expect((ledgerOf(invoiceId).operations ?? []).map((o) => [o.kind, o.amount])).toEqual([
      ['charge', 1200],
      ['refund', 1000],
      ['refund', 200],
    ]);
  });

  it('void an authorization', async () => {
    const invoiceId = await paidInvoice();
    const r = await op(invoiceId, 'cancel');
    expect([r.status, r.json.payment.state]).toEqual([200, 'cancelled']);
    expect(ledgerOf(invoiceId).statusName).toBe('CANCEL');
  });

  it('the same Idempotency-Key again: the first answer, Idempotent-Replayed, no bank call; with another body: 422', async () => {
    const invoiceId = await paidInvoice();
    await op(invoiceId, 'charge', {});
    const headers = { 'idempotency-key': `refund-${invoiceId}` };
    const first = await op(invoiceId, 'refund', { amount: 500 }, headers);
    const mark = s.bank.calls.length;
    const again = await op(invoiceId, 'refund', { amount: 500 }, headers);
    expect([again.status, again.headers.get('idempotent-replayed')]).toEqual([200, 'true']);
    expect(again.json).toEqual(first.json);
    expect(s.bank.calls.length).toBe(mark);
    const other = await op(invoiceId, 'refund', { amount: 400 }, headers);
    expect([other.status, other.json.error.code]).toEqual([422, 'idempotency_key_reused']);
    expect(opsAt(invoiceId, 'refund')).toHaveLength(1);
  });

  it('ten concurrent refunds of one invoice never add up to more than its amount', async () => {
    const invoiceId = await paidInvoice();
    await op(invoiceId, 'charge', {});
    const answers = await Promise.all(Array.from({ length: 10 }, () => op(invoiceId, 'refund', { amount: 400 })));
    const ok = answers.filter((a) => a.status === 200).length;
    expect(ok).toBeGreaterThanOrEqual(1);
    expect(ok * 400).toBeLessThanOrEqual(1500);
    const refunded = (ledgerOf(invoiceId).operations ?? [])
      .filter((o) => o.kind === 'refund')
      .reduce((n, o) => n + (o.amount ?? 0), 0);
    expect(refunded).toBe(ok * 400);
    expect(answers.every((a) => [200, 400, 409].includes(a.status))).toBe(true);
  });

  it('secrets never appear in an answer or a log line', () => {
    const text = JSON.stringify(s.logs);
    expect(text).not.toContain(KEY);
    expect(text).not.toMatch(/Bearer /i);
  });
});

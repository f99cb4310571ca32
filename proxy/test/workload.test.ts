/** The workload's ledger check catches each way money can go wrong (the fault test and benchmarks rely on it). */
import { describe, expect, it } from 'vitest';
import type { BankCall, Charge } from '@epay-applepay/sandbox';
import { checkAgainstLedger, percentiles, type PaymentResult } from './workload.js';

const result = (
  invoiceId: string,
  outcome: string,
  expected: PaymentResult['expected'] = 'paid',
  paymentId?: string,
): PaymentResult => ({
  invoiceId,
  scenario: expected === 'paid' ? '00' : expected === 'declined' ? '05' : '11',
  expected,
  status: 200,
  outcome,
  sentAt: 0,
  ms: 1,
  ...(paymentId ? { paymentId } : {}),
});
const charge = (invoiceId: string, id = `tx-${invoiceId}`, statusName: Charge['statusName'] = 'AUTH'): Charge => ({
  id,
  invoiceId,
  amount: 1,
  currency: 'KZT',
  reference: 'r',
  statusName,
  reasonCode: '00',
  cardMask: '440043******0001',
  createdAt: new Date(0),
});
const cryptopay = (invoiceId: string): BankCall => ({
  method: 'POST',
  path: '/payment/cryptopay',
  invoiceId,
  at: 0,
  status: 200,
});

describe('checkAgainstLedger', () => {
  it('passes a consistent run', () => {
    const problems = checkAgainstLedger(
      [result('1', 'paid', 'paid', 'tx-1'), result('2', 'declined', 'declined'), result('3', '3ds', '3ds')],
      [charge('1'), charge('2', 'tx-2', 'FAILED'), charge('3', 'tx-3', '3D')],
      [cryptopay('1'), cryptopay('2'), cryptopay('3')],
      { faults: false },
    );
    expect(problems).toEqual([]);
  });

  it.each([
    ['a double charge', [result('1', 'paid', 'paid')], [charge('1', 'a'), charge('1', 'b')], [], /charged 2 times/],
    ['paid without a charge', [result('1', 'paid')], [], [], /holds 0 charges/],
    ['paid with another id', [result('1', 'paid', 'paid', 'x')], [charge('1', 'y')], [], /another id/],
    ['declined but charged', [result('1', 'declined', 'declined')], [charge('1')], [], /holds a charge/],
    ['a decline answered as paid', [result('1', 'paid', 'declined')], [charge('1')], [], /expected declined/],
    ['an indefinite answer on a healthy bank', [result('1', 'outcome_unknown')], [], [], /expected paid/],
    ['an internal error', [result('1', 'internal_error')], [], [], /expected paid/],
    [
      'cryptopay sent twice',
      [result('1', 'paid')],
      [charge('1')],
      [cryptopay('1'), cryptopay('1')],
      /cryptopay sent 2 times/,
    ],
  ] as const)('flags %s', (_name, results, ledger, calls, problem) => {
    const problems = checkAgainstLedger(results, ledger, calls, { faults: false });
    expect(problems.join('\n')).toMatch(problem);
  });

  it('under faults, allows open or unsent outcomes, but not outcome_unknown without the status call', () => {
    const ok = checkAgainstLedger(
      [result('1', 'outcome_unknown'), result('2', 'bank_unavailable')],
      [charge('1')],
      [],
      {
        faults: true,
        statusTried: () => true,
      },
    );
    expect(ok).toEqual([]);
    const unsent = checkAgainstLedger([result('2', 'bank_unavailable')], [charge('2')], [], { faults: true });
    expect(unsent.join()).toMatch(/holds a charge/);
    const untried = checkAgainstLedger([result('1', 'outcome_unknown')], [], [], {
      faults: true,
      statusTried: () => false,
    });
    expect(untried.join()).toMatch(/without a status call/);
  });
});

describe('percentiles', () => {
  it('takes the nearest rank', () => {
    const ms = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentiles(ms)).toEqual({ p50: 50, p90: 90, p99: 99, max: 100 });
  });
});

/** The one status poller, against a scripted bank: what each reading proves, and what it does not. */
import { describe, expect, it } from 'vitest';
import type { StatusOutcome } from '../epay/client.js';
import { ANY_FAILURE, settle, type SettleOptions } from './settle.js';

const scope = { invoiceId: '000123456', amount: 1500, currency: 'KZT' };
const found = (statusName: string, id = 'p1'): StatusOutcome => ({
  kind: 'found',
  statusName,
  id,
  reference: 'r',
  reasonCode: '05',
  message: 'm',
});

function bank(readings: StatusOutcome[]) {
  let calls = 0;
  return {
    get calls() {
      return calls;
    },
    status: async () => readings[Math.min(calls++, readings.length - 1)]!,
  };
}

const run = (readings: StatusOutcome[], o: Partial<SettleOptions> = {}) => {
  const b = bank(readings);
  return settle(b, scope, Date.now() + 10_000, { attempts: 3, intervalMs: 1, notFoundProofs: 0, ...o }).then((r) => ({
    r,
    calls: b.calls,
  }));
};

describe('settle', () => {
  it.each(['AUTH', 'CHARGE'])('%s is paid', async (name) => {
    expect((await run([found(name)])).r).toEqual({ kind: 'paid', id: 'p1', reference: 'r' });
  });

  it.each(['FAILED', 'REJECT', '3D', 'CANCEL', 'CANCEL_OLD'])('%s is unpaid', async (name) => {
    expect((await run([found(name)])).r).toMatchObject({ kind: 'unpaid', statusName: name, reasonCode: '05' });
  });

  it('NEW is open: asked again, and unknown at the end', async () => {
    expect(await run([found('NEW')])).toEqual({ r: { kind: 'unknown', open: true, reason: 'status: NEW' }, calls: 3 });
    expect((await run([found('NEW'), found('AUTH')])).r.kind).toBe('paid');
  });

  it('"not found" proves nothing unless asked for, and then only so many times in a row', async () => {
    const nf: StatusOutcome = { kind: 'not_found' };
    const none: StatusOutcome = { kind: 'no_answer', reason: 'x' };
    expect((await run([nf])).r).toMatchObject({ kind: 'unknown', open: false });
    expect((await run([nf], { notFoundProofs: 1 })).r).toEqual({ kind: 'not_found' });
    expect((await run([nf, none, nf], { notFoundProofs: 2 })).r.kind).toBe('unknown');
    expect(await run([nf, nf], { notFoundProofs: 2 })).toEqual({ r: { kind: 'not_found' }, calls: 2 });
  });

  it('an earlier attempt’s failure, or another payment of the invoice, is not this payment’s outcome', async () => {
    expect((await run([found('FAILED', 'old')], { staleFailures: new Set(['old']) })).r).toMatchObject({
      kind: 'unknown',
      open: false,
    });
    expect((await run([found('FAILED', 'new')], { staleFailures: new Set([ANY_FAILURE]) })).r.kind).toBe('unknown');
    expect((await run([found('AUTH', 'old')], { staleFailures: new Set(['old']) })).r.kind).toBe('paid');
    expect((await run([found('AUTH', 'other')], { paymentId: 'mine' })).r.kind).toBe('unknown');
  });

  it('stops when the deadline leaves no room for a pause and another call', async () => {
    const b = bank([found('NEW')]);
    await settle(b, scope, Date.now() + 50, { attempts: 5, intervalMs: 1_000, notFoundProofs: 0 });
    expect(b.calls).toBe(1);
  });
});

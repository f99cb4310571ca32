import type { KeyObject } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFaultPicker, FAULT_KINDS, mulberry32 } from './faults.js';
import { startFakeEpay } from './server.js';
import { parsePublicKeyText, testKeyPem, tokenForm } from './test-support.js';
import type { BankCall, FakeEpay, FaultKind } from './types.js';

const SLOW_MS = 200;

describe('mulberry32 and the fault picker', () => {
  it('is fully determined by its seed', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const first = [a(), a(), a()];
    expect([b(), b(), b()]).toEqual(first);
    expect(first[0]).toBe(0.6011037519201636);
    expect(mulberry32(43)()).not.toBe(first[0]);
  });

  it('faults about `rate` of the calls, with every kind, reproducibly', () => {
    const draw = (seed: number) => {
      const pick = createFaultPicker({ rate: 0.3, seed });
      return Array.from({ length: 2000 }, () => pick());
    };
    const picks = draw(7);
    expect(draw(7)).toEqual(picks);
    expect(draw(8)).not.toEqual(picks);
    const faulted = picks.filter((p) => p !== undefined);
    expect(faulted.length / picks.length).toBeGreaterThan(0.25);
    expect(faulted.length / picks.length).toBeLessThan(0.35);
    expect(new Set(faulted)).toEqual(new Set(FAULT_KINDS));
  });

  it('refuses a rate outside [0, 1]', () => {
    expect(() => createFaultPicker({ rate: 1.5, seed: 1 })).toThrow(RangeError);
  });
});

describe('faults over HTTP', () => {
  let publicKey: KeyObject;
  const banks: FakeEpay[] = [];
  beforeAll(async () => {
    const plain = await startFakeEpay({ privateKeyPem: testKeyPem() });
    banks.push(plain);
    publicKey = parsePublicKeyText(await (await fetch(`${plain.url}/public.rsa`)).text());
  });
  afterAll(() => Promise.all(banks.map((b) => b.close())));

  /** Asks for tokens N times and reports what each call looked like from the outside. */
  async function run(seed: number, count: number) {
    const bank = await startFakeEpay({ privateKeyPem: testKeyPem(), faults: { rate: 0.5, seed }, slowMs: SLOW_MS });
    banks.push(bank);
    const seen: string[] = [];
    for (let i = 0; i < count; i += 1) {
      const started = Date.now();
      try {
        const res = await fetch(bank.oauthUrl, {
          method: 'POST',
          body: new URLSearchParams(tokenForm(`80000000${String(i).padStart(4, '0')}`, '100')),
        });
        const text = await res.text();
        const slow = Date.now() - started >= SLOW_MS - 10;
        const kind = res.status >= 500 ? '5xx' : text.startsWith('<!DOCTYPE html>') ? 'garbage' : slow ? 'slow' : 'ok';
        seen.push(kind);
      } catch {
        seen.push('dropped');
      }
    }
    return { bank, seen };
  }

  it('breaks the same calls the same way for the same seed, each as its recorded kind', async () => {
    const first = await run(1234, 16);
    const second = await run(1234, 16);
    expect(second.seen).toEqual(first.seen);
    const recorded = (calls: BankCall[]) => calls.map((c): FaultKind | 'ok' => c.fault ?? 'ok');
    expect(recorded(first.bank.calls)).toEqual(first.seen);
    expect(recorded(second.bank.calls)).toEqual(recorded(first.bank.calls));
    expect(first.seen.some((k) => k !== 'ok')).toBe(true);
    expect(first.seen.some((k) => k === 'ok')).toBe(true);
    const other = await run(99, 16);
    expect(other.seen).not.toEqual(first.seen);
  });

  it('never faults the public key', async () => {
    const bank = await startFakeEpay({ privateKeyPem: testKeyPem(), faults: { rate: 1, seed: 5 } });
    banks.push(bank);
    const res = await fetch(`${bank.apiUrl}/public.rsa`);
    expect(res.status).toBe(200);
    expect(parsePublicKeyText(await res.text()).equals(publicKey)).toBe(true);
  });
});

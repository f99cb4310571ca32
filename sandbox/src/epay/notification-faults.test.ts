import { describe, expect, it } from 'vitest';
import {
  checkNotificationFaults,
  createNotificationFaultPicker,
  DUPLICATE_DELAY_MAX_MS,
  DUPLICATE_DELAY_MIN_MS,
  type NotificationFaultPlan,
} from './notification-faults.js';
import { startFakeEpay } from './server.js';
import { createFakeEpayState } from './state.js';
import { testKeyPem } from './test-support.js';

const draw = (faults: unknown, count: number): NotificationFaultPlan[] => {
  const pick = createNotificationFaultPicker(checkNotificationFaults(faults));
  return Array.from({ length: count }, () => pick());
};

describe('checkNotificationFaults', () => {
  it('fills in the defaults: every share 0, seed 1, lateMs 2000', () => {
    const off = { seed: 1, lost: 0, duplicated: 0, late: 0, lateMs: 2000, forged: 0 };
    expect(checkNotificationFaults(undefined)).toEqual(off);
    expect(checkNotificationFaults({})).toEqual(off);
    expect(checkNotificationFaults({ seed: 9, late: 0.25, lateMs: 0 })).toEqual({
      ...off,
      seed: 9,
      late: 0.25,
      lateMs: 0,
    });
    expect(checkNotificationFaults({ lost: 1, duplicated: 1, late: 1, forged: 1 })).toMatchObject({
      lost: 1,
      duplicated: 1,
      late: 1,
      forged: 1,
    });
  });

  it.each([
    [{ lost: 1.01 }, 'lost'],
    [{ duplicated: -0.1 }, 'duplicated'],
    [{ late: Number.NaN }, 'late'],
    [{ forged: '0.5' }, 'forged'],
    [{ forged: null }, 'forged'],
    [{ seed: 1.5 }, 'seed'],
    [{ seed: Number.POSITIVE_INFINITY }, 'seed'],
    [{ lateMs: -1 }, 'lateMs'],
    [{ lateMs: Number.POSITIVE_INFINITY }, 'lateMs'],
    [{ lateMs: 2 ** 31 }, 'lateMs'],
    [{ slow: 0.5 }, 'slow: unknown field'],
  ])('refuses %o with a RangeError naming %s', (faults, named) => {
    expect(() => checkNotificationFaults(faults)).toThrow(RangeError);
    expect(() => checkNotificationFaults(faults)).toThrow(named);
  });

  it('names every problem in one message, and refuses what is not an object', () => {
    expect(() => checkNotificationFaults({ lost: 2, late: -1, extra: true })).toThrow(
      'notificationFaults: extra: unknown field; lost: must be a number from 0 to 1; late: must be a number from 0 to 1',
    );
    for (const bad of [null, [], 'lost', 0.5]) expect(() => checkNotificationFaults(bad)).toThrow(RangeError);
  });
});

describe('createNotificationFaultPicker', () => {
  it('is fully determined by its seed', () => {
    const faults = { seed: 42, lost: 0.5, duplicated: 0.5, late: 0.5, forged: 0.5 };
    const first = draw(faults, 40);
    expect(draw(faults, 40)).toEqual(first);
    expect(draw({ ...faults, seed: 43 }, 40)).not.toEqual(first);
    for (const kind of ['lost', 'duplicated', 'late', 'forged'] as const) {
      const chosen = first.filter((plan) => plan[kind]).length;
      expect(chosen).toBeGreaterThan(8);
      expect(chosen).toBeLessThan(32);
    }
  });

  it('never picks a share of 0 and always picks a share of 1', () => {
    expect(draw({ seed: 3 }, 200).some((p) => p.lost || p.duplicated || p.late || p.forged)).toBe(false);
    const all = draw({ seed: 3, lost: 1, duplicated: 1, late: 1, forged: 1 }, 200);
    expect(all.every((p) => p.lost && p.duplicated && p.late && p.forged)).toBe(true);
  });

  it('draws the same numbers whatever the shares: raising one share changes no other choice', () => {
    const late = draw({ seed: 11, late: 0.5 }, 100).map((p) => p.late);
    const withOthers = draw({ seed: 11, late: 0.5, lost: 0.9, duplicated: 0.3, forged: 0.7 }, 100).map((p) => p.late);
    expect(withOthers).toEqual(late);
  });

  it(`spreads duplicate delays over ${DUPLICATE_DELAY_MIN_MS}..${DUPLICATE_DELAY_MAX_MS} ms`, () => {
    const delays = draw({ seed: 5, duplicated: 1 }, 500).map((p) => p.duplicateDelayMs);
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(DUPLICATE_DELAY_MIN_MS);
    expect(Math.max(...delays)).toBeLessThanOrEqual(DUPLICATE_DELAY_MAX_MS);
    expect(new Set(delays).size).toBeGreaterThan(50);
    expect(delays.every(Number.isInteger)).toBe(true);
  });
});

describe('options checked at construction', () => {
  it('refuses bad notificationFaults before the bank starts', async () => {
    await expect(startFakeEpay({ privateKeyPem: testKeyPem(), notificationFaults: { lost: 1.5 } })).rejects.toThrow(
      RangeError,
    );
    await expect(
      createFakeEpayState({ privateKeyPem: testKeyPem(), notificationFaults: { forged: Number.NaN } }),
    ).rejects.toThrow(RangeError);
  });

  it('refuses a threeDsSelfCompleteMs of 0, below 0, NaN, Infinity or beyond a timer; takes false for never', async () => {
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31]) {
      await expect(createFakeEpayState({ privateKeyPem: testKeyPem(), threeDsSelfCompleteMs: bad })).rejects.toThrow(
        /threeDsSelfCompleteMs/,
      );
    }
    const never = await createFakeEpayState({ privateKeyPem: testKeyPem(), threeDsSelfCompleteMs: false });
    expect(never.config.threeDsSelfCompleteMs).toBe(false);
    const byDefault = await createFakeEpayState({ privateKeyPem: testKeyPem() });
    expect(byDefault.config.threeDsSelfCompleteMs).toBe(10_000);
    const quick = await createFakeEpayState({ privateKeyPem: testKeyPem(), threeDsSelfCompleteMs: 1 });
    expect(quick.config.threeDsSelfCompleteMs).toBe(1);
  });
});

/** MemoryStore: claim once until released or expired, and a map that neither grows without bound nor slows down. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryStore } from './store.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('MemoryStore', () => {
  it('claims a key once until it is released or expires', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const store = new MemoryStore();
    expect(await store.claim('k', 1_000)).toBe(true);
    expect(await store.claim('k', 1_000)).toBe(false);
    await store.release('k');
    expect(await store.claim('k', 1_000)).toBe(true);
    vi.advanceTimersByTime(1_000);
    expect(await store.claim('k', 1_000)).toBe(true);
  });

  it('sweeps expired keys, so memory stays flat under a steady load', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const store = new MemoryStore();
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 8_000; i++) await store.claim(`r${round}:${i}`, 1_000);
      vi.advanceTimersByTime(2_000); // this round's keys expire
    }
    expect(store.size).toBeLessThanOrEqual(16_000);
  });

  it('does not scan every entry on every claim when most keys are live', async () => {
    const store = new MemoryStore();
    for (let i = 0; i < 60_000; i++) await store.claim(`live:${i}`, 600_000);
    expect(store.size).toBe(60_000);
    // Sweeps at 10,000, 20,000 and 40,000 entries: the map doubles between them. A sweep on every claim past 10,000
    // would be 50,000 sweeps here.
    expect(store.sweeps).toBe(3);
  });
});

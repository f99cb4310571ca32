/** @module Seeded, reproducible fault injection for bank calls. */
import type { FaultKind } from './types.js';

/** In a fixed order, so that a seed always maps to the same kinds. */
export const FAULT_KINDS: readonly FaultKind[] = ['slow', '5xx', 'garbage', 'dropped'];

/**
 * mulberry32: a tiny 32-bit PRNG, good enough to spread faults and fully determined by its seed.
 *
 * @example
 * ```ts
 * const next = mulberry32(42);
 * next(); // 0.6011037519201636, always, for seed 42
 * ```
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A fault picker: each call draws twice (whether, then which), so the sequence of kinds for a
 * seed does not depend on the rate, and the same sequence of calls always faults the same way.
 *
 * @example
 * ```ts
 * const pick = createFaultPicker({ rate: 0.2, seed: 7 });
 * pick(); // undefined or one of 'slow' | '5xx' | 'garbage' | 'dropped'
 * ```
 */
export function createFaultPicker(options: { rate: number; seed: number }): () => FaultKind | undefined {
  if (!(options.rate >= 0 && options.rate <= 1)) throw new RangeError('faults.rate must be between 0 and 1');
  if (!Number.isInteger(options.seed)) throw new RangeError('faults.seed must be an integer');
  const next = mulberry32(options.seed);
  return () => {
    const happens = next() < options.rate;
    const kind = FAULT_KINDS[Math.floor(next() * FAULT_KINDS.length)];
    return happens ? kind : undefined;
  };
}

/** @module Seeded, reproducible faults in the bank's notifications: which are lost, sent twice, sent late or forged. */
import { mulberry32 } from './faults.js';
import { MAX_TIMER_MS } from './timer-limits.js';
import type { NotificationFaultConfig, NotificationFaultKind } from './types.js';

/** In a fixed order: the order of the PRNG draws and of a notification's `faults`. */
export const NOTIFICATION_FAULT_KINDS: readonly NotificationFaultKind[] = ['lost', 'duplicated', 'late', 'forged'];
/** The seed when none is given. */
export const DEFAULT_NOTIFICATION_FAULT_SEED = 1;
/** How long a late notification waits by default: after any prompt confirm, before a patient client gives up. */
export const DEFAULT_LATE_MS = 2_000;
/** A duplicate follows its first delivery by this much at least… */
export const DUPLICATE_DELAY_MIN_MS = 50;
/** …and at most. */
export const DUPLICATE_DELAY_MAX_MS = 200;

/** Faults off: every share 0. */
export const NO_NOTIFICATION_FAULTS: Readonly<NotificationFaultConfig> = Object.freeze({
  seed: DEFAULT_NOTIFICATION_FAULT_SEED,
  lost: 0,
  duplicated: 0,
  late: 0,
  lateMs: DEFAULT_LATE_MS,
  forged: 0,
});

const SHARE_KEYS = ['lost', 'duplicated', 'late', 'forged'] as const;
const KNOWN_KEYS: ReadonlySet<string> = new Set(['seed', 'lateMs', ...SHARE_KEYS]);

/** What the PRNG decided for one notification. */
export interface NotificationFaultPlan {
  lost: boolean;
  duplicated: boolean;
  late: boolean;
  forged: boolean;
  /** How long after the first delivery the duplicate goes, whether or not it is duplicated. */
  duplicateDelayMs: number;
}

/**
 * Validates notification faults (from the options or the control route's JSON) and fills in the defaults;
 * `undefined` is "off". Throws one RangeError naming every problem: an unknown field, a share that is not a number
 * from 0 to 1 (NaN included), a seed that is not an integer, a `lateMs` that is not a number from 0 to 2^31-1.
 *
 * @example
 * ```ts
 * checkNotificationFaults({ lost: 0.5 }); // { seed: 1, lost: 0.5, duplicated: 0, late: 0, lateMs: 2000, forged: 0 }
 * checkNotificationFaults({ lost: 2 }); // throws RangeError
 * ```
 */
export function checkNotificationFaults(input: unknown): NotificationFaultConfig {
  if (input === undefined) return { ...NO_NOTIFICATION_FAULTS };
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new RangeError('notificationFaults must be an object');
  }
  const record = input as Record<string, unknown>;
  const problems = Object.keys(record)
    .filter((key) => !KNOWN_KEYS.has(key))
    .map((key) => `${key}: unknown field`);
  const config: NotificationFaultConfig = { ...NO_NOTIFICATION_FAULTS };
  for (const key of SHARE_KEYS) {
    const value = record[key];
    if (value === undefined) continue;
    if (typeof value === 'number' && value >= 0 && value <= 1) config[key] = value;
    else problems.push(`${key}: must be a number from 0 to 1`);
  }
  if (record.seed !== undefined) {
    if (typeof record.seed === 'number' && Number.isInteger(record.seed)) config.seed = record.seed;
    else problems.push('seed: must be an integer');
  }
  if (record.lateMs !== undefined) {
    const lateMs = record.lateMs;
    if (typeof lateMs === 'number' && lateMs >= 0 && lateMs <= MAX_TIMER_MS) config.lateMs = lateMs;
    else problems.push(`lateMs: must be a number from 0 to ${MAX_TIMER_MS}`);
  }
  if (problems.length > 0) throw new RangeError(`notificationFaults: ${problems.join('; ')}`);
  return config;
}

/**
 * A picker of notification faults. Each call draws five numbers, in a fixed order (lost, duplicated, late, forged,
 * the duplicate's delay), whatever the shares: so the n-th notification after a seed is set always gets the same
 * draws, and raising one share never reshuffles the others.
 *
 * @example
 * ```ts
 * const pick = createNotificationFaultPicker(checkNotificationFaults({ seed: 7, late: 0.5 }));
 * pick(); // { lost: false, duplicated: false, late: true, forged: false, duplicateDelayMs: 131 }, say
 * ```
 */
export function createNotificationFaultPicker(config: NotificationFaultConfig): () => NotificationFaultPlan {
  const next = mulberry32(config.seed);
  const spread = DUPLICATE_DELAY_MAX_MS - DUPLICATE_DELAY_MIN_MS + 1;
  return () => {
    const lost = next() < config.lost;
    const duplicated = next() < config.duplicated;
    const late = next() < config.late;
    const forged = next() < config.forged;
    const duplicateDelayMs = DUPLICATE_DELAY_MIN_MS + Math.floor(next() * spread);
    return { lost, duplicated, late, forged, duplicateDelayMs };
  };
}

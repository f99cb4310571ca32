/**
 * @module The background jobs behind events (docs/webhooks.md): a queue that runs each job until it is done, retrying
 * with exponential backoff for a bounded time, and that adds a job only once per id. Two implementations: in memory
 * (`memory-queue.ts`, one instance, lost on restart) and BullMQ on the shared Redis (`bullmq-queue.ts`).
 */

/** The schedule of deliveries and status checks. The defaults are the contract's; tests shorten them. */
export interface EventTiming {
  /** A delivery that has no 2xx answer by then has failed (the contract: 10 seconds). */
  deliveryTimeoutMs: number;
  /** Delay before the first retry (the contract: within a minute). */
  firstRetryMs: number;
  /** Retries double up to this delay (the contract: one hour). */
  maxRetryMs: number;
  /** A job not done this long after it was added is given up (the contract: 24 hours). */
  giveUpAfterMs: number;
  /** First status check of a payment answered `3ds` or `outcome_unknown` (the customer needs time at the bank). */
  reconcileFirstMs: number;
  /** A finished job's id is remembered this long, so the same fact added again is not done twice. */
  keepDoneMs: number;
}

export const DEFAULT_EVENT_TIMING: EventTiming = {
  deliveryTimeoutMs: 10_000,
  firstRetryMs: 30_000,
  maxRetryMs: 60 * 60_000,
  giveUpAfterMs: 24 * 60 * 60_000,
  reconcileFirstMs: 60_000,
  keepDoneMs: 7 * 24 * 60 * 60_000,
};

/** What a handler learns about the job it runs. */
export interface JobInfo {
  id: string;
  /** Runs that failed before this one. */
  attemptsMade: number;
  /** When the job was first added (ms since the epoch). */
  createdAt: number;
}

/** A handler throws this when the job cannot be done now: it runs again after the backoff. */
export class RetryLater extends Error {
  override readonly name = 'RetryLater';
}

/** A handler throws this when the job can never be done (it is dropped, not retried). */
export class GiveUp extends Error {
  override readonly name = 'GiveUp';
}

export type JobHandler<T> = (data: T, info: JobInfo) => Promise<void>;

/** What the queue tells its owner (logs and metrics). */
export type JobQueueEvent =
  | { kind: 'done'; id: string; attemptsMade: number }
  | { kind: 'retry'; id: string; attemptsMade: number; delayMs: number; reason: string }
  | { kind: 'gave_up'; id: string; attemptsMade: number; reason: string };

export interface JobQueue<T> {
  /**
   * Adds a job unless one with this id is pending or was finished within {@link EventTiming.keepDoneMs}: two
   * sources (or two instances) adding one fact make one job. Rejects when the queue's store does not answer.
   */
  add(id: string, data: T, options?: { delayMs?: number }): Promise<void>;
  /** Jobs waiting, delayed or running. */
  pending(): Promise<number>;
  /** Stops taking jobs, lets running ones finish, releases connections. */
  close(): Promise<void>;
}

/**
 * The delay before run `attemptsMade + 1`, or `undefined` when the job is given up: the first retry after
 * `firstRetryMs`, then doubling, capped at `maxRetryMs`, the last one at the give-up time.
 *
 * @example
 * ```ts
 * retryDelayMs(1, createdAt, Date.now(), DEFAULT_EVENT_TIMING); // 30_000
 * ```
 */
export function retryDelayMs(
  attemptsMade: number,
  createdAt: number,
  now: number,
  timing: EventTiming,
): number | undefined {
  const left = createdAt + timing.giveUpAfterMs - now;
  if (left <= 0) return undefined;
  const exponent = Math.min(Math.max(attemptsMade - 1, 0), 30);
  return Math.min(timing.firstRetryMs * 2 ** exponent, timing.maxRetryMs, left);
}

/**
 * @module The in-memory job queue: one instance, jobs lost on restart (docs/webhooks.md says so). Written here rather
 * than taken from a library because the only well-kept queues with delayed retries and job ids (BullMQ, Bee-Queue)
 * need Redis, which this mode exists to do without; it is timers and two maps.
 */
import {
  GiveUp,
  type EventTiming,
  type JobHandler,
  type JobQueue,
  type JobQueueEvent,
  retryDelayMs,
} from './job-queue.js';

/** Jobs run at once at most; more wait their turn. */
export const MEMORY_QUEUE_CONCURRENCY = 8;
/** Remembered finished ids are swept when there are more than this many. */
const SWEEP_AT = 10_000;

interface Job<T> {
  id: string;
  data: T;
  attemptsMade: number;
  createdAt: number;
  timer?: NodeJS.Timeout;
}

export interface MemoryJobQueueOptions<T> {
  handler: JobHandler<T>;
  timing: EventTiming;
  onEvent?: (event: JobQueueEvent) => void;
  concurrency?: number;
}

/**
 * @example
 * ```ts
 * const q = new MemoryJobQueue({ handler: async (data) => send(data), timing: DEFAULT_EVENT_TIMING });
 * await q.add('evt_1', { body });
 * ```
 */
export class MemoryJobQueue<T> implements JobQueue<T> {
  readonly #jobs = new Map<string, Job<T>>();
  /** Finished job ids and until when they are remembered. */
  readonly #done = new Map<string, number>();
  readonly #ready: Job<T>[] = [];
  readonly #running = new Set<Promise<void>>();
  readonly #options: MemoryJobQueueOptions<T>;
  #closed = false;
  #sweepAt = SWEEP_AT;

  constructor(options: MemoryJobQueueOptions<T>) {
    this.#options = options;
  }

  async add(id: string, data: T, options: { delayMs?: number } = {}): Promise<void> {
    if (this.#closed || this.#jobs.has(id)) return;
    const now = Date.now();
    const doneUntil = this.#done.get(id);
    if (doneUntil !== undefined && doneUntil > now) return;
    const job: Job<T> = { id, data, attemptsMade: 0, createdAt: now };
    this.#jobs.set(id, job);
    this.#schedule(job, options.delayMs ?? 0);
  }

  async pending(): Promise<number> {
    return this.#jobs.size;
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const job of this.#jobs.values()) clearTimeout(job.timer);
    this.#ready.length = 0;
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
    this.#jobs.clear();
  }

  #schedule(job: Job<T>, delayMs: number): void {
    if (delayMs <= 0) {
      this.#ready.push(job);
      this.#pump();
      return;
    }
    // unref: a pending retry hours away must not keep a process alive that is otherwise done (tests, the CLI).
    job.timer = setTimeout(() => {
      job.timer = undefined;
      this.#ready.push(job);
      this.#pump();
    }, delayMs).unref();
  }

  #pump(): void {
    const limit = this.#options.concurrency ?? MEMORY_QUEUE_CONCURRENCY;
    while (!this.#closed && this.#running.size < limit && this.#ready.length > 0) {
      const job = this.#ready.shift() as Job<T>;
      const run = this.#run(job).finally(() => {
        this.#running.delete(run);
        this.#pump();
      });
      this.#running.add(run);
    }
  }

  async #run(job: Job<T>): Promise<void> {
    const emit = this.#options.onEvent ?? (() => {});
    try {
      await this.#options.handler(job.data, { id: job.id, attemptsMade: job.attemptsMade, createdAt: job.createdAt });
      this.#finish(job);
      emit({ kind: 'done', id: job.id, attemptsMade: job.attemptsMade });
    } catch (err) {
      job.attemptsMade++;
      const reason = err instanceof Error ? err.message : 'failed';
      const delayMs =
        err instanceof GiveUp
          ? undefined
          : retryDelayMs(job.attemptsMade, job.createdAt, Date.now(), this.#options.timing);
      if (delayMs === undefined || this.#closed) {
        this.#finish(job);
        if (!this.#closed) emit({ kind: 'gave_up', id: job.id, attemptsMade: job.attemptsMade, reason });
        return;
      }
      emit({ kind: 'retry', id: job.id, attemptsMade: job.attemptsMade, delayMs, reason });
      this.#schedule(job, delayMs);
    }
  }

  #finish(job: Job<T>): void {
    this.#jobs.delete(job.id);
    const now = Date.now();
    if (this.#done.size >= this.#sweepAt) {
      for (const [id, until] of this.#done) if (until <= now) this.#done.delete(id);
      this.#sweepAt = Math.max(SWEEP_AT, this.#done.size * 2);
    }
    this.#done.set(job.id, now + this.#options.timing.keepDoneMs);
  }
}

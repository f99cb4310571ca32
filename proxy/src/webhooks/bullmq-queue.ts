/**
 * @module The job queue on the shared Redis, through BullMQ: jobs survive a restart and any instance runs them; a job
 * id is added once however many instances add it (BullMQ ignores an `add` whose `jobId` exists), and one worker at a
 * time holds a job's lock. docs/webhooks.md.
 */
import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { REDIS_COMMAND_TIMEOUT_MS, REDIS_CONNECT_TIMEOUT_MS } from '../redis-store.js';
import {
  GiveUp,
  type EventTiming,
  type JobHandler,
  type JobQueue,
  type JobQueueEvent,
  retryDelayMs,
} from './job-queue.js';

/** Jobs one instance runs at once. */
export const BULLMQ_CONCURRENCY = 8;
/** BullMQ's key prefix under the proxy's own: `epay-applepay:bull:<queue>:…`. */
export const BULLMQ_PREFIX = 'epay-applepay:bull';
/** Longest wait for running jobs and Redis at close: a delivery's own timeout is 10 s. */
export const BULLMQ_CLOSE_TIMEOUT_MS = 12_000;
/** Large enough never to be the limit: the job's age ({@link EventTiming.giveUpAfterMs}) ends retries. */
const MAX_ATTEMPTS = 10_000;

export interface BullJobQueueOptions<T> {
  /** The queue's name (one per kind of job). */
  name: string;
  redisUrl: string;
  handler: JobHandler<T>;
  timing: EventTiming;
  onEvent?: (event: JobQueueEvent) => void;
  concurrency?: number;
  /** Default {@link BULLMQ_PREFIX}. */
  prefix?: string;
}

/**
 * @example
 * ```ts
 * const q = new BullJobQueue({ name: 'deliveries', redisUrl, handler, timing: DEFAULT_EVENT_TIMING });
 * await q.add('evt_1', { body });
 * ```
 */
export class BullJobQueue<T> implements JobQueue<T> {
  readonly #queue: Queue;
  readonly #worker: Worker;
  readonly #connections: Redis[];
  readonly #timing: EventTiming;

  constructor(options: BullJobQueueOptions<T>) {
    this.#timing = options.timing;
    const prefix = options.prefix ?? BULLMQ_PREFIX;
    // The producer fails fast while Redis is down (the caller decides what that means); the worker's connection waits
    // and reconnects, as BullMQ requires of blocking connections (maxRetriesPerRequest: null).
    const producer = new Redis(options.redisUrl, {
      connectTimeout: REDIS_CONNECT_TIMEOUT_MS,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
    });
    const consumer = new Redis(options.redisUrl, {
      connectTimeout: REDIS_CONNECT_TIMEOUT_MS,
      maxRetriesPerRequest: null,
    });
    // ioredis reports connection errors as 'error' events; unhandled they would crash the process. The failures
    // surface where they matter (an add rejects; the worker retries its connection).
    for (const c of [producer, consumer]) c.on('error', () => {});
    this.#connections = [producer, consumer];
    const keepS = Math.ceil(options.timing.keepDoneMs / 1000);
    this.#queue = new Queue(options.name, {
      connection: producer,
      prefix,
      defaultJobOptions: {
        attempts: MAX_ATTEMPTS,
        backoff: { type: 'custom' },
        // Finished jobs stay (by id) for the keep window, so the same fact added again is not run twice.
        removeOnComplete: { age: keepS },
        removeOnFail: { age: keepS },
      },
    });
    this.#queue.on('error', () => {});
    const emit = options.onEvent ?? (() => {});
    this.#worker = new Worker(
      options.name,
      async (job: Job) => {
        try {
          await options.handler(job.data as T, {
            id: job.id ?? '',
            attemptsMade: job.attemptsMade,
            createdAt: job.timestamp,
          });
        } catch (err) {
          if (err instanceof GiveUp) throw new UnrecoverableError(err.message);
          throw err;
        }
      },
      {
        connection: consumer,
        prefix,
        concurrency: options.concurrency ?? BULLMQ_CONCURRENCY,
        settings: {
          // -1 tells BullMQ not to retry: the job is older than the give-up time.
          backoffStrategy: (attemptsMade: number, _type?: string, _err?: Error, job?: { timestamp: number }) =>
            retryDelayMs(attemptsMade, job?.timestamp ?? Date.now(), Date.now(), this.#timing) ?? -1,
        },
      },
    );
    this.#worker.on('error', () => {});
    this.#worker.on('completed', (job) => emit({ kind: 'done', id: job.id ?? '', attemptsMade: job.attemptsMade }));
    this.#worker.on('failed', (job, err) => {
      if (!job) return;
      const reason = err?.message ?? 'failed';
      const finished = job.finishedOn !== undefined && job.finishedOn > 0;
      if (finished) {
        emit({ kind: 'gave_up', id: job.id ?? '', attemptsMade: job.attemptsMade, reason });
      } else {
        const delayMs = retryDelayMs(job.attemptsMade, job.timestamp, Date.now(), this.#timing) ?? 0;
        emit({ kind: 'retry', id: job.id ?? '', attemptsMade: job.attemptsMade, delayMs, reason });
      }
    });
  }

  async add(id: string, data: T, options: { delayMs?: number } = {}): Promise<void> {
    const added = this.#queue.add('job', data, { jobId: id, ...(options.delayMs ? { delay: options.delayMs } : {}) });
    // BullMQ waits for a connection that is not ready yet; a caller must hear "not queued" as fast as the store's.
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('the queue did not answer in time')), REDIS_COMMAND_TIMEOUT_MS);
    });
    try {
      await Promise.race([added, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  async pending(): Promise<number> {
    const counts = await this.#queue.getJobCounts('wait', 'delayed', 'active', 'prioritized');
    return Object.values(counts).reduce((a, b) => a + b, 0);
  }

  /** Whether Redis answers a PING soon (a dropped connection may still say "ready" for a while). */
  async #answers(): Promise<boolean> {
    const [producer] = this.#connections;
    if (producer?.status !== 'ready') return false;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), REDIS_COMMAND_TIMEOUT_MS);
    });
    try {
      return await Promise.race([
        producer.ping().then(
          () => true,
          () => false,
        ),
        late,
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    // Running jobs finish first; with Redis gone BullMQ's close would wait for it forever, so it is bounded and the
    // connections are cut (a job it held is taken again by another instance once its lock expires).
    const reachable = await this.#answers();
    const graceful = reachable
      ? Promise.allSettled([this.#worker.close(), this.#queue.close()]).then(() => true)
      : Promise.resolve(false);
    let timer: NodeJS.Timeout | undefined;
    const bounded = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), BULLMQ_CLOSE_TIMEOUT_MS);
    });
    const closed = await Promise.race([graceful, bounded]);
    clearTimeout(timer);
    if (closed) await Promise.allSettled(this.#connections.map((c) => c.quit()));
    else void this.#worker.close(true).catch(() => {});
    for (const c of this.#connections) c.disconnect();
  }
}

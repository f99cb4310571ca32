/**
 * @module RedisStore: the {@link ProxyStore} on one shared Redis, so that several proxy instances behind a load
 * balancer hold one lock per invoice and accept an Apple Pay token or a 3-D Secure context once between them.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { type ProxyStore, StoreUnavailableError } from './store.js';

export { StoreUnavailableError } from './store.js';

/** A claim waits at most this long for Redis; then the request fails rather than hang the customer's sheet. */
export const REDIS_COMMAND_TIMEOUT_MS = 2_000;
/** TCP (and TLS) connect timeout to Redis. */
export const REDIS_CONNECT_TIMEOUT_MS = 3_000;
/** Longest pause between two reconnect attempts while Redis is down. */
export const REDIS_MAX_RECONNECT_DELAY_MS = 2_000;
/** Every key is put under this prefix, so the proxy can share a Redis with other programs. */
export const DEFAULT_REDIS_KEY_PREFIX = 'epay-applepay:';

/**
 * Deletes a key only while it still holds this instance's mark: an instance never releases a lock that expired
 * and was then taken by another instance.
 */
const RELEASE_SCRIPT =
  "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

export interface RedisStoreOptions {
  /** `redis://[:password@]host:port[/db]` or `rediss://…` (TLS). */
  url: string;
  /** Default {@link DEFAULT_REDIS_KEY_PREFIX}. */
  keyPrefix?: string;
  /** Default {@link REDIS_COMMAND_TIMEOUT_MS}. */
  commandTimeoutMs?: number;
}

/**
 * A {@link ProxyStore} on Redis: `claim` is `SET key <mark> NX PX ttl`, `release` a compare-and-delete.
 *
 * A claim whose answer is lost is never sent again (a resent `SET NX` would find its own key and read as
 * "taken"); it fails with {@link StoreUnavailableError} instead. `release` never throws: a lock it could not
 * delete expires on its own, and a payment's answer must not be lost to it.
 *
 * @example
 * ```ts
 * const store = new RedisStore({ url: process.env.REDIS_URL! });
 * const app = createProxyApp(config, { store });
 * // closeProxyApp(app) closes the store's connection too.
 * ```
 */
export class RedisStore implements ProxyStore {
  readonly #redis: Redis;
  /** This instance's mark on the keys it claims. */
  readonly #owner = randomUUID();

  constructor(options: RedisStoreOptions) {
    this.#redis = new Redis(options.url, {
      keyPrefix: options.keyPrefix ?? DEFAULT_REDIS_KEY_PREFIX,
      commandTimeout: options.commandTimeoutMs ?? REDIS_COMMAND_TIMEOUT_MS,
      connectTimeout: REDIS_CONNECT_TIMEOUT_MS,
      // Fail a command at once while Redis is down instead of queueing it through reconnects…
      maxRetriesPerRequest: 0,
      // …and never resend one whose answer was lost (see the class comment).
      autoResendUnfulfilledCommands: false,
      retryStrategy: (times) => Math.min(times * 100, REDIS_MAX_RECONNECT_DELAY_MS),
    });
    // Connection errors come back as failed commands; without a listener ioredis would print them (with the host).
    this.#redis.on('error', () => {});
  }

  async claim(key: string, ttlMs: number): Promise<boolean> {
    try {
      const set = await this.#redis.set(key, this.#owner, 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX');
      return set === 'OK';
    } catch (err) {
      throw new StoreUnavailableError('The shared store (Redis) did not answer', { cause: err });
    }
  }

  async release(key: string): Promise<void> {
    try {
      await this.#redis.eval(RELEASE_SCRIPT, 1, key, this.#owner);
    } catch {
      // The key expires by its TTL; failing here would lose the answer of a payment that already ran.
    }
  }

  async put(key: string, value: string, ttlMs: number): Promise<void> {
    try {
      await this.#redis.set(key, value, 'PX', Math.max(1, Math.ceil(ttlMs)));
    } catch (err) {
      throw new StoreUnavailableError('The shared store (Redis) did not answer', { cause: err });
    }
  }

  async drop(key: string): Promise<void> {
    try {
      await this.#redis.del(key);
    } catch (err) {
      throw new StoreUnavailableError('The shared store (Redis) did not answer', { cause: err });
    }
  }

  async get(key: string): Promise<string | undefined> {
    try {
      return (await this.#redis.get(key)) ?? undefined;
    } catch (err) {
      throw new StoreUnavailableError('The shared store (Redis) did not answer', { cause: err });
    }
  }

  async close(): Promise<void> {
    try {
      await this.#redis.quit();
    } catch {
      this.#redis.disconnect();
    }
  }
}

/**
 * @module The proxy's small shared state: the in-flight lock per invoice and the replay guard (an Apple Pay
 * `transactionId`, a sealed 3-D Secure context). An interface, so several instances can share one store;
 * in memory by default.
 */

/** A shared store did not answer. Nothing was sent to the bank; the request fails with 503 `store_unavailable`. */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
}

/** Keys expire on their own; every method is atomic per key. */
export interface ProxyStore {
  /** Sets `key` if absent, for `ttlMs`. True when this call set it (the lock or the first use is ours). */
  claim(key: string, ttlMs: number): Promise<boolean>;
  /** Removes `key` (releases a lock). */
  release(key: string): Promise<void>;
  /** Sets `key` to `value` for `ttlMs`, whether or not it was set (a finished outcome, kept to answer replays). */
  put(key: string, value: string, ttlMs: number): Promise<void>;
  /** The value of a live `key` set by {@link ProxyStore.put}, or undefined. */
  get(key: string): Promise<string | undefined>;
  /** Removes a key set by {@link ProxyStore.put}, whoever set it. */
  drop(key: string): Promise<void>;
  close?(): Promise<void>;
}

/**
 * Expired entries are swept when the map grows past this many, so memory stays flat under load. When most
 * entries are still live (a busy hour's replay guard), the next sweep waits until the map has doubled: a sweep on
 * every claim would make each payment scan the whole map.
 */
const SWEEP_AT = 10_000;

/** A single-instance store. */
export class MemoryStore implements ProxyStore {
  readonly #entries = new Map<string, number>();
  readonly #values = new Map<string, string>();
  #sweepAt = SWEEP_AT;

  async claim(key: string, ttlMs: number): Promise<boolean> {
    const now = Date.now();
    const until = this.#entries.get(key);
    if (until !== undefined && until > now) return false;
    if (this.#entries.size >= this.#sweepAt) {
      this.#sweep(now);
      this.#sweepAt = Math.max(SWEEP_AT, this.#entries.size * 2);
    }
    this.#entries.set(key, now + ttlMs);
    return true;
  }

  async release(key: string): Promise<void> {
    this.#entries.delete(key);
    this.#values.delete(key);
  }

  async put(key: string, value: string, ttlMs: number): Promise<void> {
    const now = Date.now();
    if (!this.#entries.has(key) && this.#entries.size >= this.#sweepAt) {
      this.#sweep(now);
      this.#sweepAt = Math.max(SWEEP_AT, this.#entries.size * 2);
    }
    this.#entries.set(key, now + ttlMs);
    this.#values.set(key, value);
  }

  async drop(key: string): Promise<void> {
    this.#entries.delete(key);
    this.#values.delete(key);
  }

  async get(key: string): Promise<string | undefined> {
    const until = this.#entries.get(key);
    return until !== undefined && until > Date.now() ? this.#values.get(key) : undefined;
  }

  /** How many live keys are held (for tests and health). */
  get size(): number {
    return this.#entries.size;
  }

  /** How many full sweeps have run (each reads every entry): few, however many claims. */
  get sweeps(): number {
    return this.#sweeps;
  }

  #sweeps = 0;

  #sweep(now: number): void {
    this.#sweeps++;
    for (const [k, until] of this.#entries) {
      if (until <= now) {
        this.#entries.delete(k);
        this.#values.delete(k);
      }
    }
  }
}

/**
 * @module Idempotency keys of the operations API: the first answer to a key is kept 24 hours and given again to the
 * same request (`Idempotent-Replayed: true`) with nothing sent to the bank; the key with another request is 422, and
 * while the first still runs, 409. In the proxy's store, so with `REDIS_URL` across instances.
 */
import { createHash } from 'node:crypto';
import { ProxyError } from '../errors.js';
import type { ProxyStore } from '../store.js';

/** How long a first answer is kept. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60_000;
/**
 * The running mark is released as soon as the answer is kept. Should the answer fail to be kept (the store went away
 * after the bank did it) or the instance die mid-way, it stays as long as an answer would have been kept: the key is
 * then 409 until the merchant reads the payment, and never runs a second time.
 */
export const IDEMPOTENCY_LOCK_TTL_MS = 24 * 60 * 60_000;
/** Answers that are not kept: nothing was done, so the same key may run again. */
const RETRYABLE: ReadonlySet<string> = new Set([
  'bank_unavailable',
  'operation_in_progress',
  'store_unavailable',
  'internal_error',
]);
/** 1 to 255 printable ASCII characters. */
export const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/** A kept answer: what the request was (its fingerprint), and the status and body it got. */
interface Kept {
  fingerprint: string;
  status: number;
  body: unknown;
}

export type Replay = { replayed: true; status: number; body: unknown };

/**
 * Checks an `Idempotency-Key` header.
 *
 * @throws {ProxyError} `idempotency_key_required`.
 */
export function checkIdempotencyKey(header: string | undefined): string {
  if (header === undefined || !KEY_PATTERN.test(header)) {
    throw new ProxyError('idempotency_key_required', 'Send an Idempotency-Key header of 1 to 255 printable characters');
  }
  return header;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('base64url');

/**
 * Runs `work` once per idempotency key, keeps its answer, and gives it again to the same request.
 *
 * @example
 * ```ts
 * const answer = await once(store, { scope: keyId, key, fingerprint: `${path}\n${body}` }, () => refund());
 * if ('replayed' in answer) c.header('idempotent-replayed', 'true');
 * ```
 * @throws {ProxyError} `idempotency_key_reused`, `operation_in_progress`.
 */
export async function once(
  store: ProxyStore,
  request: { scope: string; key: string; fingerprint: string },
  work: () => Promise<{ status: number; body: unknown }>,
): Promise<{ status: number; body: unknown } | Replay> {
  const id = sha256(`${request.scope}\n${request.key}`);
  const keptKey = `idem:${id}`;
  const lockKey = `idem-running:${id}`;
  const fingerprint = sha256(request.fingerprint);
  const replay = (kept: Kept): Replay => {
    if (kept.fingerprint !== fingerprint) {
      throw new ProxyError('idempotency_key_reused', 'This Idempotency-Key was used for another request');
    }
    return { replayed: true, status: kept.status, body: kept.body };
  };
  const read = async () => {
    const raw = await store.get(keptKey);
    return raw === undefined ? undefined : (JSON.parse(raw) as Kept);
  };
  const first = await read();
  if (first) return replay(first);
  if (!(await store.claim(lockKey, IDEMPOTENCY_LOCK_TTL_MS))) {
    throw new ProxyError('operation_in_progress', 'A request with this Idempotency-Key is still running');
  }
  /** False once the work may have reached the bank and its answer could not be kept: the mark then stays. */
  let release = true;
  const keep = async (answer: { status: number; body: unknown }) => {
    try {
      await store.put(keptKey, JSON.stringify({ fingerprint, ...answer } satisfies Kept), IDEMPOTENCY_TTL_MS);
    } catch (err) {
      release = false;
      throw err;
    }
  };
  try {
    // Kept between the first look and the claim by a request that has just finished.
    const kept = await read();
    if (kept) return replay(kept);
    const answer = await work();
    await keep(answer);
    return answer;
  } catch (err) {
    // A refusal is an answer too, and is kept; not an answer that says nothing was done and a retry may run
    // (the bank could not be reached, another operation was running, a store failure or a crash).
    if (err instanceof ProxyError && !RETRYABLE.has(err.code)) {
      await keep({
        status: err.status,
        body: { status: 'error', error: { code: err.code, message: err.message, ...err.details } },
      });
    }
    throw err;
  } finally {
    if (release) await store.release(lockKey);
  }
}

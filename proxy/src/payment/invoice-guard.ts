/**
 * @module Every store key one payment uses, in one place: the in-flight lock of its invoice, the mark that the
 * invoice may have charged, the settling window after an unknown outcome, Apple's token replay guard, and the
 * 3-D Secure confirmation's claim and recorded outcome. See docs/money-rules.md.
 */
import type { Order } from '../order.js';
import type { ProxyStore } from '../store.js';
import { THREE_DS_CONTEXT_TTL_MS } from './answer.js';

/** The in-flight lock outlives any payment's budget, in case an instance dies holding it. */
export const INVOICE_LOCK_TTL_MS = 60_000;
/**
 * After an unknown outcome, how long a retry of the order is answered only from the bank's "paid" (else 409): a late
 * payment shows up at the bank within this, and "not found" or an older failure before it proves nothing.
 */
export const SETTLING_WINDOW_MS = 2 * 60_000;
/** Longest an invoice stays marked as possibly charged (beyond the 3-D Secure window). */
export const MAX_CHARGE_MARK_MS = 24 * 60 * 60_000;
/** Apple's clock and ours may differ this much. */
export const REPLAY_SKEW_MS = 60_000;
/** Longest the answer waits for the store to release its keys. */
export const RELEASE_WAIT_MS = 500;

/**
 * The keys of one invoice's payment.
 *
 * @example
 * ```ts
 * const guard = invoiceGuard(store, order);
 * if (!(await guard.lock())) throw new ProxyError('payment_in_progress', '…');
 * ```
 */
export function invoiceGuard(store: ProxyStore, order: Order) {
  const id = order.invoiceId;
  const lockKey = `lock:${id}`;
  const markKey = `open:${id}`;
  const settlingKey = `settling:${id}`;
  return {
    /** One payment of the invoice at a time. */
    lock: () => store.claim(lockKey, INVOICE_LOCK_TTL_MS),
    /**
     * Marks the invoice once the bank may hold a record of it from us (paid, 3-D Secure pending, declined, outcome
     * unknown), so that a new authorization for the same order asks the bank before it can send `cryptopay` again, and
     * never takes an earlier attempt's failed record for its own. False when an earlier attempt's mark is there.
     */
    markMayHaveCharged: () =>
      store.claim(
        markKey,
        Math.min(MAX_CHARGE_MARK_MS, Math.max(0, order.exp * 1000 - Date.now())) + THREE_DS_CONTEXT_TTL_MS,
      ),
    /** An Apple Pay token is accepted once within its max age (the key is its canonical, lower-case hex id). */
    claimAppleToken: (transactionId: string, maxAgeS: number) =>
      store.claim(`apple-tx:${transactionId.toLowerCase()}`, maxAgeS * 1000 + REPLAY_SKEW_MS),
    /** After an unknown outcome: for a while, only the bank's "paid" answers a retry of this order. */
    openSettlingWindow: () => store.claim(settlingKey, SETTLING_WINDOW_MS).catch(() => false),
    /** Whether no settling window is open (taking it for a moment, so the check and the go-ahead are one). */
    outsideSettlingWindow: () => store.claim(settlingKey, 1),
    /**
     * Releases the lock, and the mark unless the attempt may have charged. Bounded, so a stalled shared store cannot
     * push the answer past its budget; a release never throws, and the keys expire by themselves.
     */
    async release(keepMark: boolean): Promise<void> {
      const releases = Promise.all([keepMark ? undefined : store.release(markKey), store.release(lockKey)]);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([releases, new Promise<void>((r) => (timer = setTimeout(r, RELEASE_WAIT_MS)))]);
      clearTimeout(timer);
    },
  };
}

/** The 3-D Secure confirmation's keys: its one-time claim, and its final outcome kept to answer replays. */
export const confirmationKeys = (bankPaymentId: string) => ({
  claim: `3ds:${bankPaymentId}`,
  done: `3ds-done:${bankPaymentId}`,
});

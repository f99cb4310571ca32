/**
 * @module Settling: the one status poller (and the payment's reading of it) that tells what became of a payment whose answer was not clear (a
 * `cryptopay` without an answer, a refusal, a not-final code, a 3-D Secure confirmation without a readable answer).
 * It only reads: nothing here ever sends a call that can move money. See docs/money-rules.md.
 */
import type { EpayClient, StatusOutcome, StatusQuery, TokenScope } from '../epay/client.js';
import { isPaid, isUnpaid } from '../epay/status-names.js';

/** What the status call showed, in the end. */
export type Settlement =
  | { kind: 'paid'; id: string; reference: string }
  | { kind: 'unpaid'; id: string; statusName: string; reasonCode: string; message: string }
  /** The bank said "invoice not found" (code 102) as often in a row as asked. */
  | { kind: 'not_found' }
  /**
   * No final reading within the attempts. `open`: the bank showed this payment, not final yet (NEW, …); otherwise it
   * never answered about it (no answer, another payment's record, or fewer "not found" than asked).
   */
  | { kind: 'unknown'; open: boolean; reason: string };

export interface SettleOptions {
  /** Status calls made at most. */
  attempts: number;
  /** Pause between two status calls. */
  intervalMs: number;
  /**
   * How many "not found" answers in a row prove that there is no payment; 0: never (after a timeout or a dropped
   * call, the payment may still be on its way, so "not found" proves nothing).
   */
  notFoundProofs: number;
  /** Only a transaction with this bank id counts (the 3-D Secure confirmation knows its payment's id). */
  paymentId?: string;
  /** Failed records of earlier attempts, by bank id (`'*'`: none may be taken as this payment's outcome). */
  staleFailures?: ReadonlySet<string>;
}

/** In `staleFailures`: no failed record may be taken as this attempt's outcome. */
export const ANY_FAILURE = '*';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * The one status poller: asks the status call up to `attempts` times, `intervalMs` apart, until `read` makes something
 * of an answer, the attempts are spent, or the deadline leaves no room for another pause and call. `read` may keep
 * state across answers (a run of "not found", an unchanged status). Only reads: it never sends anything that can move
 * money.
 *
 * @example
 * ```ts
 * const done = await pollStatus(epay, { invoiceId }, deadline, { attempts: 3, intervalMs: 1_000 }, (s) =>
 *   s.kind === 'found' && s.statusName === 'CHARGE' ? 'done' : undefined,
 * );
 * ```
 */
export async function pollStatus<R>(
  epay: Pick<EpayClient, 'status'>,
  query: StatusQuery,
  deadline: number,
  poll: { attempts: number; intervalMs: number },
  read: (s: StatusOutcome) => R | undefined,
): Promise<R | undefined> {
  for (let attempt = 0; attempt < poll.attempts; attempt++) {
    if (attempt > 0) {
      if (deadline - Date.now() < poll.intervalMs * 2) break;
      await sleep(poll.intervalMs);
    }
    const result = read(await epay.status(query, deadline));
    if (result !== undefined) return result;
  }
  return undefined;
}

/**
 * Asks the status call until it shows the payment paid or unpaid, the proof of "not found" is complete, the attempts
 * are spent, or the deadline leaves no room for another pause and call.
 *
 * @example
 * ```ts
 * const s = await settle(epay, scope, deadline, { attempts: 3, intervalMs: 1_000, notFoundProofs: 0 });
 * if (s.kind === 'paid') answerPaid(s.id, s.reference);
 * ```
 */
export async function settle(
  epay: Pick<EpayClient, 'status'>,
  scope: TokenScope,
  deadline: number,
  options: SettleOptions,
): Promise<Settlement> {
  const { notFoundProofs, paymentId, staleFailures } = options;
  let notFound = 0;
  let open = false;
  let reason = 'no status call made';
  const final = await pollStatus<Settlement>(epay, scope, deadline, options, (s) => {
    if (s.kind === 'not_found') {
      reason = 'status: invoice not found';
      return notFoundProofs > 0 && ++notFound >= notFoundProofs ? { kind: 'not_found' } : undefined;
    }
    notFound = 0;
    if (s.kind === 'no_answer') {
      reason = s.reason;
      return undefined;
    }
    if (paymentId !== undefined && s.id !== paymentId) {
      reason = 'status: another payment of the invoice';
      return undefined;
    }
    if (isPaid(s.statusName)) return { kind: 'paid', id: s.id, reference: s.reference };
    if (isUnpaid(s.statusName)) {
      if (staleFailures?.has(ANY_FAILURE) || staleFailures?.has(s.id)) {
        reason = 'status: an earlier attempt failed';
        return undefined;
      }
      return { kind: 'unpaid', id: s.id, statusName: s.statusName, reasonCode: s.reasonCode, message: s.message };
    }
    // NEW, REFUND, …: this payment, not final yet.
    open = true;
    reason = `status: ${s.statusName}`;
    return undefined;
  });
  return final ?? { kind: 'unknown', open, reason };
}

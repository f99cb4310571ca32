/**
 * @module The 3-D Secure confirmation: the bank's result posted to the `TermUrl` is confirmed with ePay at most once
 * per payment. The `TermUrl` is not secret (page scripts and extensions see it), so: a post that the bank refuses
 * while the payment still waits consumes nothing; a finished payment's replays are answered from the recorded outcome
 * without a bank call; concurrent posts of one result on an instance share one confirmation. See
 * docs/money-rules.md and SECURITY.md.
 */
import type { TokenScope } from '../epay/client.js';
import type { ConfirmResult } from '../epay/confirm-result.js';
import { THREE_DS_CONTEXT_TTL_MS, type ThreeDsContext } from './answer.js';
import type { AttemptLog } from './attempt.js';
import type { PaymentDeps } from './deps.js';
import { confirmationKeys } from './invoice-guard.js';
import { settle } from './settle.js';

/** Budget of the confirmation: the customer is waiting on a blank page. */
export const CONFIRM_BUDGET_MS = 20_000;
/** Status calls made at most while the bank still shows the payment waiting for 3-D Secure, and the pause between. */
export const CALLBACK_STATUS_ATTEMPTS = 5;
export const CALLBACK_STATUS_INTERVAL_MS = 1_000;
/** How often a post waits for a different post of the same payment to finish before it goes on itself. */
const MAX_WAITS = 3;

/** One post of the bank's form to the `TermUrl`, its sealed context opened. */
export interface CallbackPost {
  ctx: ThreeDsContext;
  paRes: string;
  md: string;
}

/** Outcomes of the callback other than paid, as logged and as the failure link's `code` (unless the bank's). */
export type FailureOutcome = 'declined' | 'outcome_unknown' | 'invalid_context' | 'session_expired' | 'invalid_request';

/** A final answer of the payment: kept in the store and given to every later post of it. */
export type Final = { ok: true; reference: string } | { ok: false; outcome: 'declined'; code: string; message: string };
export type ConfirmationResult =
  | Final
  | { ok: false; outcome: Exclude<FailureOutcome, 'declined'>; code: string; message: string }
  /** The post was not taken (not this payment's result, or refused by the bank while the payment still waits). */
  | { rejected: string }
  /** Nothing reached the bank: the customer may send the same result again. */
  | { retry: string };

const OUTCOME_UNKNOWN: ConfirmationResult = {
  ok: false,
  outcome: 'outcome_unknown',
  code: 'outcome_unknown',
  message: 'The bank did not confirm the outcome; the shop will check the order',
};

/**
 * The confirmations of one proxy instance.
 *
 * @example
 * ```ts
 * const confirmation = createThreeDsConfirmation(deps);
 * const result = await confirmation.confirmOnce({ ctx, paRes, md }, logLine);
 * ```
 */
export function createThreeDsConfirmation(deps: PaymentDeps) {
  /** Confirmations running on this instance, by the bank's payment id. */
  const running = new Map<string, { fields: string; result: Promise<ConfirmationResult> }>();

  /** One confirmation per payment: replays read the recorded outcome; identical concurrent posts share one call. */
  async function confirmOnce(post: CallbackPost, log: AttemptLog): Promise<ConfirmationResult> {
    const { ctx } = post;
    const fields = `${post.paRes}\n${post.md}`;
    for (let wait = 0; ; wait++) {
      const done = await readFinal(deps, ctx.id);
      if (done) {
        log.reason = 'answered from the recorded outcome';
        return done;
      }
      const other = running.get(ctx.id);
      if (!other) break;
      if (other.fields === fields || wait >= MAX_WAITS) {
        log.reason = 'shared a confirmation in flight';
        return other.result;
      }
      await other.result; // another result of the same payment is being confirmed: see what it leaves first
    }
    const entry = { fields, result: confirm(deps, post, log) };
    running.set(ctx.id, entry);
    try {
      return await entry.result;
    } finally {
      if (running.get(ctx.id) === entry) running.delete(ctx.id);
    }
  }

  return { confirmOnce };
}

async function readFinal(deps: PaymentDeps, id: string): Promise<Final | undefined> {
  const raw = await deps.store.get(confirmationKeys(id).done);
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw) as Final;
  } catch {
    return undefined;
  }
}

async function recordFinal(deps: PaymentDeps, id: string, result: ConfirmationResult): Promise<ConfirmationResult> {
  if ('ok' in result && (result.ok || result.outcome === 'declined')) {
    // Best effort: without the record a replay asks the status call, as before.
    await deps.store
      .put(confirmationKeys(id).done, JSON.stringify(result), THREE_DS_CONTEXT_TTL_MS)
      .catch(() => undefined);
  }
  return result;
}

/**
 * Sends the confirmation at most once per payment: the claim is taken before the call and kept once the bank took it
 * (or its answer was lost); it is released when nothing reached the bank or the bank refused a post while the payment
 * still waits for its result.
 */
async function confirm(deps: PaymentDeps, post: CallbackPost, log: AttemptLog): Promise<ConfirmationResult> {
  const { ctx, paRes, md } = post;
  const scope: TokenScope = { invoiceId: ctx.invoiceId, amount: ctx.amount, currency: ctx.currency };
  const deadline = Date.now() + CONFIRM_BUDGET_MS;
  const claimKey = confirmationKeys(ctx.id).claim;
  if (!(await deps.store.claim(claimKey, THREE_DS_CONTEXT_TTL_MS))) {
    // Being confirmed by another instance, or confirmed with an unknown outcome: never confirm twice, tell what the
    // bank holds.
    return recordFinal(deps, ctx.id, await fromStatus(deps, ctx, deadline, CALLBACK_STATUS_ATTEMPTS));
  }
  const token = await deps.epay.getPaymentToken(scope, deadline);
  if (!token.ok) {
    await deps.store.release(claimKey);
    return { retry: token.reason };
  }
  const confirmed: ConfirmResult = await deps.epay.confirm({ id: ctx.id, paRes, md }, token.token, deadline);
  if (confirmed.kind === 'success') return recordFinal(deps, ctx.id, { ok: true, reference: confirmed.reference });
  if (confirmed.kind === 'failure' && !confirmed.refused) {
    return recordFinal(deps, ctx.id, {
      ok: false,
      outcome: 'declined',
      code: confirmed.code || 'declined',
      message: confirmed.message || 'Declined by the bank',
    });
  }
  if (confirmed.kind === 'failure') {
    // The bank refused the request itself: a result that is not this payment's, or a payment already finished. One
    // status call tells which; while the payment still waits, this post consumed nothing.
    log.reason = `confirm refused: ${confirmed.code}`;
    const s = await fromStatus(deps, ctx, deadline, 1);
    if ('ok' in s && s.ok === false && s.outcome === 'outcome_unknown') {
      await deps.store.release(claimKey);
      return { rejected: `confirm refused: ${confirmed.code}` };
    }
    return recordFinal(deps, ctx.id, s);
  }
  // No readable answer: the confirmation may have been taken, so the claim stays and the status call tells.
  log.reason = confirmed.reason;
  return recordFinal(deps, ctx.id, await fromStatus(deps, ctx, deadline, CALLBACK_STATUS_ATTEMPTS));
}

/**
 * What the bank holds for the payment. A payment still waiting (NEW: another request may be confirming it right now)
 * is asked again; it is never reported as failed on that ground. Only this payment's record counts.
 */
async function fromStatus(
  deps: PaymentDeps,
  ctx: ThreeDsContext,
  deadline: number,
  attempts: number,
): Promise<ConfirmationResult> {
  const scope: TokenScope = { invoiceId: ctx.invoiceId, amount: ctx.amount, currency: ctx.currency };
  const s = await settle(deps.epay, scope, deadline, {
    attempts,
    intervalMs: CALLBACK_STATUS_INTERVAL_MS,
    notFoundProofs: 0,
    paymentId: ctx.id,
  });
  if (s.kind === 'paid') return { ok: true, reference: s.reference };
  if (s.kind === 'unpaid') {
    return {
      ok: false,
      outcome: 'declined',
      code: s.reasonCode || 'declined',
      message: s.message || 'Declined by the bank',
    };
  }
  return OUTCOME_UNKNOWN;
}

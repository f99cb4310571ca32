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

  /**
   * One confirmation per payment: replays read the recorded outcome; identical concurrent posts share one call; a
   * different post of the same payment waits for the one running (within the budget), never takes its result.
   */
  async function confirmOnce(post: CallbackPost, log: AttemptLog): Promise<ConfirmationResult> {
    const { ctx } = post;
    const fields = `${post.paRes}\n${post.md}`;
    const until = Date.now() + CONFIRM_BUDGET_MS;
    for (;;) {
      const done = await readFinal(deps, ctx.id);
      if (done) {
        log.reason = 'answered from the recorded outcome';
        return done;
      }
      const other = running.get(ctx.id);
      if (!other) break;
      if (other.fields === fields) {
        log.reason = 'shared a confirmation in flight';
        return other.result;
      }
      // Another result of this payment is being confirmed here: see what it leaves, then go on (each such post is a
      // bank call, and the callback's rate limit bounds how many one client makes); the customer may send this one
      // again if that takes longer than the budget.
      if (Date.now() >= until) return { retry: 'other results of this payment were being confirmed' };
      await within(other.result, until - Date.now());
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

/** Waits for `p` at most `ms`. */
async function within(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p.catch(() => undefined), new Promise<void>((r) => (timer = setTimeout(r, Math.max(0, ms))))]);
  clearTimeout(timer);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function readFinal(deps: PaymentDeps, id: string): Promise<Final | undefined> {
  const raw = await deps.store.get(confirmationKeys(id).done);
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw) as Final;
  } catch {
    return undefined;
  }
}

async function recordFinal(deps: PaymentDeps, id: string, result: Final): Promise<Final> {
  // Best effort: without the record a replay asks the status call.
  await deps.store
    .put(confirmationKeys(id).done, JSON.stringify(result), THREE_DS_CONTEXT_TTL_MS)
    .catch(() => undefined);
  return result;
}

/**
 * Sends the confirmation at most once per payment: the claim is taken before the call and kept once the bank took it
 * (or its answer was lost); it is released when nothing reached the bank or the bank refused the post, so a post that
 * is not the payment's consumes nothing.
 */
async function confirm(deps: PaymentDeps, post: CallbackPost, log: AttemptLog): Promise<ConfirmationResult> {
  const { ctx, paRes, md } = post;
  const scope: TokenScope = { invoiceId: ctx.invoiceId, amount: ctx.amount, currency: ctx.currency };
  const deadline = Date.now() + CONFIRM_BUDGET_MS;
  const claimKey = confirmationKeys(ctx.id).claim;
  for (let attempt = 0; !(await deps.store.claim(claimKey, THREE_DS_CONTEXT_TTL_MS)); attempt++) {
    // Held by another instance confirming now, or by a confirmation whose answer was lost: never confirm while it is
    // held. Read what the holder recorded or what the bank holds; should the holder let go (the bank refused its
    // post), confirm this one.
    if (attempt > 0) {
      if (attempt >= CALLBACK_STATUS_ATTEMPTS || deadline - Date.now() < CALLBACK_STATUS_INTERVAL_MS * 2)
        return OUTCOME_UNKNOWN;
      await sleep(CALLBACK_STATUS_INTERVAL_MS);
    }
    const done = await readFinal(deps, ctx.id);
    if (done) return done;
    const s = await statusOf(deps, ctx, deadline, 1);
    if (s.final) return recordFinal(deps, ctx.id, s.final);
  }
  const token = await deps.epay.getPaymentToken(scope, deadline);
  if (!token.ok) {
    await deps.store.release(claimKey);
    return { retry: token.reason };
  }
  const confirmed: ConfirmResult = await deps.epay.confirm({ id: ctx.id, paRes, md }, token.token, deadline);
  if (confirmed.kind === 'success') return recordFinal(deps, ctx.id, { ok: true, reference: confirmed.reference });
  if (confirmed.kind === 'token_refused') {
    // The bank did not look at the confirmation: nothing was taken, and the customer may send it again.
    await deps.store.release(claimKey);
    return { retry: `confirm refused the access token (HTTP ${confirmed.status})` };
  }
  if (confirmed.kind === 'failure' && !confirmed.refused) {
    return recordFinal(deps, ctx.id, {
      ok: false,
      outcome: 'declined',
      code: confirmed.code || 'declined',
      message: confirmed.message || 'Declined by the bank',
    });
  }
  if (confirmed.kind === 'failure') {
    // The bank refused the request itself: a result that is not this payment's, or a payment already finished. The
    // bank took nothing from this post, so the claim goes; one status call tells whether the payment is finished.
    log.reason = `confirm refused: ${confirmed.code}`;
    await deps.store.release(claimKey);
    const s = await statusOf(deps, ctx, deadline, 1);
    if (s.final) return recordFinal(deps, ctx.id, s.final);
    return s.open ? { rejected: `confirm refused: ${confirmed.code}` } : OUTCOME_UNKNOWN;
  }
  // No readable answer: the confirmation may have been taken, so the claim stays and the status call tells.
  log.reason = confirmed.reason;
  const s = await statusOf(deps, ctx, deadline, CALLBACK_STATUS_ATTEMPTS);
  return s.final ? recordFinal(deps, ctx.id, s.final) : OUTCOME_UNKNOWN;
}

/**
 * What the bank holds for the payment: final (paid or unpaid), or not. A payment still waiting (NEW: another request
 * may be confirming it right now) is asked again; it is never reported as failed on that ground. Only this payment's
 * record counts.
 */
async function statusOf(
  deps: PaymentDeps,
  ctx: ThreeDsContext,
  deadline: number,
  attempts: number,
): Promise<{ final?: Final; open: boolean }> {
  const scope: TokenScope = { invoiceId: ctx.invoiceId, amount: ctx.amount, currency: ctx.currency };
  const s = await settle(deps.epay, scope, deadline, {
    attempts,
    intervalMs: CALLBACK_STATUS_INTERVAL_MS,
    notFoundProofs: 0,
    paymentId: ctx.id,
  });
  if (s.kind === 'paid') return { final: { ok: true, reference: s.reference }, open: false };
  if (s.kind === 'unpaid') {
    const message = s.message || 'Declined by the bank';
    return { final: { ok: false, outcome: 'declined', code: s.reasonCode || 'declined', message }, open: false };
  }
  return { open: s.kind === 'unknown' && s.open };
}

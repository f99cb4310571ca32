/**
 * @module `POST /3ds/callback`, the `TermUrl`: the bank's form post (`PaRes`, `MD`) comes back here, the proxy
 * confirms with ePay and sends the customer to the order's `backLink` or `failureBackLink` (or a small result page).
 *
 * The `TermUrl` is not secret (page scripts and extensions see it), so: a post whose `MD` is not the payment's, or
 * that the bank refuses while the payment still waits, consumes nothing; a finished payment's replays are answered
 * from the recorded outcome without a bank call; concurrent posts of one result share one confirmation. See
 * SECURITY.md.
 */
import { Hono, type Context } from 'hono';
import type { ProxyEnv } from '../context.js';
import type { TokenScope } from '../epay/client.js';
import type { ConfirmResult } from '../epay/confirm-result.js';
import { mdDigest, type PaymentDeps, THREE_DS_CONTEXT_TTL_MS, type ThreeDsContext } from '../payment.js';
import { SealError } from '../seal.js';
import { settle } from '../settle.js';
import { htmlPage, retryPage } from './html.js';

/** Budget of the confirmation: the customer is waiting on a blank page. */
export const CONFIRM_BUDGET_MS = 20_000;
/** Longest PaRes/MD accepted from the bank's form. */
const MAX_FIELD = 32 * 1024;
/** Status calls made at most while the bank still shows the payment waiting for 3-D Secure, and the pause between. */
export const CALLBACK_STATUS_ATTEMPTS = 5;
export const CALLBACK_STATUS_INTERVAL_MS = 1_000;
/** How often a post waits for a different post of the same payment to finish before it goes on itself. */
const MAX_WAITS = 3;

/** Outcomes of the callback other than paid, as logged and as the failure link's `code` (unless the bank's). */
type FailureOutcome = 'declined' | 'outcome_unknown' | 'invalid_context' | 'session_expired' | 'invalid_request';

/** A final answer of the payment: kept in the store and given to every later post of it. */
type Final = { ok: true; reference: string } | { ok: false; outcome: 'declined'; code: string; message: string };
type Result =
  | Final
  | { ok: false; outcome: Exclude<FailureOutcome, 'declined'>; code: string; message: string }
  /** The post was not taken (not this payment's result, or refused by the bank while the payment still waits). */
  | { rejected: string }
  /** Nothing reached the bank: the customer may send the same result again. */
  | { retry: string };

const OUTCOME_UNKNOWN: Result = {
  ok: false,
  outcome: 'outcome_unknown',
  code: 'outcome_unknown',
  message: 'The bank did not confirm the outcome; the shop will check the order',
};

function isContext(v: unknown): v is ThreeDsContext {
  const o = v as Partial<ThreeDsContext> | null;
  return (
    !!o &&
    typeof o.id === 'string' &&
    typeof o.invoiceId === 'string' &&
    typeof o.amount === 'number' &&
    typeof o.currency === 'string' &&
    (o.mdHash === undefined || typeof o.mdHash === 'string')
  );
}

/** Appends the result to a merchant link, keeping the link's own query. */
export function resultLink(link: string, params: Record<string, string>): string {
  const u = new URL(link);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  return u.href;
}

function respond(c: Context<ProxyEnv>, ctx: Partial<ThreeDsContext> | undefined, result: Final | Extract<Result, { ok: false }>) {
  const log = c.get('log');
  log.outcome = result.ok ? 'paid' : result.outcome;
  if (!result.ok) log.code = result.code;
  const invoiceId = ctx?.invoiceId ?? '';
  if (result.ok && ctx?.backLink) {
    return c.redirect(resultLink(ctx.backLink, { invoiceId, reference: result.reference }), 303);
  }
  if (!result.ok && ctx?.failureBackLink) {
    return c.redirect(resultLink(ctx.failureBackLink, { invoiceId, code: result.code, message: result.message }), 303);
  }
  return result.ok
    ? htmlPage(c, 200, 'Payment complete', `Order ${invoiceId} is paid. Reference: ${result.reference}.`)
    : htmlPage(c, invoiceId ? 200 : 400, 'Payment failed', `${invoiceId ? `Order ${invoiceId}: ` : ''}${result.message} (${result.code}).`);
}

export function threeDsRoutes(deps: PaymentDeps) {
  /** Confirmations running on this instance, by the bank's payment id. */
  const running = new Map<string, { fields: string; result: Promise<Result> }>();

  /** One confirmation per payment: replays read the recorded outcome; identical concurrent posts share one call. */
  async function confirmOnce(ctx: ThreeDsContext, paRes: string, md: string, log: ProxyEnv['Variables']['log']): Promise<Result> {
    const fields = `${paRes}\n${md}`;
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
    const entry = { fields, result: confirm(deps, ctx, paRes, md, log) };
    running.set(ctx.id, entry);
    try {
      return await entry.result;
    } finally {
      if (running.get(ctx.id) === entry) running.delete(ctx.id);
    }
  }

  return new Hono<ProxyEnv>().post('/3ds/callback', async (c) => {
    let ctx: ThreeDsContext;
    try {
      const opened = deps.sealer.open<unknown>(c.req.query('ctx') ?? '');
      if (!isContext(opened)) throw new SealError('malformed');
      ctx = opened;
    } catch (err) {
      const expired = err instanceof SealError && err.reason === 'expired' && isContext(err.expiredValue) ? err.expiredValue : undefined;
      if (expired) {
        return respond(c, expired, { ok: false, outcome: 'session_expired', code: 'session_expired', message: 'The 3-D Secure step took too long' });
      }
      return respond(c, undefined, { ok: false, outcome: 'invalid_context', code: 'invalid_context', message: 'This payment link is not valid' });
    }
    const log = c.get('log');
    log.invoiceId = ctx.invoiceId;

    let paRes = '';
    let md = '';
    try {
      const form = await c.req.parseBody();
      paRes = typeof form.PaRes === 'string' ? form.PaRes : '';
      md = typeof form.MD === 'string' ? form.MD : '';
    } catch {
      // an unreadable body is the same as a missing field
    }
    if (!paRes || !md || paRes.length > MAX_FIELD || md.length > MAX_FIELD) {
      return respond(c, ctx, { ok: false, outcome: 'invalid_request', code: 'invalid_request', message: 'The bank returned no 3-D Secure result' });
    }
    if (ctx.mdHash !== undefined && mdDigest(md) !== ctx.mdHash) {
      return notTaken(c, 'MD is not this payment’s');
    }

    const result = await confirmOnce(ctx, paRes, md, log);
    if ('rejected' in result) return notTaken(c, result.rejected);
    if ('retry' in result) {
      // Nothing reached the bank and the payment still waits for this confirmation: the customer can send the bank's
      // result again from here (sending them to the failure page would leave the order waiting for nobody).
      log.reason = result.retry;
      log.outcome = 'bank_unavailable';
      return retryPage(c, 'The bank could not be reached', 'Your payment is not finished and nothing was charged yet. Try again in a moment.', {
        PaRes: paRes,
        MD: md,
      });
    }
    return respond(c, ctx, result);
  });
}

/**
 * A post that is not this payment's result: answered 400 without touching the merchant's links (the customer's own
 * result may still come), and nothing consumed.
 */
function notTaken(c: Context<ProxyEnv>, reason: string): Response {
  const log = c.get('log');
  log.outcome = 'invalid_request';
  log.code = 'invalid_request';
  log.reason = reason;
  return htmlPage(c, 400, 'Not accepted', 'This 3-D Secure result does not belong to a payment waiting here.');
}

const doneKey = (id: string) => `3ds-done:${id}`;

async function readFinal(deps: PaymentDeps, id: string): Promise<Final | undefined> {
  const raw = await deps.store.get(doneKey(id));
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw) as Final;
  } catch {
    return undefined;
  }
}

async function recordFinal(deps: PaymentDeps, id: string, result: Result): Promise<Result> {
  if ('ok' in result && (result.ok || result.outcome === 'declined')) {
    // Best effort: without the record a replay asks the status call, as before.
    await deps.store.put(doneKey(id), JSON.stringify(result), THREE_DS_CONTEXT_TTL_MS).catch(() => undefined);
  }
  return result;
}

/**
 * Sends the confirmation at most once per payment: the claim is taken before the call and kept once the bank took it
 * (or its answer was lost); it is released when nothing reached the bank or the bank refused a post while the payment
 * still waits for its result.
 */
async function confirm(deps: PaymentDeps, ctx: ThreeDsContext, paRes: string, md: string, log: ProxyEnv['Variables']['log']): Promise<Result> {
  const scope: TokenScope = { invoiceId: ctx.invoiceId, amount: ctx.amount, currency: ctx.currency };
  const deadline = Date.now() + CONFIRM_BUDGET_MS;
  const claimKey = `3ds:${ctx.id}`;
  if (!(await deps.store.claim(claimKey, THREE_DS_CONTEXT_TTL_MS))) {
    // Being confirmed by another instance, or confirmed with an unknown outcome: never confirm twice, tell what the
    // bank holds.
    return recordFinal(deps, ctx.id, await fromStatus(deps, scope, ctx.id, deadline, CALLBACK_STATUS_ATTEMPTS));
  }
  const token = await deps.epay.getToken(scope, deadline);
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
    const s = await fromStatus(deps, scope, ctx.id, deadline, 1);
    if ('ok' in s && s.ok === false && s.outcome === 'outcome_unknown') {
      await deps.store.release(claimKey);
      return { rejected: `confirm refused: ${confirmed.code}` };
    }
    return recordFinal(deps, ctx.id, s);
  }
  // No readable answer: the confirmation may have been taken, so the claim stays and the status call tells.
  log.reason = confirmed.reason;
  return recordFinal(deps, ctx.id, await fromStatus(deps, scope, ctx.id, deadline, CALLBACK_STATUS_ATTEMPTS));
}

/**
 * What the bank holds for the payment. A payment still waiting (NEW: another request may be confirming it right now)
 * is asked again; it is never reported as failed on that ground. Only this payment's record counts.
 */
async function fromStatus(deps: PaymentDeps, scope: TokenScope, id: string, deadline: number, attempts: number): Promise<Result> {
  const s = await settle(deps.epay, scope, deadline, {
    attempts,
    intervalMs: CALLBACK_STATUS_INTERVAL_MS,
    notFoundProofs: 0,
    paymentId: id,
  });
  if (s.kind === 'paid') return { ok: true, reference: s.reference };
  if (s.kind === 'unpaid') {
    return { ok: false, outcome: 'declined', code: s.reasonCode || 'declined', message: s.message || 'Declined by the bank' };
  }
  return OUTCOME_UNKNOWN;
}

/**
 * @module `POST /3ds/callback`, the `TermUrl`: the bank's form post (`PaRes`, `MD`) comes back here, the proxy
 * confirms with ePay and sends the customer to the order's `backLink` or `failureBackLink` (or a small result page).
 */
import { Hono, type Context } from 'hono';
import type { ProxyEnv } from '../context.js';
import type { TokenScope } from '../epay/client.js';
import type { ConfirmResult } from '../epay/confirm-result.js';
import { type PaymentDeps, THREE_DS_CONTEXT_TTL_MS, type ThreeDsContext } from '../payment.js';
import { SealError } from '../seal.js';
import { htmlPage, retryPage } from './html.js';

/** Budget of the confirmation: the customer is waiting on a blank page. */
export const CONFIRM_BUDGET_MS = 20_000;
/** Longest PaRes/MD accepted from the bank's form. */
const MAX_FIELD = 32 * 1024;

type Result = { ok: true; reference: string } | { ok: false; code: string; message: string };

function isContext(v: unknown): v is ThreeDsContext {
  const o = v as Partial<ThreeDsContext> | null;
  return !!o && typeof o.id === 'string' && typeof o.invoiceId === 'string' && typeof o.amount === 'number' && typeof o.currency === 'string';
}

/** Appends the result to a merchant link, keeping the link's own query. */
export function resultLink(link: string, params: Record<string, string>): string {
  const u = new URL(link);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  return u.href;
}

function respond(c: Context<ProxyEnv>, ctx: Partial<ThreeDsContext> | undefined, result: Result) {
  const log = c.get('log');
  log.outcome = result.ok ? 'paid' : 'declined';
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
  return new Hono<ProxyEnv>().post('/3ds/callback', async (c) => {
    let ctx: ThreeDsContext;
    try {
      const opened = deps.sealer.open<unknown>(c.req.query('ctx') ?? '');
      if (!isContext(opened)) throw new SealError('malformed');
      ctx = opened;
    } catch (err) {
      const expired = err instanceof SealError && err.reason === 'expired' && isContext(err.expiredValue) ? err.expiredValue : undefined;
      if (expired) return respond(c, expired, { ok: false, code: 'session_expired', message: 'The 3-D Secure step took too long' });
      return respond(c, undefined, { ok: false, code: 'invalid_context', message: 'This payment link is not valid' });
    }
    c.get('log').invoiceId = ctx.invoiceId;

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
      return respond(c, ctx, { ok: false, code: 'invalid_request', message: 'The bank returned no 3-D Secure result' });
    }

    const scope: TokenScope = { invoiceId: ctx.invoiceId, amount: ctx.amount, currency: ctx.currency };
    const deadline = Date.now() + CONFIRM_BUDGET_MS;
    const claimKey = `3ds:${ctx.id}`;
    if (!(await deps.store.claim(claimKey, THREE_DS_CONTEXT_TTL_MS))) {
      // Confirmed already (a double submit or a replay): never confirm twice, tell what the bank holds.
      return respond(c, ctx, await fromStatus(deps, scope, deadline));
    }

    const token = await deps.epay.getToken(scope, deadline);
    if (!token.ok) {
      // Nothing reached the bank and the payment still waits for this confirmation: the customer can send the bank's
      // result again from here (sending them to the failure page would leave the order waiting for nobody).
      await deps.store.release(claimKey);
      const log = c.get('log');
      log.reason = token.reason;
      log.outcome = 'bank_unavailable';
      return retryPage(c, 'The bank could not be reached', 'Your payment is not finished and nothing was charged yet. Try again in a moment.', {
        PaRes: paRes,
        MD: md,
      });
    }
    const confirmed: ConfirmResult = await deps.epay.confirm({ id: ctx.id, paRes, md }, token.token, deadline);
    if (confirmed.kind === 'success') return respond(c, ctx, { ok: true, reference: confirmed.reference });
    if (confirmed.kind === 'failure' && !confirmed.refused) {
      return respond(c, ctx, { ok: false, code: confirmed.code || 'declined', message: confirmed.message || 'Declined by the bank' });
    }
    // No readable answer, or the bank refused the request itself (which a repeat of a good confirmation also gets):
    // the status call tells what happened, and without it the outcome is unknown.
    c.get('log').reason = confirmed.kind === 'unknown' ? confirmed.reason : `confirm refused: ${confirmed.code}`;
    return respond(c, ctx, await fromStatus(deps, scope, deadline));
  });
}

/** Status calls made at most while the bank still shows the payment waiting for 3-D Secure, and the pause between. */
export const CALLBACK_STATUS_ATTEMPTS = 5;
export const CALLBACK_STATUS_INTERVAL_MS = 1_000;

/**
 * What the bank holds for the payment. A payment still waiting (3D, NEW: another request may be confirming it right
 * now) is asked again; it is never reported as failed on that ground.
 */
async function fromStatus(deps: PaymentDeps, scope: TokenScope, deadline: number): Promise<Result> {
  for (let attempt = 0; attempt < CALLBACK_STATUS_ATTEMPTS; attempt++) {
    if (attempt > 0) {
      if (deadline - Date.now() < CALLBACK_STATUS_INTERVAL_MS * 2) break;
      await new Promise((r) => setTimeout(r, CALLBACK_STATUS_INTERVAL_MS));
    }
    const s = await deps.epay.status(scope, deadline);
    if (s.kind === 'found') {
      if (s.statusName === 'AUTH' || s.statusName === 'CHARGE') return { ok: true, reference: s.reference };
      if (s.statusName === 'FAILED' || s.statusName === 'REJECT') {
        return { ok: false, code: s.reasonCode || 'declined', message: s.message || 'Declined by the bank' };
      }
    }
  }
  return { ok: false, code: 'outcome_unknown', message: 'The bank did not confirm the outcome; the shop will check the order' };
}

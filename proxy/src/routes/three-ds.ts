/**
 * @module `POST /3ds/callback`, the `TermUrl`: opens the sealed context, reads the bank's form post (`PaRes`, `MD`),
 * has the payment's confirmation done once (`payment/three-ds-confirmation.ts`) and sends the customer to the
 * order's `backLink` or `failureBackLink` (or a small result page). See docs/proxy-http-api.md.
 */
import { type Context, Hono } from 'hono';
import type { HonoEnv } from '../hono-env.js';
import { mdDigest, type ThreeDsContext } from '../payment/answer.js';
import type { PaymentDeps } from '../payment/deps.js';
import { type ConfirmationResult, createThreeDsConfirmation, type Final } from '../payment/three-ds-confirmation.js';
import { SealError } from '../seal.js';
import { htmlPage, retryPage } from './html.js';

/** Longest PaRes/MD accepted from the bank's form. */
const MAX_FIELD = 32 * 1024;

type Shown = Final | Extract<ConfirmationResult, { ok: false }>;

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

function respond(c: Context<HonoEnv>, ctx: Partial<ThreeDsContext> | undefined, result: Shown) {
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
    : htmlPage(
        c,
        invoiceId ? 200 : 400,
        'Payment failed',
        `${invoiceId ? `Order ${invoiceId}: ` : ''}${result.message} (${result.code}).`,
      );
}

/**
 * A post that is not this payment's result: answered 400 without touching the merchant's links (the customer's own
 * result may still come), and nothing consumed.
 */
function notTaken(c: Context<HonoEnv>, reason: string): Response {
  const log = c.get('log');
  log.outcome = 'invalid_request';
  log.code = 'invalid_request';
  log.reason = reason;
  return htmlPage(c, 400, 'Not accepted', 'This 3-D Secure result does not belong to a payment waiting here.');
}

export function threeDsRoutes(deps: PaymentDeps) {
  const confirmation = createThreeDsConfirmation(deps);
  return new Hono<HonoEnv>().post('/3ds/callback', async (c) => {
    let ctx: ThreeDsContext;
    try {
      const unsealed = deps.sealer.unseal<unknown>(c.req.query('ctx') ?? '');
      if (!isContext(unsealed)) throw new SealError('malformed');
      ctx = unsealed;
    } catch (err) {
      const expired =
        err instanceof SealError && err.reason === 'expired' && isContext(err.expiredValue)
          ? err.expiredValue
          : undefined;
      if (expired) {
        return respond(c, expired, {
          ok: false,
          outcome: 'session_expired',
          code: 'session_expired',
          message: 'The 3-D Secure step took too long',
        });
      }
      return respond(c, undefined, {
        ok: false,
        outcome: 'invalid_context',
        code: 'invalid_context',
        message: 'This payment link is not valid',
      });
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
      return respond(c, ctx, {
        ok: false,
        outcome: 'invalid_request',
        code: 'invalid_request',
        message: 'The bank returned no 3-D Secure result',
      });
    }
    if (ctx.mdHash !== undefined && mdDigest(md) !== ctx.mdHash) return notTaken(c, 'MD is not this payment’s');

    const result = await confirmation.confirmOnce({ ctx, paRes, md }, log);
    if ('rejected' in result) return notTaken(c, result.rejected);
    if ('retry' in result) {
      // Nothing reached the bank and the payment still waits for this confirmation: the customer can send the bank's
      // result again from here (sending them to the failure page would leave the order waiting for nobody).
      log.reason = result.retry;
      log.outcome = 'bank_unavailable';
      return retryPage(
        c,
        'The bank could not be reached',
        'Your payment is not finished and nothing was charged yet. Try again in a moment.',
        {
          PaRes: paRes,
          MD: md,
        },
      );
    }
    return respond(c, ctx, result);
  });
}

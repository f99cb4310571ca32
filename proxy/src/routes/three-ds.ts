/**
 * @module `POST /3ds/callback`, the `TermUrl`: opens the sealed context, reads the bank's form post (`PaRes`, `MD`),
 * has the payment's confirmation done once (`payment/three-ds-confirmation.ts`) and sends the customer to the
 * order's `backLink` or `failureBackLink` (or a small result page). See docs/proxy-http-api.md.
 */
import { Hono } from 'hono';
import type { HonoEnv } from '../hono-env.js';
import { countPayments } from '../middleware/outcome-metrics.js';
import { isThreeDsContext, mdDigest, type ThreeDsContext } from '../payment/answer.js';
import type { PaymentDeps } from '../payment/deps.js';
import { createThreeDsConfirmation } from '../payment/three-ds-confirmation.js';
import { SealError } from '../seal.js';
import { StoreUnavailableError } from '../store.js';
import { retryPage } from './html.js';
import { notTaken, respond } from './three-ds-answers.js';

/** Longest PaRes/MD accepted from the bank's form. */
const MAX_FIELD = 32 * 1024;

export function threeDsRoutes(deps: PaymentDeps) {
  const confirmation = createThreeDsConfirmation(deps);
  return new Hono<HonoEnv>().post('/3ds/callback', countPayments(deps.metrics, '3ds_callback'), async (c) => {
    let ctx: ThreeDsContext;
    try {
      const unsealed = deps.sealer.unseal<unknown>(c.req.query('ctx') ?? '');
      if (!isThreeDsContext(unsealed)) throw new SealError('malformed');
      ctx = unsealed;
    } catch (err) {
      const expired =
        err instanceof SealError && err.reason === 'expired' && isThreeDsContext(err.expiredValue)
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

    let result: Awaited<ReturnType<typeof confirmation.confirmOnce>>;
    try {
      result = await confirmation.confirmOnce({ ctx, paRes, md }, log);
    } catch (err) {
      // The shared store did not answer before anything was sent to the bank: the customer may send the result again.
      if (!(err instanceof StoreUnavailableError)) throw err;
      result = { retry: 'the shared store did not answer' };
    }
    if ('rejected' in result) return notTaken(c, result.rejected);
    if ('retry' in result) {
      // Nothing was taken from this post and the payment still waits for a confirmation: the customer can send the
      // bank's result again from here (sending them to the failure page would leave the order waiting for nobody).
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
    if (deps.events) {
      if (result.ok) deps.events.threeDsAnswered(ctx, 'paid');
      else if (result.outcome === 'declined' || result.outcome === 'outcome_unknown') {
        deps.events.threeDsAnswered(ctx, result.outcome);
      }
    }
    return respond(c, ctx, result);
  });
}

/**
 * @module What `/3ds/callback` answers the customer's browser: a 303 to the order's `backLink` or `failureBackLink`
 * with the result in the query, a small result page without them, or a 400 page for a post that is not the payment's.
 */
import type { Context } from 'hono';
import type { HonoEnv } from '../hono-env.js';
import type { ThreeDsContext } from '../payment/answer.js';
import type { ConfirmationResult, Final } from '../payment/three-ds-confirmation.js';
import { htmlPage } from './html.js';

/** A final result, or a failure the customer is told about. */
export type Shown = Final | Extract<ConfirmationResult, { ok: false }>;

/** Appends the result to a merchant link, keeping the link's own query. */
export function resultLink(link: string, params: Record<string, string>): string {
  const u = new URL(link);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  return u.href;
}

export function respond(c: Context<HonoEnv>, ctx: Partial<ThreeDsContext> | undefined, result: Shown) {
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
export function notTaken(c: Context<HonoEnv>, reason: string): Response {
  const log = c.get('log');
  log.outcome = 'invalid_request';
  log.code = 'invalid_request';
  log.reason = reason;
  return htmlPage(c, 400, 'Not accepted', 'This 3-D Secure result does not belong to a payment waiting here.');
}

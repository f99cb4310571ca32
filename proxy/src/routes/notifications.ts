/**
 * @module `POST /epay/notifications?ctx=…`: the bank's postLink and failurePostLink when `WEBHOOK_URL` is set. The body
 * is unsigned and never read: a well-sealed link only asks for a status check, whose answer makes the event; a bad or
 * expired seal is 400 and changes nothing (docs/webhooks.md).
 */
import { Hono } from 'hono';
import type { HonoEnv } from '../hono-env.js';
import { SealError } from '../seal.js';
import { StoreUnavailableError } from '../store.js';
import type { PaymentEvents } from '../webhooks/event-service.js';

/**
 * @example
 * ```ts
 * app.route('/', notificationRoutes(events));
 * ```
 */
export function notificationRoutes(events: PaymentEvents) {
  return new Hono<HonoEnv>().post('/epay/notifications', async (c) => {
    let context: ReturnType<PaymentEvents['openNotification']>;
    try {
      context = events.openNotification(c.req.query('ctx') ?? '');
    } catch (err) {
      const record = c.get('log');
      record.reason = err instanceof SealError ? err.reason : 'malformed';
      return c.json(
        { status: 'error', error: { code: 'invalid_context', message: 'This notification link is not valid' } },
        400,
      );
    }
    c.get('log').invoiceId = context.invoiceId;
    // Answered once the check is queued; the bank's body says nothing the status call will not.
    try {
      await events.notified(context);
    } catch (err) {
      // Not queued: a non-2xx answer, so a bank that retries sends it again (reconciliation covers one that does not).
      throw new StoreUnavailableError('the event queue did not answer', { cause: err });
    }
    return c.json({ status: 'ok' });
  });
}

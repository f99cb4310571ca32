/**
 * @module One delivery of an event to `WEBHOOK_URL`: the stored body, signed at the moment of sending (so the
 * receiver's clock check measures this attempt), a 2xx within the timeout or it is retried (docs/webhooks.md).
 */
import type { WebhookSettings } from '../config.js';
import { RetryLater } from './job-queue.js';
import { signWebhook, WEBHOOK_SIGNATURE_HEADER } from './signature.js';

/** What a delivery job carries: the event's exact bytes, the same on every retry. */
export interface DeliveryJob {
  id: string;
  type: string;
  invoiceId: string;
  body: string;
}

export const WEBHOOK_USER_AGENT = 'epay-applepay-proxy';

/**
 * Sends one event once. Resolves on a 2xx; throws {@link RetryLater} otherwise (the reason names the HTTP status or
 * the network failure, never a secret or the body).
 *
 * @example
 * ```ts
 * await deliverEvent(job, config.webhooks, 10_000);
 * ```
 */
export async function deliverEvent(
  job: DeliveryJob,
  settings: WebhookSettings,
  timeoutMs: number,
  now: () => number = Date.now,
): Promise<void> {
  const signature = signWebhook(job.body, settings.signingSecrets, Math.floor(now() / 1000));
  let status: number;
  try {
    const response = await fetch(settings.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [WEBHOOK_SIGNATURE_HEADER]: signature,
        'user-agent': WEBHOOK_USER_AGENT,
      },
      body: job.body,
      // A redirect is not a delivery: the receiver answers at the configured URL.
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    status = response.status;
    await response.body?.cancel().catch(() => {});
  } catch (err) {
    const name = err instanceof Error ? err.name : 'Error';
    throw new RetryLater(name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : `network: ${name}`);
  }
  if (status < 200 || status > 299) throw new RetryLater(`HTTP ${status}`);
}

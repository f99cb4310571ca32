/** @module ePay's server-to-server notifications: the body docs/sandbox.md describes, posted best-effort to postLink / failurePostLink. */
import { cardType, SANDBOX_ISSUER } from './card.js';
import type { PaymentDetails } from './payment-details.js';
import type { Charge, Notification, NotificationBody } from './types.js';

/** A merchant endpoint gets this long to answer; the bank does not wait on slow merchants. */
export const NOTIFICATION_TIMEOUT_MS = 3_000;

/** The bank's language code in notifications and redirects. */
export const BANK_LANGUAGE = 'rus';

/** The result being notified. */
export interface NotifiedOutcome {
  ok: boolean;
  reason: string;
  reasonCode: string;
}

/**
 * The notification for a settled charge, or `undefined` when the merchant gave no link for it
 * (success goes to `postLink`, failure to `failurePostLink`).
 *
 * @example
 * ```ts
 * const note = buildNotification(charge, details, terminalId, { ok: true, reason: 'success', reasonCode: '00' });
 * ```
 */
export function buildNotification(
  charge: Charge,
  details: PaymentDetails,
  terminal: string,
  outcome: NotifiedOutcome,
  now: Date = new Date(),
): Notification | undefined {
  const kind = outcome.ok ? 'postLink' : 'failurePostLink';
  const url = details[kind];
  if (!url) return undefined;
  const body: NotificationBody = {
    code: outcome.ok ? 'ok' : 'error',
    reason: outcome.reason,
    reasonCode: outcome.reasonCode,
    id: charge.id,
    invoiceId: charge.invoiceId,
    amount: charge.amount,
    currency: charge.currency,
    terminal,
    accountId: details.accountId,
    description: details.description,
    language: BANK_LANGUAGE,
    cardMask: charge.cardMask,
    cardType: cardType(charge.cardMask),
    cardId: details.cardId,
    issuer: SANDBOX_ISSUER,
    reference: charge.reference,
    approvalCode: outcome.ok ? details.approvalCode : '',
    secure: details.secure ? 'yes' : 'no',
    dateTime: now.toISOString(),
    name: details.name,
    email: details.email,
    phone: details.phone,
  };
  return { kind, url, body, at: now.getTime(), delivery: 'pending' };
}

/**
 * POSTs a notification as JSON and records the result on it (`sentAt`, `delivery`, `httpStatus`, `error`). Never
 * throws: delivery is best-effort, like the bank's.
 *
 * @example
 * ```ts
 * await deliverNotification(note); // note.delivery is now 'delivered' or 'failed'
 * ```
 */
export async function deliverNotification(
  notification: Notification,
  timeoutMs = NOTIFICATION_TIMEOUT_MS,
): Promise<void> {
  notification.sentAt = Date.now();
  try {
    const response = await fetch(notification.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(notification.body),
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.body?.cancel();
    notification.httpStatus = response.status;
    notification.delivery = response.ok ? 'delivered' : 'failed';
  } catch (error) {
    notification.delivery = 'failed';
    notification.error = error instanceof Error ? `${error.name}: ${error.message}` : 'delivery failed';
  }
}

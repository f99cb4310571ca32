/** @module The forged notification of the `forged` fault: what an attacker who knows a merchant's postLink would post. */
import { newApprovalCode } from './charge-factory.js';
import type { Notification } from './types.js';

/** The decline a forgery claims for a paid payment. */
export const FORGED_DECLINE = { reason: 'Do not honor', reasonCode: '05' } as const;

/**
 * A forgery of a genuine notification, for the same URL: the same payment (id, invoice, amount, card mask,
 * reference…) with the opposite outcome. A paid payment is claimed declined (`code` "error", reasonCode `05`, no
 * approval code); a failed one is claimed paid (`code` "ok", reasonCode `00`, a made-up approval code). Marked
 * `forged: true` so tests can tell it from the bank's.
 *
 * @example
 * ```ts
 * const forgery = forgeNotification(genuine); // forgery.body.code is the opposite of genuine.body.code
 * ```
 */
export function forgeNotification(genuine: Notification, now: Date = new Date()): Notification {
  const paid = genuine.body.code === 'ok';
  return {
    kind: genuine.kind,
    url: genuine.url,
    body: {
      ...genuine.body,
      code: paid ? 'error' : 'ok',
      reason: paid ? FORGED_DECLINE.reason : 'success',
      reasonCode: paid ? FORGED_DECLINE.reasonCode : '00',
      approvalCode: paid ? '' : newApprovalCode(),
      dateTime: now.toISOString(),
    },
    at: now.getTime(),
    delivery: 'pending',
    forged: true,
  };
}

/**
 * @module One event per fact (docs/webhooks.md): the event's `id` is a digest of the fact (terminal, type, invoice,
 * and for a refund its `externalId`), so every source and every instance that learns the fact names it alike, and the
 * queue adds it once.
 */
import { createHash } from 'node:crypto';
import type { WebhookEvent, WebhookEventType, WebhookPayment, WebhookSource } from './verify.js';

/** The fact an event reports. */
export interface EventFact {
  type: WebhookEventType;
  invoiceId: string;
  /** A refund's own id: each refund is its own fact. */
  refundExternalId?: string;
}

/**
 * The stable id of a fact's event: `evt_` and 32 hex characters.
 *
 * @example
 * ```ts
 * eventId('T1', { type: 'payment.paid', invoiceId: '000123456' }); // 'evt_…', the same on every instance
 * ```
 */
export function eventId(terminalId: string, fact: EventFact): string {
  const digest = createHash('sha256')
    .update(JSON.stringify([terminalId, fact.type, fact.invoiceId, fact.refundExternalId ?? '']))
    .digest('hex');
  return `evt_${digest.slice(0, 32)}`;
}

/**
 * @example
 * ```ts
 * const event = buildEvent('T1', { type: 'payment.paid', invoiceId }, payment, 'notification');
 * ```
 */
export function buildEvent(
  terminalId: string,
  fact: EventFact,
  payment: WebhookPayment,
  source: WebhookSource,
  extra: { refund?: { amount: number; externalId: string } } = {},
  now: Date = new Date(),
): WebhookEvent {
  return {
    id: eventId(terminalId, fact),
    type: fact.type,
    created: Math.floor(now.getTime() / 1000),
    data: { payment, source, ...(extra.refund ? { refund: extra.refund } : {}) },
  };
}

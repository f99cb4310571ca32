/**
 * @module Events for the merchant's backend (docs/webhooks.md): what each source reports becomes a status check or an
 * event, off the payment's path. Two queues: status checks (the payment's and the 3-D Secure answer's, the bank's
 * notifications, reconciliation), whose final answers make `payment.paid` / `payment.declined`; and deliveries, one
 * per event id. The bank's notification body is never read: a notification only asks for a status check.
 */
import type { WebhookSettings } from '../config.js';
import type { EpayClient } from '../epay/client.js';
import { isPaid } from '../epay/status-names.js';
import type { Logger } from '../log.js';
import type { ProxyMetrics } from '../metrics.js';
import { paymentView, stateOf, type PaymentView } from '../operations/payment-view.js';
import type { Sealer } from '../seal.js';
import { BullJobQueue } from './bullmq-queue.js';
import { deliverEvent, type DeliveryJob } from './delivery.js';
import { buildEvent, type EventFact } from './event.js';
import {
  DEFAULT_EVENT_TIMING,
  type EventTiming,
  type JobHandler,
  type JobQueue,
  type JobQueueEvent,
  RetryLater,
} from './job-queue.js';
import { MemoryJobQueue } from './memory-queue.js';
import type { WebhookPayment, WebhookSource } from './verify.js';

/** One status call in the background gets this long, token included. */
export const CHECK_BUDGET_MS = 15_000;
/** The notification link's context lives this long: the bank may notify late; the status call decides anyway. */
export const NOTIFICATION_CONTEXT_TTL_MS = 7 * 24 * 60 * 60_000;

/** A status check: the sources that start one, and what the proxy itself answered. */
export interface CheckJob {
  invoiceId: string;
  source: Exclude<WebhookSource, 'operation'>;
  /** The proxy's own definite answer to the customer, when it had one. */
  answered?: 'paid' | 'declined';
  /** The order's amount and currency: a record for another amount is not this payment's. */
  amount?: number;
  currency?: string;
}

/** The sealed context of a notification link. */
export interface NotificationContext {
  invoiceId: string;
  amount: number;
  currency: string;
}

/** What a source tells the event service. Every method returns at once and never throws, but {@link notified}. */
export interface PaymentEvents {
  /** The `postLink`/`failurePostLink` given to the bank for this order. */
  notificationLink(order: NotificationContext): string;
  /** After `/applepay/payments` answered (or failed with `outcome_unknown`). */
  paymentAnswered(order: NotificationContext, outcome: 'paid' | 'declined' | '3ds' | 'outcome_unknown'): void;
  /** After the 3-D Secure callback learned the outcome. */
  threeDsAnswered(order: NotificationContext, outcome: 'paid' | 'declined' | 'outcome_unknown'): void;
  /** A well-sealed bank notification arrived. Rejects when the queue's store does not answer (the bank may retry). */
  notified(context: NotificationContext): Promise<void>;
  /** An operation went through (or was settled by the status call). */
  operationDone(
    verb: 'charge' | 'cancel' | 'refund',
    payment: PaymentView,
    refund?: { amount: number; externalId: string },
  ): void;
  /** Opens a notification link's context; throws a `SealError` when it is not ours or expired. */
  openNotification(ctx: string): NotificationContext;
  pending(): Promise<{ deliveries: number; checks: number }>;
  close(): Promise<void>;
}

export interface EventServiceOptions {
  settings: WebhookSettings;
  terminalId: string;
  publicUrl: string;
  epay: EpayClient;
  sealer: Sealer;
  log: Logger;
  /** Counts each run of a delivery and of a status check by result (docs/metrics.md). */
  metrics?: Pick<ProxyMetrics, 'webhookJob'>;
  /** Shared Redis: the queues live there (BullMQ). Undefined: in memory. */
  redisUrl?: string;
  timing?: Partial<EventTiming>;
}

function isNotificationContext(v: unknown): v is NotificationContext {
  const o = v as Partial<NotificationContext> | null;
  return !!o && typeof o.invoiceId === 'string' && typeof o.amount === 'number' && typeof o.currency === 'string';
}

/**
 * @example
 * ```ts
 * const events = createEventService({ settings: config.webhooks, terminalId, publicUrl, epay, sealer, log });
 * events.paymentAnswered(order, 'paid');
 * ```
 */
export function createEventService(options: EventServiceOptions): PaymentEvents {
  const timing: EventTiming = { ...DEFAULT_EVENT_TIMING, ...options.timing };
  const { epay, log, terminalId } = options;

  function queue<T>(name: string, handler: JobHandler<T>, onEvent: (e: JobQueueEvent) => void): JobQueue<T> {
    return options.redisUrl === undefined
      ? new MemoryJobQueue<T>({ handler, timing, onEvent })
      : new BullJobQueue<T>({ name, redisUrl: options.redisUrl, handler, timing, onEvent });
  }

  const deliveries = queue<DeliveryJob>(
    'deliveries',
    (job) => deliverEvent(job, options.settings, timing.deliveryTimeoutMs),
    (e) => {
      options.metrics?.webhookJob('deliveries', e);
      logJob('webhook', e);
    },
  );
  const checks = queue<CheckJob>('checks', check, (e) => {
    options.metrics?.webhookJob('checks', e);
    // A check that found the payment still open is routine; only its end is worth a line.
    if (e.kind !== 'retry') logJob('status check', e);
  });

  function logJob(msg: string, e: JobQueueEvent): void {
    log({
      level: e.kind === 'gave_up' ? 'error' : e.kind === 'retry' ? 'warn' : 'info',
      msg,
      job: e.id,
      result: e.kind,
      attempts: e.attemptsMade + (e.kind === 'done' ? 1 : 0),
      ...(e.kind === 'done' ? {} : { reason: e.reason }),
      ...(e.kind === 'retry' ? { retryInS: Math.round(e.delayMs / 1000) } : {}),
    });
  }

  /** Queues the event of a fact; the first source's event is the one delivered, every later one is the same id. */
  async function emit(
    fact: EventFact,
    payment: WebhookPayment,
    source: WebhookSource,
    refund?: { amount: number; externalId: string },
  ): Promise<void> {
    const event = buildEvent(terminalId, fact, payment, source, refund ? { refund } : {});
    await deliveries.add(event.id, {
      id: event.id,
      type: event.type,
      invoiceId: fact.invoiceId,
      body: JSON.stringify(event),
    });
  }

  /** The status call decides; an open or unknown payment is asked about again after the backoff. */
  async function check(job: CheckJob): Promise<void> {
    const scope = {
      invoiceId: job.invoiceId,
      ...(job.amount === undefined ? {} : { amount: job.amount }),
      ...(job.currency === undefined ? {} : { currency: job.currency }),
    };
    const s = await epay.status(scope, Date.now() + CHECK_BUDGET_MS);
    if (s.kind === 'no_answer') throw new RetryLater(s.reason);
    if (s.kind === 'not_found') {
      // Declined at cryptopay: the bank may keep no record of it, and the proxy's own answer is the fact.
      if (job.answered === 'declined') {
        const payment: WebhookPayment = {
          invoiceId: job.invoiceId,
          id: '',
          amount: job.amount ?? 0,
          currency: job.currency ?? '',
          state: 'declined',
          bankStatus: '',
          reference: '',
        };
        return emit({ type: 'payment.declined', invoiceId: job.invoiceId }, payment, job.source);
      }
      // A payment on its way, or a notification ahead of the bank's own records: ask again later.
      throw new RetryLater('the bank does not know the invoice yet');
    }
    const view = paymentView(job.invoiceId, s);
    const payment: WebhookPayment = {
      ...view,
      amount: view.amount ?? job.amount ?? 0,
      currency: view.currency ?? job.currency ?? '',
    };
    const state = stateOf(s.statusName);
    if (isPaid(s.statusName) || state === 'refunded') {
      return emit({ type: 'payment.paid', invoiceId: job.invoiceId }, payment, job.source);
    }
    if (state === 'declined' || state === 'failed') {
      return emit({ type: 'payment.declined', invoiceId: job.invoiceId }, payment, job.source);
    }
    // Released funds (CANCEL, CANCEL_OLD) end the check with no event of their own here: a cancel through the
    // operations API reports itself.
    if (state === 'cancelled') return;
    throw new RetryLater(`the payment is still ${s.statusName}`);
  }

  function addCheck(id: string, job: CheckJob, delayMs = 0): Promise<void> {
    return checks.add(id, job, { delayMs });
  }

  /** Never lets a failing queue reach the caller: the reconciliation and the bank's notification are the safety net. */
  function background(what: string, invoiceId: string, p: Promise<void>): void {
    p.catch((err: unknown) => {
      log({
        level: 'error',
        msg: `could not queue ${what}`,
        invoiceId,
        reason: err instanceof Error ? err.name : 'unknown',
      });
    });
  }

  function reconcile(order: NotificationContext): Promise<void> {
    return addCheck(
      `rec_${order.invoiceId}`,
      { invoiceId: order.invoiceId, source: 'reconciliation', amount: order.amount, currency: order.currency },
      timing.reconcileFirstMs,
    );
  }

  const facts = { charge: 'payment.charged', cancel: 'payment.cancelled', refund: 'payment.refunded' } as const;

  return {
    notificationLink(order) {
      const ctx = options.sealer.seal(
        { invoiceId: order.invoiceId, amount: order.amount, currency: order.currency },
        NOTIFICATION_CONTEXT_TTL_MS,
      );
      return `${options.publicUrl}/epay/notifications?ctx=${ctx}`;
    },
    openNotification(ctx) {
      const v = options.sealer.unseal<unknown>(ctx);
      if (!isNotificationContext(v)) throw new TypeError('not a notification context');
      return { invoiceId: v.invoiceId, amount: v.amount, currency: v.currency };
    },
    paymentAnswered(order, outcome) {
      const base = { invoiceId: order.invoiceId, amount: order.amount, currency: order.currency };
      if (outcome === 'paid' || outcome === 'declined') {
        background(
          'a status check',
          order.invoiceId,
          addCheck(`pay_${order.invoiceId}`, { ...base, source: 'payment', answered: outcome }),
        );
      } else {
        background('a reconciliation', order.invoiceId, reconcile(order));
      }
    },
    threeDsAnswered(order, outcome) {
      const base = { invoiceId: order.invoiceId, amount: order.amount, currency: order.currency };
      if (outcome === 'outcome_unknown') {
        background('a reconciliation', order.invoiceId, reconcile(order));
        return;
      }
      background(
        'a status check',
        order.invoiceId,
        addCheck(`3ds_${order.invoiceId}`, { ...base, source: '3ds', answered: outcome }),
      );
    },
    async notified(context) {
      await addCheck(`ntf_${context.invoiceId}`, { ...context, source: 'notification' });
    },
    operationDone(verb, view, refund) {
      const payment: WebhookPayment = { ...view, amount: view.amount ?? 0, currency: view.currency ?? '' };
      const fact: EventFact = {
        type: facts[verb],
        invoiceId: view.invoiceId,
        ...(refund ? { refundExternalId: refund.externalId } : {}),
      };
      background('an event', view.invoiceId, emit(fact, payment, 'operation', refund));
    },
    async pending() {
      const [d, c] = await Promise.all([deliveries.pending(), checks.pending()]);
      return { deliveries: d, checks: c };
    },
    async close() {
      await Promise.allSettled([checks.close(), deliveries.close()]);
    },
  };
}

/** @module The bank's outbox of notifications: records each one, applies the notification faults, and delivers. */
import { forgeNotification } from './forged-notification.js';
import {
  checkNotificationFaults,
  createNotificationFaultPicker,
  NOTIFICATION_FAULT_KINDS,
  type NotificationFaultPlan,
} from './notification-faults.js';
import { deliverNotification } from './notifications.js';
import type { Notification, NotificationFaultConfig, NotificationFaults } from './types.js';

/** What the outbox needs from its bank. */
export interface NotificationOutboxOptions {
  /** False: record every notification as `skipped`, send none and draw no faults. */
  deliver: boolean;
  /** The starting faults; validated (a RangeError when out of range). */
  faults?: NotificationFaults;
  /** The bank's shutdown-aware wait: resolves true once `ms` passed, false when the bank stopped first. */
  sleep(ms: number): Promise<boolean>;
}

/** Notifications recorded and on their way. */
export interface NotificationOutbox {
  /** Every notification, oldest first: the bank's, their duplicates and forgeries (a live array). */
  readonly notifications: Notification[];
  /** The faults in force, defaults filled in (a copy). */
  readonly faults: NotificationFaultConfig;
  /** Replaces the faults and restarts their PRNG from the seed; a RangeError when out of range. */
  setFaults(faults: NotificationFaults | undefined): NotificationFaultConfig;
  /** Records a notification and, unless delivery is off, sends it in the background as the faults say. */
  notify(notification: Notification | undefined): void;
  /** Resolves once every delivery started so far is done, late and duplicate ones included. */
  flush(): Promise<void>;
}

/**
 * An empty outbox.
 *
 * @example
 * ```ts
 * const outbox = createNotificationOutbox({ deliver: true, faults: { seed: 3, late: 1 }, sleep: state.sleep });
 * outbox.notify(buildNotification(charge, details, terminal, outcome));
 * await outbox.flush();
 * ```
 */
export function createNotificationOutbox(options: NotificationOutboxOptions): NotificationOutbox {
  const notifications: Notification[] = [];
  const deliveries = new Set<Promise<void>>();
  let faults = checkNotificationFaults(options.faults);
  let pick = createNotificationFaultPicker(faults);

  const track = (delivery: Promise<void>): void => {
    const tracked = delivery.finally(() => deliveries.delete(tracked));
    deliveries.add(tracked);
  };
  const send = async (notification: Notification, delayMs: number): Promise<void> => {
    // A delivery that waits is called off when the bank stops; a prompt one goes as it always did.
    if (delayMs > 0 && !(await options.sleep(delayMs))) {
      notification.delivery = 'cancelled';
      return;
    }
    await deliverNotification(notification);
  };
  const apply = (notification: Notification, plan: NotificationFaultPlan): void => {
    if (plan.lost) {
      notification.delivery = 'lost';
    } else {
      const delayMs = plan.late ? faults.lateMs : 0;
      track(send(notification, delayMs));
      if (plan.duplicated) {
        const copy: Notification = {
          kind: notification.kind,
          url: notification.url,
          body: { ...notification.body },
          at: notification.at,
          delivery: 'pending',
          duplicate: true,
        };
        notifications.push(copy);
        track(send(copy, delayMs + plan.duplicateDelayMs));
      }
    }
    if (plan.forged) {
      // The attacker does not wait for the bank: the forgery goes at once, ahead of a late genuine one.
      const forgery = forgeNotification(notification);
      notifications.push(forgery);
      track(send(forgery, 0));
    }
    // A lost notification is neither late nor sent twice: only the faults that happened are listed.
    const happened = { ...plan, duplicated: plan.duplicated && !plan.lost, late: plan.late && !plan.lost };
    const kinds = NOTIFICATION_FAULT_KINDS.filter((kind) => happened[kind]);
    if (kinds.length > 0) notification.faults = kinds;
  };

  return {
    notifications,
    get faults() {
      return { ...faults };
    },
    setFaults(next) {
      faults = checkNotificationFaults(next);
      pick = createNotificationFaultPicker(faults);
      return { ...faults };
    },
    notify(notification) {
      if (!notification) return;
      notifications.push(notification);
      if (!options.deliver) {
        notification.delivery = 'skipped';
        return;
      }
      apply(notification, pick());
    },
    async flush() {
      while (deliveries.size > 0) await Promise.all(deliveries);
    },
  };
}

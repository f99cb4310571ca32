/**
 * @module What the sandbox bank recorded besides its ledger, and its notification faults: `GET /_sandbox/calls`,
 * `GET /_sandbox/notifications`, `POST /_sandbox/notification-faults` (docs/sandbox.md).
 */

/** One request the bank served. */
export interface BankCall {
  method: string;
  path: string;
  invoiceId?: string;
  status: number;
}

/** One postLink / failurePostLink notification the bank produced. */
export interface BankNotification {
  kind: 'postLink' | 'failurePostLink';
  url: string;
  body: { invoiceId: string; code: 'ok' | 'error' };
  delivery: 'pending' | 'delivered' | 'failed' | 'skipped' | 'lost' | 'cancelled';
  httpStatus?: number;
  faults?: string[];
  duplicate?: true;
  forged?: true;
}

async function read<T>(bankUrl: string, path: string): Promise<T> {
  const res = await fetch(`${bankUrl}${path}`);
  if (!res.ok) throw new Error(`The sandbox bank's ${path} answered HTTP ${res.status}`);
  return (await res.json()) as T;
}

/**
 * The bank calls made for one invoice, oldest first.
 *
 * @example
 * expect((await callsOf(bankUrl, invoiceId)).map((c) => c.path)).not.toContain('/payment/confirm');
 */
export async function callsOf(bankUrl: string, invoiceId: string): Promise<BankCall[]> {
  return (await read<BankCall[]>(bankUrl, '/_sandbox/calls')).filter((c) => c.invoiceId === invoiceId);
}

/**
 * The bank's notifications of one invoice (its own, not forgeries), oldest first.
 *
 * @example
 * const [note] = await notificationsOf(bankUrl, invoiceId);
 */
export async function notificationsOf(bankUrl: string, invoiceId: string): Promise<BankNotification[]> {
  return (await read<BankNotification[]>(bankUrl, '/_sandbox/notifications')).filter(
    (n) => n.body.invoiceId === invoiceId && !n.forged,
  );
}

/**
 * Replaces the bank's notification faults (`{}` turns them off).
 *
 * @example
 * await setNotificationFaults(bankUrl, { late: 1, lateMs: 1500 });
 */
export async function setNotificationFaults(bankUrl: string, faults: Record<string, number>): Promise<void> {
  const res = await fetch(`${bankUrl}/_sandbox/notification-faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(faults),
  });
  if (!res.ok)
    throw new Error(`The sandbox bank refused the notification faults: HTTP ${res.status} ${await res.text()}`);
}

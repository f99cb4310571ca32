/** @module Test fixture: a merchant on 127.0.0.1 that records every notification POSTed to it. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NotificationBody } from './types.js';

/** One POST the merchant received. */
export interface ReceivedNotification {
  /** The request path and query, like `/ok`. */
  path: string;
  body: NotificationBody;
  /** `Date.now()` on arrival. */
  at: number;
}

/** A running test merchant. */
export interface TestMerchant {
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** Every POST so far, in arrival order (a live array). */
  received: ReceivedNotification[];
  /** What arrived for one invoice. */
  forInvoice(invoiceId: string): ReceivedNotification[];
  close(): Promise<void>;
}

/**
 * Starts a merchant that answers 200 to every POST and records its JSON body (500 on `/broken`).
 *
 * @example
 * ```ts
 * const merchant = await startTestMerchant();
 * // postLink: `${merchant.url}/ok` … then merchant.forInvoice(invoiceId)
 * await merchant.close();
 * ```
 */
export async function startTestMerchant(): Promise<TestMerchant> {
  const received: ReceivedNotification[] = [];
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => {
      text += chunk.toString();
    });
    req.on('end', () => {
      received.push({ path: req.url ?? '', body: JSON.parse(text) as NotificationBody, at: Date.now() });
      res.statusCode = req.url === '/broken' ? 500 : 200;
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    forInvoice: (invoiceId) => received.filter((r) => r.body.invoiceId === invoiceId),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

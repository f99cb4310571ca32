/**
 * @module A merchant backend for the event fault run: verifies every delivery with `verifyWebhook` and answers 500,
 * hangs (never answers: the proxy's delivery timeout ends it) or 200 for a seeded share. The choice for a delivery is a
 * digest of (seed, event id, how many times this id came before), so the same event meets the same fate on every run
 * whatever order the deliveries arrive in. Keeps one small record per delivery, no bodies.
 */
import { createHash } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhook } from '../src/webhooks/verify.js';

/** How the receiver answered one delivery: `unverified` is a 400 for a signature that did not verify. */
export type Answer = 'ok' | 'fail' | 'hang' | 'unverified';

export interface Delivery {
  answer: Answer;
  /** This id's delivery number, from 0. */
  attempt: number;
  at: number;
  id?: string;
  type?: string;
  invoiceId?: string;
  source?: string;
  state?: string;
  amount?: number;
  error?: string;
}

export interface FlakyReceiver {
  url: string;
  /** Every delivery, in arrival order (a live array). */
  deliveries: Delivery[];
  close(): Promise<void>;
}

/** A number in [0, 1) from a digest of the parts: the same parts, the same number. */
export function draw(...parts: Array<string | number>): number {
  return createHash('sha256').update(parts.join('\u0000')).digest().readUInt32BE(0) / 2 ** 32;
}

/**
 * @example
 * ```ts
 * const r = await startFlakyReceiver({ secret: WEBHOOK_SECRET, seed: 42, fail: 0.2, hang: 0.05 });
 * // WEBHOOK_URL: r.url
 * ```
 */
export async function startFlakyReceiver(o: {
  secret: string;
  seed: number;
  /** Share answered 500. */
  fail: number;
  /** Share never answered. */
  hang: number;
}): Promise<FlakyReceiver> {
  const deliveries: Delivery[] = [];
  const attempts = new Map<string, number>();
  const hanging = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const d: Delivery = { answer: 'ok', attempt: 0, at: Date.now() };
      deliveries.push(d);
      try {
        const event = verifyWebhook(
          Buffer.concat(chunks),
          req.headers['epay-signature'] as string | undefined,
          o.secret,
        );
        const p = event.data.payment;
        Object.assign(d, {
          id: event.id,
          type: event.type,
          invoiceId: p.invoiceId,
          source: event.data.source,
          state: p.state,
          amount: p.amount,
        });
      } catch (err) {
        d.answer = 'unverified';
        d.error = (err as { code?: string }).code ?? 'error';
        res.writeHead(400).end();
        return;
      }
      d.attempt = attempts.get(d.id!) ?? 0;
      attempts.set(d.id!, d.attempt + 1);
      const r = draw(o.seed, d.id!, d.attempt);
      if (r < o.fail) {
        d.answer = 'fail';
        res.writeHead(500).end();
      } else if (r < o.fail + o.hang) {
        d.answer = 'hang';
        hanging.add(res);
        res.on('close', () => hanging.delete(res));
      } else {
        res.writeHead(200).end();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hooks/epay`,
    deliveries,
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

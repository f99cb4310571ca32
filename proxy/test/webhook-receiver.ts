/** A merchant backend for tests: receives events on 127.0.0.1, verifies them, and answers as a test tells it to. */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhook, type WebhookEvent } from '../src/webhooks/verify.js';

export const WEBHOOK_SECRET = 'test-webhook-signing-secret-0123456789abcdef';

export interface Received {
  event?: WebhookEvent;
  /** The verification error code, when the delivery did not verify. */
  error?: string;
  status: number;
  at: number;
}

export type Behaviour = 'ok' | 'fail' | 'slow' | 'late-ok' | 'hang';

export interface WebhookReceiver {
  url: string;
  received: Received[];
  /** The events that verified and were answered 2xx, one per id (what a receiver that dedupes on id keeps). */
  accepted(): Map<string, WebhookEvent>;
  /** How each next delivery is answered; `ok` once the list is used up (or always `ok` when empty). */
  behave(next: Behaviour[] | ((n: number) => Behaviour)): void;
  waitFor(predicate: (accepted: Map<string, WebhookEvent>) => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * @example
 * ```ts
 * const r = await startWebhookReceiver();
 * // WEBHOOK_URL: r.url, WEBHOOK_SIGNING_SECRET: WEBHOOK_SECRET
 * ```
 */
export async function startWebhookReceiver(
  options: { secrets?: string[]; slowMs?: number } = {},
): Promise<WebhookReceiver> {
  const received: Received[] = [];
  let plan: Behaviour[] | ((n: number) => Behaviour) = [];
  let count = 0;
  const hanging = new Set<ServerResponse>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const n = count++;
      const behaviour = typeof plan === 'function' ? plan(n) : (plan.shift() ?? 'ok');
      const raw = Buffer.concat(chunks);
      const record: Received = { status: 0, at: Date.now() };
      try {
        record.event = verifyWebhook(
          raw,
          req.headers['epay-signature'] as string | undefined,
          options.secrets ?? [WEBHOOK_SECRET],
        );
      } catch (err) {
        record.error = (err as { code?: string }).code ?? 'error';
      }
      received.push(record);
      const answer = (status: number) => {
        record.status = status;
        if (!res.writableEnded) res.writeHead(status, { 'content-type': 'text/plain' }).end(String(status));
      };
      if (record.error) return answer(400);
      if (behaviour === 'fail') return answer(500);
      if (behaviour === 'hang') {
        hanging.add(res);
        return;
      }
      if (behaviour === 'slow' || behaviour === 'late-ok') {
        setTimeout(() => answer(200), options.slowMs ?? 1_500);
        return;
      }
      answer(200);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const accepted = () => {
    const out = new Map<string, WebhookEvent>();
    for (const r of received) if (r.event && r.status >= 200 && r.status < 300) out.set(r.event.id, r.event);
    return out;
  };
  return {
    url: `http://127.0.0.1:${port}/hooks/epay`,
    received,
    accepted,
    behave(next) {
      plan = typeof next === 'function' ? next : [...next];
    },
    async waitFor(predicate, timeoutMs = 10_000) {
      const until = Date.now() + timeoutMs;
      while (!predicate(accepted())) {
        if (Date.now() > until) {
          throw new Error(
            `webhook receiver: condition not met; received ${JSON.stringify(received.map((r) => [r.event?.type, r.event?.data.source, r.status, r.error]))}`,
          );
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

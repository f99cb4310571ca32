/**
 * @module The shop backend's receiver of the proxy's signed events (docs/webhooks.md): `POST /shop/webhooks` checks
 * each delivery on its raw body with `verifyWebhook`, keeps the genuine ones once per `id`, and `GET /shop/events`
 * shows them to the page. The signing secret stays in this process and the proxy's environment: never in a page, an
 * answer or a log line.
 */
import { randomBytes } from 'node:crypto';
import { Hono } from 'hono';
import {
  verifyWebhook,
  WEBHOOK_SIGNATURE_HEADER,
  WebhookVerificationError,
  type WebhookEvent,
  type WebhookVerificationErrorCode,
} from '@epay-applepay/proxy/webhooks';

/** The route the proxy posts its events to (its WEBHOOK_URL is the shop's origin and this path). */
export const SHOP_WEBHOOK_PATH = '/shop/webhooks';
/** Events the page can see; the oldest are forgotten first. */
export const MAX_KEPT_EVENTS = 200;
/** Event ids remembered for deduplication: more than the events kept, so a late retry of a dropped one stays a duplicate. */
const MAX_REMEMBERED_IDS = 2_000;
/** An event is well under 2 KiB; anything far larger is no delivery of the proxy's. */
const MAX_BODY_BYTES = 64 * 1024;

/**
 * A fresh signing secret for one run: 64 hex characters (the proxy asks for at least 32).
 *
 * @example
 * const secret = newWebhookSecret(); // given to the proxy as WEBHOOK_SIGNING_SECRET and to the shop, printed nowhere
 */
export function newWebhookSecret(): string {
  return randomBytes(32).toString('hex');
}

/** An event as the shop keeps it: the verified event and when the shop received it. */
export interface ReceivedEvent {
  event: WebhookEvent;
  /** When the first delivery of it arrived (ms since the epoch). */
  receivedAt: number;
}

/** What `GET /shop/events` answers. */
export interface ShopEventsView {
  /** Changes whenever anything below changes, so the page redraws only then. */
  version: number;
  /** Newest first, at most {@link MAX_KEPT_EVENTS}. */
  events: ReceivedEvent[];
  /** Deliveries of an event already kept: answered 2xx and dropped (delivery is at least once). */
  duplicates: number;
  /** Deliveries that failed the check: answered 400, never kept. */
  rejected: { count: number; last?: { code: WebhookVerificationErrorCode | 'too_large'; at: number } };
}

/** Options of {@link createShopEvents}. */
export interface ShopEventsOptions {
  /** The proxy's WEBHOOK_SIGNING_SECRET entries (several while rotating). */
  signingSecrets: readonly string[];
  /** Each verified, new event (the demo's terminal). */
  onEvent?: (event: WebhookEvent) => void;
}

/**
 * `POST /shop/webhooks` (the proxy's WEBHOOK_URL) and `GET /shop/events` (the page's panel).
 *
 * @example
 * const shopEvents = createShopEvents({ signingSecrets: [secret] });
 * app.route('/', shopEvents);
 * // the proxy: WEBHOOK_URL=http://127.0.0.1:5180/shop/webhooks WEBHOOK_SIGNING_SECRET=<secret>
 */
export function createShopEvents(o: ShopEventsOptions) {
  /** Oldest first. */
  const kept: ReceivedEvent[] = [];
  const seen = new Set<string>();
  let version = 0;
  let duplicates = 0;
  const rejected: ShopEventsView['rejected'] = { count: 0 };

  const reject = (code: WebhookVerificationErrorCode | 'too_large') => {
    rejected.count += 1;
    rejected.last = { code, at: Date.now() };
    version += 1;
  };

  return new Hono()
    .post(SHOP_WEBHOOK_PATH, async (c) => {
      const tooLarge = () => {
        reject('too_large');
        return c.json({ error: 'too_large' }, 413);
      };
      if (Number(c.req.header('content-length') ?? 0) > MAX_BODY_BYTES) return tooLarge();
      // The raw bytes, as signed: a body parsed and serialised again would match no signature.
      const raw = new Uint8Array(await c.req.arrayBuffer());
      if (raw.byteLength > MAX_BODY_BYTES) return tooLarge();
      let event: WebhookEvent;
      try {
        event = verifyWebhook(raw, c.req.header(WEBHOOK_SIGNATURE_HEADER), o.signingSecrets);
      } catch (err) {
        if (!(err instanceof WebhookVerificationError)) throw err;
        reject(err.code);
        return c.json({ error: err.code }, 400);
      }
      if (seen.has(event.id)) {
        duplicates += 1;
        version += 1;
        return c.body(null, 204);
      }
      seen.add(event.id);
      if (seen.size > MAX_REMEMBERED_IDS) seen.delete(seen.values().next().value!);
      kept.push({ event, receivedAt: Date.now() });
      if (kept.length > MAX_KEPT_EVENTS) kept.shift();
      version += 1;
      // Answered at once: a real shop would hand the event to its own queue here (mail, stock, accounting).
      o.onEvent?.(event);
      return c.body(null, 204);
    })
    .get('/shop/events', (c) => {
      const view: ShopEventsView = { version, events: kept.slice().reverse(), duplicates, rejected };
      return c.json(view, 200, { 'cache-control': 'no-store' });
    });
}

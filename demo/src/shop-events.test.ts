import { signWebhook } from '@epay-applepay/proxy/webhooks';
import { describe, expect, it } from 'vitest';
import { createShopEvents, MAX_KEPT_EVENTS, newWebhookSecret, type ShopEventsView } from './shop-events.js';

const SECRET = 's'.repeat(40);
const now = () => Math.floor(Date.now() / 1000);

/** An event body as the proxy writes it, with the spacing of the proxy's own JSON.stringify. */
function eventBody(id: string, type = 'payment.paid', invoiceId = '123456789012'): string {
  return JSON.stringify({
    id,
    type,
    created: now(),
    data: {
      payment: {
        invoiceId,
        id: 'pay-1',
        amount: 5900,
        currency: 'KZT',
        state: 'authorized',
        bankStatus: 'AUTH',
        reference: '1',
      },
      source: 'payment',
    },
  });
}

function deliver(shop: ReturnType<typeof createShopEvents>, body: string, signature?: string) {
  return shop.request('/shop/webhooks', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(signature === undefined ? {} : { 'epay-signature': signature }),
    },
    body,
  });
}

async function view(shop: ReturnType<typeof createShopEvents>): Promise<ShopEventsView> {
  const res = await shop.request('/shop/events');
  expect(res.headers.get('cache-control')).toBe('no-store');
  return (await res.json()) as ShopEventsView;
}

describe('createShopEvents', () => {
  it('keeps a verified event once per id, newest first, and answers 204 to every genuine delivery', async () => {
    const seen: string[] = [];
    const shop = createShopEvents({ signingSecrets: [SECRET], onEvent: (e) => seen.push(e.id) });
    const first = eventBody('evt_1');
    // The raw body is what was signed: extra spaces a parser would drop still verify.
    const spaced = ` ${eventBody('evt_2', 'payment.charged')} `;
    expect((await deliver(shop, first, signWebhook(first, [SECRET], now()))).status).toBe(204);
    expect((await deliver(shop, spaced, signWebhook(spaced, [SECRET], now()))).status).toBe(204);
    // A retry of the first (a fresh t, the same body): accepted, not kept twice.
    expect((await deliver(shop, first, signWebhook(first, [SECRET], now() + 1))).status).toBe(204);

    const v = await view(shop);
    expect(v.events.map((e) => [e.event.id, e.event.type])).toEqual([
      ['evt_2', 'payment.charged'],
      ['evt_1', 'payment.paid'],
    ]);
    expect(v.events[1]!.event.data.payment).toMatchObject({ invoiceId: '123456789012', amount: 5900 });
    expect(v.events[0]!.receivedAt).toBeGreaterThan(0);
    expect(v.duplicates).toBe(1);
    expect(v.rejected).toEqual({ count: 0 });
    expect(seen).toEqual(['evt_1', 'evt_2']);
  });

  it('accepts either secret while rotating', async () => {
    const other = 'o'.repeat(40);
    const shop = createShopEvents({ signingSecrets: [SECRET, other] });
    const body = eventBody('evt_r');
    expect((await deliver(shop, body, signWebhook(body, [other], now()))).status).toBe(204);
    expect((await view(shop)).events).toHaveLength(1);
  });

  it('answers 400 with the reason to a delivery that fails the check, counts it, and keeps nothing of it', async () => {
    const shop = createShopEvents({ signingSecrets: [SECRET] });
    const body = eventBody('evt_forged');
    const cases: Array<[string, string | undefined, string]> = [
      [body, undefined, 'signature_missing'],
      [body, 't=1,v1=zz', 'malformed'],
      [body, signWebhook(body, ['x'.repeat(40)], now()), 'signature_mismatch'],
      [body.replace('5900', '1'), signWebhook(body, [SECRET], now()), 'signature_mismatch'],
      [body, signWebhook(body, [SECRET], now() - 3600), 'timestamp_out_of_tolerance'],
      ['[1]', signWebhook('[1]', [SECRET], now()), 'malformed'],
    ];
    for (const [raw, signature, code] of cases) {
      const res = await deliver(shop, raw, signature);
      expect(res.status, code).toBe(400);
      expect(await res.json()).toEqual({ error: code });
    }
    const big = 'x'.repeat(70 * 1024);
    expect((await deliver(shop, big, signWebhook(big, [SECRET], now()))).status).toBe(413);

    const v = await view(shop);
    expect(v.events).toEqual([]);
    expect(v.rejected).toMatchObject({ count: cases.length + 1, last: { code: 'too_large' } });
    // A genuine delivery of the same id afterwards is kept: a forgery never burns an id.
    expect((await deliver(shop, body, signWebhook(body, [SECRET], now()))).status).toBe(204);
    expect((await view(shop)).events.map((e) => e.event.id)).toEqual(['evt_forged']);
  });

  it(`keeps the last ${MAX_KEPT_EVENTS} events, and the version moves with every change`, async () => {
    const shop = createShopEvents({ signingSecrets: [SECRET] });
    const start = (await view(shop)).version;
    for (let i = 0; i < MAX_KEPT_EVENTS + 5; i++) {
      const body = eventBody(`evt_${i}`);
      await deliver(shop, body, signWebhook(body, [SECRET], now()));
    }
    const v = await view(shop);
    expect(v.events).toHaveLength(MAX_KEPT_EVENTS);
    expect(v.events[0]!.event.id).toBe(`evt_${MAX_KEPT_EVENTS + 4}`);
    expect(v.events.at(-1)!.event.id).toBe('evt_5');
    expect(v.version).toBe(start + MAX_KEPT_EVENTS + 5);
    // An id that fell off the list is still remembered: its retry is a duplicate, not a new event.
    const old = eventBody('evt_0');
    await deliver(shop, old, signWebhook(old, [SECRET], now()));
    expect((await view(shop)).duplicates).toBe(1);
  });

  it('makes a new 64-character secret each time', () => {
    const a = newWebhookSecret();
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(newWebhookSecret()).not.toBe(a);
  });
});

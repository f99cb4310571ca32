/**
 * @module A tiny stand-in for the merchant's backend: the catalogue, the order (priced here and signed with the proxy's
 * `signOrder`), and the result pages the order's links point at.
 */
import { Hono } from 'hono';
import type { Ledger } from '@epay-applepay/sandbox';
import { CATALOG, DEFAULT_BASKET, MAX_QTY, priceBasket, type PricedBasket } from './catalog.js';
import { createExpressCheckout } from './express.js';
import { shopOrderSigner } from './order-signer.js';
import { failedPage, thanksPage } from './shop-pages.js';

/** How long a signed order may wait on the page before the proxy refuses it (`order_expired`). */
export const ORDER_TTL_S = 15 * 60;
/** Orders the shop remembers for its result pages; the oldest are forgotten first. */
const MAX_REMEMBERED_ORDERS = 1_000;
/** Largest basket request accepted. */
const MAX_ORDER_REQUEST_BYTES = 4 * 1024;

/** A signed order as the page receives it. */
export interface SignedOrder extends PricedBasket {
  order: string;
  invoiceId: string;
  expiresAt: number;
}

/** Options of {@link createShop}. */
export interface ShopOptions {
  /** ORDER_SIGNING_SECRET, shared with the proxy. */
  orderSecret: string;
  /**
   * The shop's https origin for the order's `backLink`/`failureBackLink` (the proxy accepts only https links). The
   * demo's reverse proxy maps it onto the page's loopback origin.
   */
  httpsOrigin: string;
  /** The sandbox bank's ledger, read by the result pages in place of ePay's status call. */
  ledger: Ledger;
}

/**
 * Invoice numbers: 12 digits, the last six a counter, so that no two orders of a run share the six digits the bank
 * keys its uniqueness on (docs/order-token.md).
 */
function invoiceNumbers(): () => string {
  const prefix = String(Date.now()).slice(-6);
  let seq = Math.floor(Math.random() * 900_000);
  return () => {
    seq = (seq + 1) % 1_000_000;
    return prefix + String(seq).padStart(6, '0');
  };
}

/**
 * The shop: `GET /shop/catalog`, `POST /shop/orders`, `GET /shop/thanks`, `GET /shop/payment-failed`, the express
 * checkout's `POST /shop/express/orders` and `POST /shop/express/reprice` (express.ts); and `createOrder` for pages the
 * server renders itself.
 *
 * @example
 * const shop = createShop({ orderSecret, httpsOrigin: 'https://127.0.0.1:5180', ledger: bank.ledger });
 * app.route('/', shop.app);
 * const { order } = await shop.createOrder([{ sku: 'tea', qty: 1 }]);
 */
export function createShop(o: ShopOptions) {
  const orders = new Map<string, PricedBasket>();
  const nextInvoice = invoiceNumbers();
  const remember = (invoiceId: string, basket: PricedBasket) => {
    orders.delete(invoiceId);
    orders.set(invoiceId, basket);
    if (orders.size > MAX_REMEMBERED_ORDERS) orders.delete(orders.keys().next().value!);
  };
  const signNew = shopOrderSigner({
    orderSecret: o.orderSecret,
    origin: () => o.httpsOrigin,
    nextInvoice,
    ttlSeconds: ORDER_TTL_S,
  });
  const express = createExpressCheckout({ orderSecret: o.orderSecret, signNew, remember });

  async function createOrder(basket: unknown): Promise<SignedOrder | { error: string }> {
    const priced = priceBasket(basket);
    if ('error' in priced) return priced;
    const { order, invoiceId, expiresAt } = await signNew({
      amount: priced.amount,
      currency: priced.currency,
      description: priced.description,
    });
    remember(invoiceId, priced);
    return { ...priced, order, invoiceId, expiresAt };
  }

  const result = (invoiceId: string) => {
    const charges = o.ledger.byInvoice(invoiceId);
    return { invoiceId, basket: orders.get(invoiceId), charge: charges[charges.length - 1] };
  };

  const app = new Hono()
    .route('/', express)
    .get('/shop/catalog', (c) => c.json({ products: CATALOG, basket: DEFAULT_BASKET, maxQty: MAX_QTY }))
    .post('/shop/orders', async (c) => {
      const text = await c.req.text();
      if (text.length > MAX_ORDER_REQUEST_BYTES) return c.json({ error: 'request too large' }, 413);
      let body: { items?: unknown };
      try {
        body = JSON.parse(text) as { items?: unknown };
      } catch {
        return c.json({ error: 'the body must be JSON' }, 400);
      }
      const created = await createOrder(body?.items);
      return 'error' in created ? c.json(created, 400) : c.json(created, 201, { 'cache-control': 'no-store' });
    })
    .get('/shop/thanks', (c) =>
      c.html(thanksPage(result(c.req.query('invoiceId') ?? ''), c.req.query('reference') ?? '')),
    )
    .get('/shop/payment-failed', (c) =>
      c.html(
        failedPage(result(c.req.query('invoiceId') ?? ''), c.req.query('code') ?? '', c.req.query('message') ?? ''),
      ),
    );

  return { app, createOrder };
}

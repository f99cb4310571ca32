/** @module The shop's new orders, of every kind: its invoice numbers, how long an order may wait, its result pages. */
import { type OrderClaims, signOrder } from '@epay-applepay/proxy';

/** The claims a shop's new order is signed with beyond its own: invoice, expiry and result links are the shop's. */
export type NewOrderClaims = Omit<OrderClaims, 'invoiceId' | 'exp' | 'backLink' | 'failureBackLink'>;

/** A newly signed order of the shop. */
export interface NewOrder {
  order: string;
  invoiceId: string;
  expiresAt: number;
}

/**
 * Signs the shop's new orders, of every kind: the next invoice number, `ttlSeconds` to pay, and the result pages as
 * `backLink`/`failureBackLink` under the shop's https origin.
 *
 * @example
 * const signNew = shopOrderSigner({ orderSecret, origin: () => 'https://127.0.0.1:5180', nextInvoice, ttlSeconds: 900 });
 * const { order, invoiceId } = await signNew({ amount: 1500, description: 'Tea' });
 */
export function shopOrderSigner(o: {
  orderSecret: string;
  origin: () => string;
  nextInvoice: () => string;
  ttlSeconds: number;
}): (claims: NewOrderClaims) => Promise<NewOrder> {
  return async (claims) => {
    const invoiceId = o.nextInvoice();
    const expiresAt = Math.floor(Date.now() / 1000) + o.ttlSeconds;
    const order = await signOrder(
      {
        ...claims,
        invoiceId,
        exp: expiresAt,
        backLink: `${o.origin()}/shop/thanks`,
        failureBackLink: `${o.origin()}/shop/payment-failed`,
      },
      o.orderSecret,
    );
    return { order, invoiceId, expiresAt };
  };
}

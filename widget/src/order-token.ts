/** @module Reads the order token's claims in the browser, without verifying it (only the proxy holds the secret). */

/** A line of the sheet above the total: goods, delivery, a discount (negative). */
export interface OrderLineItem {
  label: string;
  amount: number;
  /** `final` (the default) or `pending` (an estimate). */
  type?: 'final' | 'pending';
}

/** A delivery or pickup choice on the sheet. */
export interface OrderShippingMethod {
  identifier: string;
  label: string;
  detail?: string;
  amount: number;
}

/** The claims the element needs to build the payment sheet. */
export interface OrderClaims {
  /** As the token carries it; the proxy checks it. */
  invoiceId: string;
  amount: number;
  /** Upper-case ISO 4217 code; `KZT` when the token names none. */
  currency: string;
  /** Expiry, seconds since the epoch. */
  exp: number;
  lineItems?: OrderLineItem[];
  /** `shipping`, `delivery`, `storePickup` or `servicePickup`. */
  shippingType?: string;
  shippingMethods?: OrderShippingMethod[];
  /** Identifier of the selected method; the first one when absent. */
  shippingMethod?: string;
}

/** The result of {@link decodeOrderToken}: the claims, or why the token cannot be used. */
export type DecodedOrder =
  | { ok: true; order: OrderClaims }
  | { ok: false; reason: 'missing' | 'malformed' | 'expired'; message: string };

/**
 * Decodes a JWT's payload (base64url of UTF-8 JSON, so labels in Kazakh or Russian arrive intact)
 * and checks the claims the sheet depends on: `amount` (a number above 0 with at most two
 * decimals), `currency` (three capitals, `KZT` by default), `exp`, and the shapes of `lineItems`
 * and `shippingMethods` when present (labels, amounts with at most two decimals; a line item may
 * be negative, a shipping method may not). It never verifies the signature or the other claims: the proxy does, with the secret the
 * page must not have. Messages never repeat the token.
 *
 * @param nowMs the clock, injectable for tests
 * @example
 * const r = decodeOrderToken(el.order);
 * if (r.ok) console.log(r.order.amount, r.order.currency);
 */
export function decodeOrderToken(token: string | null | undefined, nowMs: number = Date.now()): DecodedOrder {
  if (!token?.trim()) return { ok: false, reason: 'missing', message: 'Order token missing' };
  try {
    const part = token.trim().split('.');
    // atob takes unpadded base64 but not the URL alphabet, and gives bytes: UTF-8 is decoded after.
    const bytes = Uint8Array.from(atob(part[1]!.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
    const claims = JSON.parse(new TextDecoder().decode(bytes));
    const { amount, exp, currency = 'KZT', lineItems, shippingMethods } = claims;
    if (
      part.length === 3 &&
      money(amount, 0.01) &&
      /^[A-Z]{3}$/.test(currency) &&
      typeof exp === 'number' &&
      (lineItems === undefined ||
        lineItems.every(
          (i: OrderLineItem) => text(i.label) && money(i.amount) && [undefined, 'final', 'pending'].includes(i.type),
        )) &&
      (shippingMethods === undefined ||
        shippingMethods.every((m: OrderShippingMethod) => text(m.identifier) && text(m.label) && money(m.amount, 0)))
    ) {
      return exp * 1000 > nowMs
        ? { ok: true, order: { ...claims, currency } }
        : { ok: false, reason: 'expired', message: 'Order expired' };
    }
  } catch {
    // falls through: not a readable token
  }
  return { ok: false, reason: 'malformed', message: 'Order token unreadable' };
}

/** A number with at most two decimals, at least `min`. toFixed throws for anything else: the caller's catch. */
const money = (a: number, min = -Infinity) => a >= min && +a.toFixed(2) === a;

const text = (s: unknown) => typeof s === 'string' && s.trim() !== '';

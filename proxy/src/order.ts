/**
 * @module The order token: an HS256 JWT signed by the merchant's backend (`signOrder`), verified on every request
 * (`verifyOrder`), and re-priced while the sheet is open (`updateOrder`). The claims' rules are in order-claims.ts.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { ProxyError } from './errors.js';
import { fromMinorUnits, MAX_ORDER_AMOUNT, toMinorUnits } from './money.js';
import {
  type LineItem,
  type Order,
  type OrderClaims,
  readLineItems,
  readOrderClaims,
  type ShippingMethod,
  type ShippingType,
} from './order-claims.js';
import { isPlainObject, NAMEABLE_KEY } from './schema.js';

/** The error every refusal here throws: a merchant's backend reads its `code` (`invalid_order`, `order_expired`). */
export { ProxyError } from './errors.js';
export {
  CURRENCIES,
  type Currency,
  currencyOf,
  decimalPlaces,
  fromMinorUnits,
  MAX_ORDER_AMOUNT,
  toMinorUnits,
} from './money.js';
export {
  LINE_ITEM_TYPES,
  type LineItem,
  MAX_DETAIL_CHARS,
  MAX_IDENTIFIER_CHARS,
  MAX_LABEL_CHARS,
  MAX_LINE_ITEMS,
  MAX_SHIPPING_METHODS,
  type Order,
  type OrderClaims,
  SHIPPING_TYPES,
  type ShippingMethod,
  type ShippingType,
} from './order-claims.js';

/**
 * Longest order token accepted. Measured (proxy/src/order.test.ts): plain claims with two links, about 460
 * characters; an express order with 10 line items and 3 shipping methods labelled in Kazakh and Russian (two bytes a
 * letter in UTF-8, four thirds of that in base64url), about 1,940; 50 such line items, about 4,800. Every claim at its
 * limit (50 lines and 20 methods of 128 Cyrillic letters) would be about 45,000, and is refused by name. The token
 * travels in the page and in both POSTs, so it stays bounded.
 */
export const MAX_ORDER_TOKEN = 8192;
/** An HS256 signature is 32 bytes: 43 base64url characters without padding. */
const HS256_SIGNATURE = /^[A-Za-z0-9_-]{43}$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** What a backend may change when the sheet asks for a new price. */
export interface OrderChanges {
  /** The new total; when absent and the order has `lineItems`, their exact sum. */
  amount?: number;
  lineItems?: LineItem[];
  shippingMethods?: ShippingMethod[];
  shippingMethod?: string;
  shippingType?: ShippingType;
  description?: string;
  exp?: number;
}

/** The keys of {@link OrderChanges}: anything else (`invoiceId`, `currency`, a link) is the order's own. */
const ORDER_CHANGES: ReadonlySet<string> = new Set<keyof OrderChanges>([
  'amount',
  'lineItems',
  'shippingMethods',
  'shippingMethod',
  'shippingType',
  'description',
  'exp',
]);
/** Registered claims about the token rather than the order: copied into a new token they would be false. */
const TOKEN_CLAIMS = ['iat', 'nbf', 'jti'] as const;

/**
 * Checks the claims' shapes and values; returns the problem (which claim, which rule), or undefined when they are
 * sound.
 *
 * @example
 * ```ts
 * orderProblem({ invoiceId: '000123456', amount: 1500, exp: 1767225600, lineItems: [{ label: 'Tea', ammount: 1 }] });
 * // 'lineItems[0].amount is required'
 * ```
 */
export function orderProblem(p: Record<string, unknown>): string | undefined {
  const r = readOrderClaims(p);
  return r.ok ? undefined : r.problem;
}

/**
 * The one claims check of both sides: a payload as it travels in the token (parsed JSON) to the verified order, or
 * `invalid_order`. Expiry is not a claims question: it is judged against the clock when the order is used.
 */
function orderFromClaims(payload: Record<string, unknown>, problemPrefix: string): Order {
  const r = readOrderClaims(payload);
  if (!r.ok) throw new ProxyError('invalid_order', `${problemPrefix}: ${r.problem}`);
  return r.order;
}

/**
 * Claims as the proxy will read them: the JSON the token carries, not the object in memory (an inherited or non-JSON
 * property would pass a check here and be missing there; an `undefined` one is absent).
 */
function asJsonObject(value: unknown, problemPrefix: string, what: string): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(JSON.stringify(value));
  } catch {
    throw new ProxyError('invalid_order', `${problemPrefix}: the ${what} are not JSON`);
  }
  if (!isPlainObject(json)) throw new ProxyError('invalid_order', `${problemPrefix}: the ${what} are not an object`);
  return json;
}

/** Checks a payload, signs it, and refuses a token verifyOrder would find too long. */
function signClaims(payload: Record<string, unknown>, secret: string, problemPrefix: string): string {
  orderFromClaims(payload, problemPrefix);
  const token = signHs256(payload, secret);
  if (token.length > MAX_ORDER_TOKEN) {
    throw new ProxyError(
      'invalid_order',
      `${problemPrefix}: the token would be ${token.length} characters, more than the ${MAX_ORDER_TOKEN} the proxy ` +
        'takes (shorten the labels, or show fewer line items or shipping methods)',
    );
  }
  return token;
}

/**
 * Signs an order token (HS256) for the element's `order` attribute.
 *
 * @example
 * ```ts
 * const order = await signOrder(
 *   {
 *     invoiceId: '000123456',
 *     amount: 16500,
 *     exp: Math.floor(Date.now() / 1000) + 900,
 *     backLink: 'https://shop.kz/ok',
 *     lineItems: [
 *       { label: 'Шай, 3 қорап', amount: 15000 },
 *       { label: 'Жеткізу', amount: 1500 },
 *     ],
 *     shippingType: 'delivery',
 *     shippingMethods: [
 *       { identifier: 'courier', label: 'Доставка курьером', detail: 'Завтра', amount: 1500 },
 *       { identifier: 'pickup', label: 'Самовывоз', amount: 0 },
 *     ],
 *   },
 *   process.env.ORDER_SIGNING_SECRET!,
 * );
 * ```
 * @throws {ProxyError} `invalid_order` for any claims {@link verifyOrder} would refuse, and for a token it would find
 *   too long. Expiry is judged when the order is used, so an order that has already expired is still signed.
 */
export async function signOrder(claims: OrderClaims, secret: string): Promise<string> {
  return signClaims(asJsonObject(claims, 'Order not signed', 'claims'), secret, 'Order not signed');
}

function jsonPart(part: string): unknown {
  if (!BASE64URL.test(part)) throw new Error('not base64url');
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
}

/** The header every order token carries (the bytes hono/jwt's `sign` wrote before: tokens are unchanged). */
const HS256_HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');

/** Signs claims as an HS256 JWT on node:crypto, so this module (and `@epay-applepay/proxy/order`) loads no Hono. */
function signHs256(payload: Record<string, unknown>, secret: string): string {
  const body = `${HS256_HEADER}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}

/**
 * Checks an HS256 JWT and returns its payload, or throws. The same checks as hono/jwt's `verify` (three parts, header
 * `alg` exactly HS256, `typ` absent or JWT, no `crit`, constant-time signature comparison), on node:crypto's HMAC:
 * hono's goes through WebCrypto, measured at about 100 µs per order (a key import and two promise hops) against about
 * 10 µs here, on a path every payment takes (proxy/bench/cpu-per-payment.ts).
 */
function verifyHs256(token: string, secret: string): Record<string, unknown> {
  const parts = token.split('.');
  if (parts.length !== 3) throw new Error('not a JWT');
  const [header, payload, signature] = parts as [string, string, string];
  const h = jsonPart(header);
  if (!isPlainObject(h) || h.alg !== 'HS256' || 'crit' in h) throw new Error('not an HS256 JWT');
  if (h.typ !== undefined && (typeof h.typ !== 'string' || !/^(application\/)?jwt$/i.test(h.typ)))
    throw new Error('not a JWT');
  if (!HS256_SIGNATURE.test(signature)) throw new Error('bad signature');
  const expected = createHmac('sha256', secret).update(`${header}.${payload}`).digest();
  if (!timingSafeEqual(Buffer.from(signature, 'base64url'), expected)) throw new Error('bad signature');
  const p = jsonPart(payload);
  if (!isPlainObject(p)) throw new Error('payload is not an object');
  return p;
}

/**
 * Verifies an order token: HS256 signature, every claim, and expiry at `now`. The verified order carries the known
 * claims only, copied; the raw payload is for {@link updateOrder}, which keeps the merchant's own claims too.
 */
function verifiedOrder(token: unknown, secret: string, now: Date): { order: Order; payload: Record<string, unknown> } {
  if (typeof token !== 'string' || token.length === 0) {
    throw new ProxyError('invalid_order', 'The order token is missing or malformed');
  }
  if (token.length > MAX_ORDER_TOKEN) {
    throw new ProxyError('invalid_order', `The order token is longer than ${MAX_ORDER_TOKEN} characters`);
  }
  let payload: Record<string, unknown>;
  try {
    // exp is checked below against `now`, so tests and callers can pin the clock.
    payload = verifyHs256(token, secret);
  } catch {
    throw new ProxyError('invalid_order', 'The order token is not signed by this merchant');
  }
  const order = orderFromClaims(payload, 'The order token is invalid');
  if (order.exp * 1000 <= now.getTime()) throw new ProxyError('order_expired', 'The order has expired');
  return { order, payload };
}

/**
 * Verifies an order token: HS256 signature, every claim, and expiry at `now`. Line items are not required to add up
 * to `amount` (Apple does not require it either: a merchant may show tax-inclusive lines); the Apple Pay token is
 * checked against `amount` alone.
 *
 * @example
 * ```ts
 * const order = await verifyOrder(body.order, config.orderSigningSecret);
 * order.amount; // 1500
 * ```
 * @throws {ProxyError} `invalid_order` or `order_expired`.
 */
export async function verifyOrder(token: unknown, secret: string, now: Date = new Date()): Promise<Order> {
  return verifiedOrder(token, secret, now).order;
}

/**
 * The order re-priced while the sheet is open: the customer chose a delivery method, changed the address, entered a
 * coupon. The current order is verified first (signature, claims, expiry), so the invoice, the currency and the links
 * stay the merchant's own whatever the page sent; every claim is kept but those in `changes`. New `lineItems`
 * without `changes.amount` make the amount their exact sum (in minor units, so `0.1 + 0.2` never creeps in); any
 * other change keeps the current amount.
 * New `shippingMethods` without a `shippingMethod` keep the selected method when it is still among them, else the
 * selection is dropped and the sheet selects the first.
 *
 * @example
 * ```ts
 * // The page's `epay-shipping-method` and `epay-coupon-code` listeners post here; the backend prices, then re-signs.
 * const goods = { label: 'Шай, 3 қорап', amount: 15000 };
 * const methods = [
 *   { identifier: 'courier', label: 'Доставка курьером', amount: 1500 },
 *   { identifier: 'pickup', label: 'Самовывоз', amount: 0 },
 * ];
 * const method = methods.find((m) => m.identifier === body.shippingMethod) ?? methods[0]!;
 * const lines = [goods, { label: method.label, amount: method.amount }];
 * if (body.couponCode === 'SPRING10') lines.push({ label: 'Купон SPRING10', amount: -1500 });
 * const order = await updateOrder(
 *   body.order,
 *   { lineItems: lines, shippingMethods: methods, shippingMethod: method.identifier },
 *   process.env.ORDER_SIGNING_SECRET!,
 * ); // amount: 15000 (15000 + 1500 - 1500)
 * ```
 * @throws {ProxyError} `order_expired` when `current` has expired; `invalid_order` when it is not the merchant's, when
 *   `changes` names a claim it may not change (`invoiceId`, `currency`, anything not in {@link OrderChanges}), when
 *   the line items add up to 0 or less, or for any claims {@link signOrder} would refuse.
 */
export async function updateOrder(
  current: string,
  changes: OrderChanges,
  secret: string,
  now: Date = new Date(),
): Promise<string> {
  const prefix = 'Order not updated';
  const { order, payload } = verifiedOrder(current, secret, now);
  const change = asJsonObject(changes, prefix, 'changes');
  for (const key of Object.keys(change)) {
    if (ORDER_CHANGES.has(key)) continue;
    const named = NAMEABLE_KEY.test(key) ? `\`${key}\`` : 'a key';
    throw new ProxyError(
      'invalid_order',
      key === 'invoiceId' || key === 'currency'
        ? `${prefix}: ${key} cannot change (sign a new order for another ${key === 'invoiceId' ? 'invoice' : 'currency'})`
        : `${prefix}: ${named} is not a claim updateOrder changes (${[...ORDER_CHANGES].join(', ')})`,
    );
  }
  const next: Record<string, unknown> = { ...payload, ...change };
  for (const claim of TOKEN_CLAIMS) delete next[claim];

  const methods = change.shippingMethods;
  if (
    Array.isArray(methods) &&
    change.shippingMethod === undefined &&
    !methods.some((m: unknown) => isPlainObject(m) && m.identifier === next.shippingMethod)
  ) {
    delete next.shippingMethod;
  }

  // New lines without an amount: the lines' sum. Nothing else re-prices (the current lines may not add up to the
  // current amount, and a new description or expiry is no reason to change what the customer pays).
  if (change.amount === undefined && change.lineItems !== undefined) {
    const r = readLineItems(change.lineItems, order.currency);
    if (!r.ok) throw new ProxyError('invalid_order', `${prefix}: ${r.problem}`);
    const minor = r.lineItems.reduce((sum, item) => sum + toMinorUnits(item.amount, order.currency), 0);
    if (minor <= 0 || minor > toMinorUnits(MAX_ORDER_AMOUNT, order.currency)) {
      throw new ProxyError(
        'invalid_order',
        `${prefix}: the line items add up to ${fromMinorUnits(minor, order.currency)}; the amount must be above 0 ` +
          `and at most ${MAX_ORDER_AMOUNT} (pass amount to set it apart from the lines)`,
      );
    }
    next.amount = fromMinorUnits(minor, order.currency);
  }
  return signClaims(next, secret, prefix);
}

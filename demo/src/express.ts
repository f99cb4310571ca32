/**
 * @module The demo shop's express checkout: one product bought from its own page with "Buy now"; delivery and a coupon
 * are chosen on the payment sheet, and every price change is re-signed here with the proxy's `updateOrder`, so the
 * sheet shows only totals the proxy will verify.
 */
import { Hono } from 'hono';
import { ProxyError, updateOrder, verifyOrder } from '@epay-applepay/proxy';
import { CATALOG, type PricedBasket } from './catalog.js';
import type { NewOrder, NewOrderClaims } from './order-signer.js';

/** The product of the express page, from the catalogue (its price in whole tenge, so 10 % off stays whole). */
const PRODUCT = CATALOG.find((p) => p.sku === 'slippers')!;

/** One line of the sheet, as the order's `lineItems` claim carries it (a discount is negative). */
export interface ExpressLineItem {
  label: string;
  amount: number;
}

/** A delivery method, as the order's `shippingMethods` claim carries it. */
export interface DeliveryMethod {
  identifier: string;
  label: string;
  detail: string;
  amount: number;
}

/** The two ways the shop delivers; the first is the sheet's default. Labels in Russian and Kazakh reach the sheet as written. */
export const DELIVERY_METHODS: readonly DeliveryMethod[] = [
  { identifier: 'courier', label: 'Курьер / Courier', detail: 'Алматы, 1–2 дня', amount: 1_500 },
  { identifier: 'pickup', label: 'Самовывоз / Pickup', detail: 'Достық даңғылы, 5 · Алматы', amount: 0 },
];

/** Coupon codes and their discount on the goods (not on delivery), in percent. Compared without case. */
export const COUPONS: Readonly<Record<string, number>> = { WELCOME10: 10 };

/** The one country the shop delivers to (the contact's `countryCode`). */
export const DELIVERY_COUNTRY = 'KZ';

/** Largest reprice request accepted: an order token (at most 8 KB) and a redacted contact. */
const MAX_EXPRESS_REQUEST_BYTES = 16 * 1024;
/** Longest coupon code looked at. */
const MAX_COUPON_LENGTH = 64;
/** Signed express orders whose choices the shop remembers; the oldest are forgotten first. */
const MAX_REMEMBERED_CHOICES = 1_000;

/** What the customer has chosen on the sheet so far, per invoice: delivery and coupon compose. */
export interface ExpressChoice {
  shippingMethod: string;
  /** The applied coupon, upper-cased; absent without one. */
  couponCode?: string;
}

/** An express order priced from the customer's choice. */
export interface ExpressPrice {
  lineItems: ExpressLineItem[];
  amount: number;
  currency: 'KZT';
  description: string;
}

/** The sheet's error of an update, as the element hands it to Apple Pay (`ApplePayError`). */
export interface ExpressError {
  code: 'shippingContactInvalid' | 'addressUnserviceable' | 'couponCodeInvalid' | 'couponCodeExpired';
  contactField?: string;
  message: string;
}

/**
 * Prices the express order: the product, the chosen delivery, and the coupon's discount on the goods (whole tenge).
 *
 * @example
 * priceExpress({ shippingMethod: 'pickup', couponCode: 'WELCOME10' }).amount; // 8550
 */
export function priceExpress(choice: ExpressChoice): ExpressPrice {
  const method = DELIVERY_METHODS.find((m) => m.identifier === choice.shippingMethod) ?? DELIVERY_METHODS[0]!;
  const lineItems: ExpressLineItem[] = [
    { label: PRODUCT.name, amount: PRODUCT.price },
    { label: method.label, amount: method.amount },
  ];
  const percent = choice.couponCode ? COUPONS[choice.couponCode] : undefined;
  if (percent !== undefined)
    lineItems.push({
      label: `Скидка / Discount ${choice.couponCode}`,
      amount: -Math.round((PRODUCT.price * percent) / 100),
    });
  const amount = lineItems.reduce((sum, l) => sum + l.amount, 0);
  const description = [`1 × ${PRODUCT.name}`, method.label, choice.couponCode].filter(Boolean).join(', ');
  return { lineItems, amount, currency: 'KZT', description };
}

/** A request's JSON body, or why it is refused before any order is looked at; an empty body is `{}`. */
function readBody(text: string): { body: unknown } | { status: 400 | 413; error: string } {
  if (text.length > MAX_EXPRESS_REQUEST_BYTES) return { status: 413, error: 'request too large' };
  if (text.trim() === '') return { body: {} };
  try {
    return { body: JSON.parse(text) as unknown };
  } catch {
    return { status: 400, error: 'the body must be JSON' };
  }
}

/** The body of `POST /shop/express/reprice`, checked. */
interface RepriceRequest {
  order: string;
  shippingMethod?: string;
  couponCode?: string;
  contact?: Record<string, unknown>;
}

/** Reads a reprice body; a message says what is wrong with it. */
export function readRepriceRequest(body: unknown): RepriceRequest | { error: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return { error: 'the body must be a JSON object' };
  const b = body as Record<string, unknown>;
  if (typeof b.order !== 'string' || b.order === '') return { error: 'order must be the current order token' };
  const request: RepriceRequest = { order: b.order };
  if (b.shippingMethod !== undefined) {
    if (typeof b.shippingMethod !== 'string' || !DELIVERY_METHODS.some((m) => m.identifier === b.shippingMethod))
      return { error: `shippingMethod must be one of ${DELIVERY_METHODS.map((m) => m.identifier).join(', ')}` };
    request.shippingMethod = b.shippingMethod;
  }
  if (b.couponCode !== undefined) {
    if (typeof b.couponCode !== 'string' || b.couponCode.length > MAX_COUPON_LENGTH)
      return { error: `couponCode must be a string of at most ${MAX_COUPON_LENGTH} characters` };
    request.couponCode = b.couponCode;
  }
  if (b.contact !== undefined) {
    if (typeof b.contact !== 'object' || b.contact === null || Array.isArray(b.contact))
      return { error: 'contact must be an object (Apple Pay\u2019s shipping contact)' };
    request.contact = b.contact as Record<string, unknown>;
  }
  return request;
}

/** Where the shop cannot deliver to the contact's address, why (as the sheet shows it). */
export function contactProblem(contact: Record<string, unknown>): ExpressError | undefined {
  const country = typeof contact.countryCode === 'string' ? contact.countryCode.trim().toUpperCase() : '';
  if (country === '')
    return { code: 'shippingContactInvalid', contactField: 'country', message: 'Choose an address with a country' };
  if (country !== DELIVERY_COUNTRY)
    return {
      code: 'addressUnserviceable',
      contactField: 'country',
      message: 'We deliver in Kazakhstan only / Доставка только по Казахстану',
    };
  return undefined;
}

/** Options of {@link createExpressCheckout}. */
export interface ExpressCheckoutOptions {
  /** ORDER_SIGNING_SECRET, shared with the proxy: re-signs the orders the page sends back. */
  orderSecret: string;
  /** Signs a new order of the shop (its invoice numbers, expiry and result links: shop.ts). */
  signNew(claims: NewOrderClaims): Promise<NewOrder>;
  /** Tells the shop's result pages what the invoice is for, at every price. */
  remember(invoiceId: string, basket: PricedBasket): void;
}

/** The basket the result pages show for an express order at this price. */
function asBasket(price: ExpressPrice): PricedBasket {
  return {
    lines: [{ ...PRODUCT, qty: 1, total: PRODUCT.price }],
    amount: price.amount,
    currency: price.currency,
    description: price.description,
  };
}

/**
 * `POST /shop/express/orders` (a new express order at the default delivery, no coupon) and
 * `POST /shop/express/reprice` (`{ order, shippingMethod?, couponCode?, contact? }` → `{ order, errors?, price, choice }`:
 * the order re-signed for the choices of the page's order and this change, or the current order unchanged with the sheet's errors; `price`
 * and `choice` are for the page, the element reads `order` and `errors`).
 *
 * @example
 * app.route('/', createExpressCheckout({ orderSecret, signNew: shopOrderSigner({ … }), remember }));
 */
export function createExpressCheckout(o: ExpressCheckoutOptions) {
  // By the order token, not the invoice: the page's order says what the sheet shows. A re-price the element never
  // took (the sheet closed first) signs a token nobody holds, and changes nothing for the next one.
  const choices = new Map<string, ExpressChoice>();
  const choose = (order: string, choice: ExpressChoice) => {
    choices.delete(order);
    choices.set(order, choice);
    if (choices.size > MAX_REMEMBERED_CHOICES) choices.delete(choices.keys().next().value!);
  };

  return new Hono()
    .post('/shop/express/orders', async (c) => {
      const read = readBody(await c.req.text());
      if ('error' in read) return c.json({ error: read.error }, read.status);
      const choice: ExpressChoice = { shippingMethod: DELIVERY_METHODS[0]!.identifier };
      const price = priceExpress(choice);
      const { order, invoiceId, expiresAt } = await o.signNew({
        amount: price.amount,
        currency: price.currency,
        description: price.description,
        lineItems: price.lineItems,
        shippingType: 'delivery',
        shippingMethods: [...DELIVERY_METHODS],
        shippingMethod: choice.shippingMethod,
      });
      choose(order, choice);
      o.remember(invoiceId, asBasket(price));
      return c.json({ order, invoiceId, expiresAt, product: PRODUCT, price }, 201, {
        'cache-control': 'no-store',
      });
    })
    .post('/shop/express/reprice', async (c) => {
      const read = readBody(await c.req.text());
      if ('error' in read) return c.json({ error: read.error }, read.status);
      const request = readRepriceRequest(read.body);
      if ('error' in request) return c.json(request, 400);
      let invoiceId: string;
      try {
        invoiceId = (await verifyOrder(request.order, o.orderSecret)).invoiceId;
      } catch (e) {
        if (e instanceof ProxyError) return c.json({ error: `${e.code}: ${e.message}` }, 400);
        throw e;
      }
      const current = choices.get(request.order);
      if (!current) return c.json({ error: 'the order is not an express order of this shop' }, 400);

      const errors: ExpressError[] = [];
      const next: ExpressChoice = { ...current };
      if (request.contact) {
        const problem = contactProblem(request.contact);
        if (problem) errors.push(problem);
      }
      if (request.shippingMethod !== undefined) next.shippingMethod = request.shippingMethod;
      if (request.couponCode !== undefined) {
        const code = request.couponCode.trim().toUpperCase();
        if (code === '') delete next.couponCode;
        else if (Object.hasOwn(COUPONS, code)) next.couponCode = code;
        else errors.push({ code: 'couponCodeInvalid', message: `The code ${code} is not valid / Код недействителен` });
      }
      const noStore = { 'cache-control': 'no-store' };
      // With an error the sheet keeps what it shows: the current order, unchanged, and the customer fixes the field.
      if (errors.length > 0)
        return c.json({ order: request.order, errors, price: priceExpress(current), choice: current }, 200, noStore);

      const price = priceExpress(next);
      const unchanged = next.shippingMethod === current.shippingMethod && next.couponCode === current.couponCode;
      // The amount is left out: updateOrder makes it the exact sum of the line items.
      const order = unchanged
        ? request.order
        : await updateOrder(
            request.order,
            { lineItems: price.lineItems, shippingMethod: next.shippingMethod, description: price.description },
            o.orderSecret,
          );
      choose(order, next);
      o.remember(invoiceId, asBasket(price));
      return c.json({ order, price, choice: next }, 200, noStore);
    });
}

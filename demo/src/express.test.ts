import { verifyOrder } from '@epay-applepay/proxy';
import { signOrder } from '@epay-applepay/proxy';
import type { Ledger } from '@epay-applepay/sandbox';
import { describe, expect, it } from 'vitest';
import { DELIVERY_METHODS, createExpressCheckout, priceExpress } from './express.js';
import { createShop } from './shop.js';
import { shopOrderSigner } from './order-signer.js';

const SECRET = 'x'.repeat(64);
const ORIGIN = 'https://127.0.0.1:5180';

function express() {
  let seq = 0;
  const remembered = new Map<string, { amount: number; description: string }>();
  const app = createExpressCheckout({
    orderSecret: SECRET,
    signNew: shopOrderSigner({
      orderSecret: SECRET,
      origin: () => ORIGIN,
      nextInvoice: () => `900000${String(++seq).padStart(6, '0')}`,
      ttlSeconds: 900,
    }),
    remember: (invoiceId, basket) => remembered.set(invoiceId, basket),
  });
  return { app, remembered };
}

type App = ReturnType<typeof express>['app'];

async function newOrder(app: App): Promise<{ order: string; invoiceId: string }> {
  const res = await app.request('/shop/express/orders', { method: 'POST', body: '{}' });
  expect(res.status).toBe(201);
  return (await res.json()) as { order: string; invoiceId: string };
}

interface Answer {
  order: string;
  errors?: Array<{ code: string; contactField?: string; message: string }>;
  price: { amount: number };
  choice: { shippingMethod: string; couponCode?: string };
}

async function reprice(app: App, body: unknown): Promise<{ status: number; answer: Answer & { error?: string } }> {
  const res = await app.request('/shop/express/reprice', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, answer: (await res.json()) as Answer & { error?: string } };
}

/** The claims the proxy will read, as loose JSON. */
async function claims(order: string): Promise<Record<string, unknown>> {
  return (await verifyOrder(order, SECRET)) as unknown as Record<string, unknown>;
}

describe('priceExpress: the backend decides every price on the sheet', () => {
  it('prices delivery and the coupon in whole tenge (the sandbox card then picks the outcome)', () => {
    expect(priceExpress({ shippingMethod: 'courier' }).amount).toBe(11_000);
    expect(priceExpress({ shippingMethod: 'pickup' }).amount).toBe(9_500);
    expect(priceExpress({ shippingMethod: 'pickup', couponCode: 'WELCOME10' })).toMatchObject({
      amount: 8_550,
      lineItems: [
        { label: 'Felt slippers', amount: 9_500 },
        { label: 'Самовывоз / Pickup', amount: 0 },
        { label: 'Скидка / Discount WELCOME10', amount: -950 },
      ],
    });
    // 10 % off the goods only: the courier's 1,500 is not discounted.
    expect(priceExpress({ shippingMethod: 'courier', couponCode: 'WELCOME10' }).amount).toBe(10_050);
  });
});

describe('POST /shop/express/orders', () => {
  it('signs an order with the lines, both delivery methods (labels intact), courier selected, shippingType delivery', async () => {
    const { app, remembered } = express();
    const { order, invoiceId } = await newOrder(app);
    expect(await claims(order)).toMatchObject({
      invoiceId,
      amount: 11_000,
      currency: 'KZT',
      backLink: `${ORIGIN}/shop/thanks`,
      failureBackLink: `${ORIGIN}/shop/payment-failed`,
      lineItems: [
        { label: 'Felt slippers', amount: 9_500 },
        { label: 'Курьер / Courier', amount: 1_500 },
      ],
      shippingType: 'delivery',
      shippingMethods: DELIVERY_METHODS,
      shippingMethod: 'courier',
    });
    expect(DELIVERY_METHODS.map((m) => m.label)).toEqual(['Курьер / Courier', 'Самовывоз / Pickup']);
    expect(remembered.get(invoiceId)).toMatchObject({ amount: 11_000 });
    const second = await newOrder(app);
    expect(second.invoiceId).not.toBe(invoiceId);
  });
});

describe('POST /shop/express/reprice', () => {
  it('re-signs the order at each choice, and delivery and coupon compose', async () => {
    const { app, remembered } = express();
    const first = await newOrder(app);
    const { exp, backLink } = await claims(first.order);

    const pickup = await reprice(app, { order: first.order, shippingMethod: 'pickup' });
    expect(pickup.status).toBe(200);
    expect(pickup.answer.errors).toBeUndefined();
    expect(await claims(pickup.answer.order)).toMatchObject({
      invoiceId: first.invoiceId,
      amount: 9_500,
      shippingMethod: 'pickup',
      lineItems: [
        { label: 'Felt slippers', amount: 9_500 },
        { label: 'Самовывоз / Pickup', amount: 0 },
      ],
      exp,
      backLink,
    });

    // Entered in lower case, the coupon applies on top of pickup.
    const coupon = await reprice(app, { order: pickup.answer.order, couponCode: ' welcome10 ' });
    expect(await claims(coupon.answer.order)).toMatchObject({
      amount: 8_550,
      shippingMethod: 'pickup',
      lineItems: [
        { label: 'Felt slippers', amount: 9_500 },
        { label: 'Самовывоз / Pickup', amount: 0 },
        { label: 'Скидка / Discount WELCOME10', amount: -950 },
      ],
    });
    expect(coupon.answer.choice).toEqual({ shippingMethod: 'pickup', couponCode: 'WELCOME10' });

    // Back to the courier: the discount stays.
    const courier = await reprice(app, { order: coupon.answer.order, shippingMethod: 'courier' });
    expect(await claims(courier.answer.order)).toMatchObject({ amount: 10_050, shippingMethod: 'courier' });
    expect(remembered.get(first.invoiceId)).toMatchObject({ amount: 10_050 });

    // An empty code takes the coupon off.
    const removed = await reprice(app, { order: courier.answer.order, couponCode: '' });
    const back = await claims(removed.answer.order);
    expect(back).toMatchObject({ amount: 11_000, shippingMethod: 'courier' });
    expect(back['lineItems']).toHaveLength(2);
  });

  it('follows the order the page holds: a re-price the page never took changes nothing for the next one', async () => {
    const { app } = express();
    const { order } = await newOrder(app);
    // The customer enters WELCOME10, then closes the sheet before the element takes the answer: the page keeps `order`.
    const untaken = await reprice(app, { order, couponCode: 'WELCOME10' });
    expect(await claims(untaken.answer.order)).toMatchObject({ amount: 10_050 });
    // On the next sheet, from the order the page still holds: pickup without a coupon the customer never entered there.
    const pickup = await reprice(app, { order, shippingMethod: 'pickup' });
    expect(await claims(pickup.answer.order)).toMatchObject({ amount: 9_500, shippingMethod: 'pickup' });
    expect(pickup.answer.choice).toEqual({ shippingMethod: 'pickup' });
    // And courier again from the page's order is that order itself, not a re-signed one.
    const same = await reprice(app, { order, shippingMethod: 'courier' });
    expect(same.answer.order).toBe(order);
  });

  it('refuses another code with couponCodeInvalid and the current order unchanged; the applied coupon stays', async () => {
    const { app } = express();
    const { order } = await newOrder(app);
    const applied = (await reprice(app, { order, couponCode: 'WELCOME10' })).answer.order;
    const wrong = await reprice(app, { order: applied, couponCode: 'NOPE' });
    expect(wrong.status).toBe(200);
    expect(wrong.answer.order).toBe(applied);
    expect(wrong.answer.errors).toEqual([{ code: 'couponCodeInvalid', message: expect.stringContaining('NOPE') }]);
    const pickup = await reprice(app, { order: applied, shippingMethod: 'pickup' });
    expect(await claims(pickup.answer.order)).toMatchObject({ amount: 8_550 });
  });

  it('delivers in Kazakhstan only: another country is addressUnserviceable, the order unchanged', async () => {
    const { app } = express();
    const { order } = await newOrder(app);
    const almaty = await reprice(app, {
      order,
      contact: { locality: 'Almaty', postalCode: '050000', countryCode: 'KZ', country: 'Kazakhstan' },
    });
    expect(almaty).toMatchObject({ status: 200, answer: { order } });
    expect(almaty.answer.errors).toBeUndefined();

    const bishkek = await reprice(app, { order, contact: { locality: 'Bishkek', countryCode: 'KG' } });
    expect(bishkek.answer.order).toBe(order);
    expect(bishkek.answer.errors).toEqual([
      { code: 'addressUnserviceable', contactField: 'country', message: expect.stringContaining('Kazakhstan') },
    ]);
    const nowhere = await reprice(app, { order, contact: { locality: 'Almaty' } });
    expect(nowhere.answer.errors).toEqual([expect.objectContaining({ code: 'shippingContactInvalid' })]);
  });

  it('answers 400 with a clear error for a bad request, and 413 for a large one', async () => {
    const { app } = express();
    const { order } = await newOrder(app);
    const basketOrder = await signOrder({ invoiceId: '123456789012', amount: 100, exp: 2e9 }, SECRET);
    const forged = await signOrder({ invoiceId: '900000000001', amount: 100, exp: 2e9 }, 'y'.repeat(64));
    for (const [body, error] of [
      ['not json', /JSON/],
      ['[1]', /JSON object/],
      [{}, /order/],
      [{ order, shippingMethod: 'drone' }, /courier, pickup/],
      [{ order, couponCode: 10 }, /couponCode/],
      [{ order, contact: 'Almaty' }, /contact/],
      [{ order: forged }, /invalid_order/],
      [{ order: basketOrder }, /not an express order/],
    ] as const) {
      const { status, answer } = await reprice(app, body);
      expect(status, JSON.stringify(body)).toBe(400);
      expect(answer.error).toMatch(error);
    }
    const large = await reprice(app, { order, contact: { note: 'x'.repeat(20_000) } });
    expect(large).toEqual({ status: 413, answer: { error: 'request too large' } });
  });
});

describe('the shop with its express checkout', () => {
  it('shows the re-priced amount on its result page', async () => {
    const ledger = { byInvoice: () => [] } as unknown as Ledger;
    const { app } = createShop({ orderSecret: SECRET, httpsOrigin: ORIGIN, ledger });
    const created = await app.request('/shop/express/orders', { method: 'POST' });
    const { order, invoiceId } = (await created.json()) as { order: string; invoiceId: string };
    await app.request('/shop/express/reprice', {
      method: 'POST',
      body: JSON.stringify({ order, shippingMethod: 'pickup' }),
    });
    const page = await (await app.request(`/shop/thanks?invoiceId=${invoiceId}&reference=1`)).text();
    expect(page).toContain('9,500.00 KZT');
    expect(page).toContain('Самовывоз / Pickup');
  });
});

import { sign } from 'hono/jwt';
import { describe, expect, it } from 'vitest';
import { ProxyError } from './errors.js';
import {
  CURRENCIES,
  currencyOf,
  decimalPlaces,
  type LineItem,
  MAX_DETAIL_CHARS,
  MAX_IDENTIFIER_CHARS,
  MAX_LABEL_CHARS,
  MAX_LINE_ITEMS,
  MAX_ORDER_AMOUNT,
  MAX_ORDER_TOKEN,
  MAX_SHIPPING_METHODS,
  type OrderChanges,
  type ShippingMethod,
  signOrder,
  toMinorUnits,
  updateOrder,
  verifyOrder,
} from './order.js';
import { readOrderClaims } from './order-claims.js';

const SECRET = 's'.repeat(32);
const exp = Math.floor(Date.now() / 1000) + 600;

async function code(p: Promise<unknown>): Promise<string> {
  return (await refusal(p)).code;
}

/** The code and message a promise is refused with, or `none`. */
async function refusal(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ProxyError);
    return { code: (err as ProxyError).code, message: (err as ProxyError).message };
  }
  return { code: 'none', message: '' };
}

/** The payload a token carries, as its bytes and as JSON. */
function payloadOf(token: string): { bytes: Buffer; json: Record<string, unknown> } {
  const bytes = Buffer.from(token.split('.')[1]!, 'base64url');
  return { bytes, json: JSON.parse(bytes.toString('utf8')) };
}

describe('order tokens', () => {
  it('round-trips every claim and defaults the currency to KZT', async () => {
    const claims = {
      invoiceId: '000123456',
      amount: 1500.5,
      exp,
      description: 'Books',
      invoiceIdAlt: 'A-1',
      accountId: 'u1',
      backLink: 'https://shop.kz/ok?x=1',
      failureBackLink: 'https://shop.kz/fail',
      postLink: 'https://shop.kz/hook',
      failurePostLink: 'https://shop.kz/hook-fail',
    };
    const order = await verifyOrder(await signOrder(claims, SECRET), SECRET);
    expect(order).toEqual({ ...claims, currency: 'KZT' });
  });

  it('is an ordinary HS256 JWT that any library can make', async () => {
    const token = await sign({ invoiceId: '123456', amount: 10, currency: 'USD', exp }, SECRET, 'HS256');
    expect((await verifyOrder(token, SECRET)).currency).toBe('USD');
  });

  it.each([
    [{ invoiceId: '12345', amount: 1, exp }, 'invalid_order'],
    [{ invoiceId: '1234567890123456', amount: 1, exp }, 'invalid_order'],
    [{ invoiceId: '12345a', amount: 1, exp }, 'invalid_order'],
    [{ invoiceId: 123456, amount: 1, exp }, 'invalid_order'],
    [{ invoiceId: '123456', amount: 0, exp }, 'invalid_order'],
    [{ invoiceId: '123456', amount: -5, exp }, 'invalid_order'],
    [{ invoiceId: '123456', amount: 1.005, exp }, 'invalid_order'],
    [{ invoiceId: '123456', amount: '100', exp }, 'invalid_order'],
    [{ invoiceId: '123456', amount: 1 }, 'invalid_order'],
    [{ invoiceId: '123456', amount: 1, exp, currency: 'XXX' }, 'invalid_order'],
    [{ invoiceId: '123456', amount: 1, exp, backLink: 'http://shop.kz/ok' }, 'invalid_order'],
    [{ invoiceId: '123456', amount: 1, exp, postLink: '/relative' }, 'invalid_order'],
    [{ invoiceId: '123456', amount: 1, exp, failureBackLink: 'https://user:pw@shop.kz/' }, 'invalid_order'],
    [{ invoiceId: '123456', amount: 1, exp, description: 42 }, 'invalid_order'],
    [{ invoiceId: '123456', amount: 1, exp: exp - 1200 }, 'order_expired'],
  ])('refuses %j with %s', async (claims, expected) => {
    const token = await sign(claims as never, SECRET, 'HS256');
    expect(await code(verifyOrder(token, SECRET))).toBe(expected);
  });

  // Orders the bank would refuse after the invoice was marked and the token spent (issue 18).
  const unpayable: Array<Record<string, unknown>> = [
    ...['toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf', 'isPrototypeOf', 'kzt', ''].map(
      (currency) => ({
        invoiceId: '123456',
        amount: 1,
        exp,
        currency,
      }),
    ),
    { invoiceId: '123456', amount: 1, exp, currency: null },
    ...[0.1 + 0.2, 1500.000000001, 1e-9, 1.5e-7, 5e-324, 0, -0, 0.001, 1e13, 1e21].map((amount) => ({
      invoiceId: '123456',
      amount,
      exp,
    })),
  ];

  it.each(unpayable)('refuses %j: invalid_order from verifyOrder and from signOrder', async (claims) => {
    const token = await sign(claims as never, SECRET, 'HS256');
    expect(await code(verifyOrder(token, SECRET))).toBe('invalid_order');
    expect(await code(signOrder(claims as never, SECRET))).toBe('invalid_order');
  });

  it.each([0.01, 0.3, 1, 10.1, 100.11, 1500.5, 999_999_999_999.99, 1e12])(
    'takes amount %d and counts its minor units exactly',
    async (amount) => {
      const order = await verifyOrder(await signOrder({ invoiceId: '123456', amount, exp }, SECRET), SECRET);
      expect(order.amount).toBe(amount);
      expect(String(toMinorUnits(amount, 'KZT'))).toBe(amount.toFixed(2).replace('.', '').replace(/^0+/, ''));
    },
  );

  it('reads decimals from the shortest decimal spelling, exponent forms too', () => {
    expect(decimalPlaces(1500)).toBe(0);
    expect(decimalPlaces(1500.5)).toBe(1);
    expect(decimalPlaces(0.3)).toBe(1);
    expect(decimalPlaces(0.1 + 0.2)).toBe(17);
    expect(decimalPlaces(1500.000000001)).toBe(9);
    expect(decimalPlaces(1e-9)).toBe(9);
    expect(decimalPlaces(1.5e-7)).toBe(8);
    expect(decimalPlaces(1e21)).toBe(0);
    expect(decimalPlaces(1.25e21)).toBe(0);
    expect(decimalPlaces(Number.NaN)).toBe(Number.POSITIVE_INFINITY);
    expect(decimalPlaces(-1)).toBe(Number.POSITIVE_INFINITY);
  });

  it('knows only its own currencies, each with its own minor unit', () => {
    expect(currencyOf('KZT')).toEqual({ numeric: '398', exponent: 2 });
    for (const name of ['toString', 'constructor', '__proto__', 'hasOwnProperty']) {
      expect(currencyOf(name)).toBeUndefined();
      expect(CURRENCIES[name]).toBeUndefined(); // a plain index finds nothing either
    }
    // Every currency the proxy takes has a whole, small exponent; an amount may have at most that many decimals.
    for (const [name, c] of Object.entries(CURRENCIES)) {
      expect(Number.isInteger(c.exponent) && c.exponent >= 0 && c.exponent <= 3, name).toBe(true);
      expect(c.numeric).toMatch(/^\d{3}$/);
    }
  });

  it('signOrder signs only what verifyOrder will read back: the claims as JSON, a token short enough', async () => {
    // An inherited amount passes a check of the object but is not in the JSON the token carries.
    const inherited = Object.assign(Object.create({ amount: 10 }) as object, { invoiceId: '123456', exp });
    expect(await code(signOrder(inherited as never, SECRET))).toBe('invalid_order');
    expect(await code(signOrder({ invoiceId: '123456', amount: 1, exp, accountId: 10n } as never, SECRET))).toBe(
      'invalid_order',
    );
    // Every claim at its longest makes a token longer than verifyOrder takes.
    const link = `https://shop.kz/${'a'.repeat(2000)}`;
    const long = {
      invoiceId: '123456',
      amount: 1,
      exp,
      description: 'd'.repeat(1024),
      invoiceIdAlt: 'i'.repeat(1024),
      accountId: 'a'.repeat(1024),
      backLink: link,
      failureBackLink: link,
      postLink: link,
      failurePostLink: link,
    };
    expect(await code(verifyOrder(await sign(long, SECRET, 'HS256'), SECRET))).toBe('invalid_order');
    expect(await code(signOrder(long, SECRET))).toBe('invalid_order');
    // An expired order is still signed: expiry is judged when the order is used.
    const old = await signOrder({ invoiceId: '123456', amount: 1, exp: exp - 1200 }, SECRET);
    expect(await code(verifyOrder(old, SECRET))).toBe('order_expired');
  });

  it('refuses another secret, another algorithm, garbage and a tampered payload', async () => {
    const good = await signOrder({ invoiceId: '123456', amount: 1, exp }, SECRET);
    expect(await code(verifyOrder(good, 't'.repeat(32)))).toBe('invalid_order');
    expect(await code(verifyOrder(await sign({ invoiceId: '123456', amount: 1, exp }, SECRET, 'HS512'), SECRET))).toBe(
      'invalid_order',
    );
    expect(await code(verifyOrder('not.a.jwt', SECRET))).toBe('invalid_order');
    expect(await code(verifyOrder(undefined, SECRET))).toBe('invalid_order');
    const [h, , s] = good.split('.');
    const forged = Buffer.from(JSON.stringify({ invoiceId: '123456', amount: 0.01, exp })).toString('base64url');
    expect(await code(verifyOrder(`${h}.${forged}.${s}`, SECRET))).toBe('invalid_order');
    const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${forged}.`;
    expect(await code(verifyOrder(none, SECRET))).toBe('invalid_order');
  });

  it('holds to the header rules of hono/jwt: typ JWT or none, no crit, a whole HS256 signature', async () => {
    const { createHmac } = await import('node:crypto');
    const body = Buffer.from(JSON.stringify({ invoiceId: '123456', amount: 1, exp })).toString('base64url');
    const signed = (header: object, secret = SECRET) => {
      const h = Buffer.from(JSON.stringify(header)).toString('base64url');
      return `${h}.${body}.${createHmac('sha256', secret).update(`${h}.${body}`).digest('base64url')}`;
    };
    expect(await code(verifyOrder(signed({ alg: 'HS256' }), SECRET))).toBe('none');
    expect(await code(verifyOrder(signed({ alg: 'HS256', typ: 'JWT' }), SECRET))).toBe('none');
    expect(await code(verifyOrder(signed({ alg: 'HS256', typ: 'application/jwt' }), SECRET))).toBe('none');
    expect(await code(verifyOrder(signed({ alg: 'HS256', typ: 'JOSE' }), SECRET))).toBe('invalid_order');
    expect(await code(verifyOrder(signed({ alg: 'HS256', crit: ['exp'] }), SECRET))).toBe('invalid_order');
    expect(await code(verifyOrder(signed({ alg: 'hs256' }), SECRET))).toBe('invalid_order');
    const good = signed({ alg: 'HS256' });
    expect(await code(verifyOrder(good.slice(0, -1), SECRET))).toBe('invalid_order');
    expect(await code(verifyOrder(`${good}A`, SECRET))).toBe('invalid_order');
    expect(await code(verifyOrder(`${good}.x`, SECRET))).toBe('invalid_order');
    expect(await code(verifyOrder(good.replace('.', '!.'), SECRET))).toBe('invalid_order');
  });

  it('checks expiry against the given clock', async () => {
    const token = await signOrder({ invoiceId: '123456', amount: 1, exp }, SECRET);
    expect(await code(verifyOrder(token, SECRET, new Date(exp * 1000 + 1)))).toBe('order_expired');
    expect(await code(verifyOrder(token, SECRET, new Date(exp * 1000 - 1000)))).toBe('none');
  });

  it('signOrder refuses claims the proxy would refuse', async () => {
    expect(await code(signOrder({ invoiceId: '1', amount: 1, exp }, SECRET))).toBe('invalid_order');
  });
});

const BASE = { invoiceId: '000123456', amount: 16500, exp };
const METHODS: ShippingMethod[] = [
  { identifier: 'courier', label: 'Доставка курьером', detail: 'Завтра с 10:00 до 14:00', amount: 1500 },
  { identifier: 'pickup', label: 'Самовывоз', amount: 0 },
];
const LINES: LineItem[] = [
  { label: 'Шай «Алматы», 3 қорап', amount: 15000 },
  { label: 'Жеткізу', amount: 1500 },
];
const method = (i: number): ShippingMethod => ({ identifier: `m${i}`, label: `Method ${i}`, amount: i });
const line = (i: number): LineItem => ({ label: `Line ${i}`, amount: i });

describe('express checkout claims: bad shapes are refused by verifyOrder and signOrder alike, naming the claim', () => {
  it.each<[string, Record<string, unknown>, string]>([
    ['lineItems a string', { lineItems: 'Tea' }, 'lineItems must be an array'],
    ['lineItems an object', { lineItems: { label: 'Tea', amount: 1 } }, 'lineItems must be an array'],
    ['lineItems null', { lineItems: null }, 'lineItems must be an array'],
    [
      `${MAX_LINE_ITEMS + 1} line items`,
      { lineItems: Array.from({ length: MAX_LINE_ITEMS + 1 }, (_, i) => line(i)) },
      `lineItems must have at most ${MAX_LINE_ITEMS} items`,
    ],
    ['a line item a number', { lineItems: [5] }, 'lineItems[0] must be an object'],
    ['a line item an array', { lineItems: [line(1), ['Tea', 1]] }, 'lineItems[1] must be an object'],
    ['a line item null', { lineItems: [null] }, 'lineItems[0] must be an object'],
    [
      'an empty label',
      { lineItems: [line(1), line(2), { label: '', amount: 1 }] },
      'lineItems[2].label must not be blank',
    ],
    ['a blank label', { lineItems: [{ label: ' \t\n\u00a0', amount: 1 }] }, 'lineItems[0].label must not be blank'],
    ['a label a number', { lineItems: [{ label: 5, amount: 1 }] }, 'lineItems[0].label must be a string'],
    ['no label', { lineItems: [{ amount: 1 }] }, 'lineItems[0].label is required'],
    [
      'a label too long',
      { lineItems: [{ label: 'Ж'.repeat(MAX_LABEL_CHARS + 1), amount: 1 }] },
      `lineItems[0].label must be at most ${MAX_LABEL_CHARS} characters`,
    ],
    [
      '3 decimals',
      { lineItems: [line(1), line(2), { label: 'Tea', amount: 1.005 }] },
      'lineItems[2].amount must have at most 2 decimals',
    ],
    [
      '0.1 + 0.2',
      { lineItems: [{ label: 'Tea', amount: 0.1 + 0.2 }] },
      'lineItems[0].amount must have at most 2 decimals',
    ],
    [
      'a negative 3 decimals',
      { lineItems: [{ label: 'Coupon', amount: -0.001 }] },
      'lineItems[0].amount must have at most 2 decimals',
    ],
    ['an amount as a string', { lineItems: [{ label: 'Tea', amount: '10' }] }, 'lineItems[0].amount must be a number'],
    ['an amount null', { lineItems: [{ label: 'Tea', amount: null }] }, 'lineItems[0].amount must be a number'],
    ['no amount', { lineItems: [{ label: 'Tea' }] }, 'lineItems[0].amount is required'],
    [
      'an amount too large',
      { lineItems: [{ label: 'Tea', amount: MAX_ORDER_AMOUNT + 1 }] },
      `lineItems[0].amount must be from -${MAX_ORDER_AMOUNT} to ${MAX_ORDER_AMOUNT}`,
    ],
    [
      'a discount too large',
      { lineItems: [{ label: 'Coupon', amount: -MAX_ORDER_AMOUNT - 1 }] },
      'lineItems[0].amount must be from',
    ],
    [
      'type maybe',
      { lineItems: [{ label: 'Tea', amount: 1, type: 'maybe' }] },
      'lineItems[0].type must be final or pending',
    ],
    [
      'type Final',
      { lineItems: [{ label: 'Tea', amount: 1, type: 'Final' }] },
      'lineItems[0].type must be final or pending',
    ],
    [
      'type null',
      { lineItems: [{ label: 'Tea', amount: 1, type: null }] },
      'lineItems[0].type must be final or pending',
    ],
    [
      'a typo beside the real key',
      { lineItems: [{ label: 'Tea', amount: 1, ammount: 1 }] },
      'lineItems[0] has an unknown key `ammount`',
    ],
    [
      'a typo instead of the real key',
      { lineItems: [{ label: 'Tea', ammount: 1 }] },
      'lineItems[0].amount is required',
    ],
    [
      'a key from the prototype',
      { lineItems: [{ label: 'Tea', amount: 1, toString: 'x' }] },
      'lineItems[0] has an unknown key `toString`',
    ],
    ['shippingMethods a string', { shippingMethods: 'courier' }, 'shippingMethods must be an array'],
    ['shippingMethods empty', { shippingMethods: [] }, 'shippingMethods must not be empty'],
    [
      `${MAX_SHIPPING_METHODS + 1} shipping methods`,
      { shippingMethods: Array.from({ length: MAX_SHIPPING_METHODS + 1 }, (_, i) => method(i)) },
      `shippingMethods must have at most ${MAX_SHIPPING_METHODS} methods`,
    ],
    [
      'a negative shipping amount',
      { shippingMethods: [method(1), { ...method(2), amount: -1 }] },
      'shippingMethods[1].amount must be a number, 0 or more',
    ],
    [
      'a shipping amount as a string',
      { shippingMethods: [{ ...method(1), amount: '0' }] },
      'shippingMethods[0].amount must be a number',
    ],
    [
      'a shipping amount with 3 decimals',
      { shippingMethods: [{ ...method(1), amount: 0.015 }] },
      'shippingMethods[0].amount must have at most 2 decimals',
    ],
    [
      'no identifier',
      { shippingMethods: [{ label: 'Courier', amount: 0 }] },
      'shippingMethods[0].identifier is required',
    ],
    [
      'an empty identifier',
      { shippingMethods: [{ ...method(1), identifier: '' }] },
      `shippingMethods[0].identifier must be 1 to ${MAX_IDENTIFIER_CHARS} characters`,
    ],
    [
      'an identifier too long',
      { shippingMethods: [{ ...method(1), identifier: 'x'.repeat(MAX_IDENTIFIER_CHARS + 1) }] },
      `shippingMethods[0].identifier must be 1 to ${MAX_IDENTIFIER_CHARS} characters`,
    ],
    [
      'an identifier a number',
      { shippingMethods: [{ ...method(1), identifier: 1 }] },
      'shippingMethods[0].identifier must be a string',
    ],
    [
      'duplicate identifiers',
      { shippingMethods: [method(1), method(2), { ...method(3), identifier: 'm1' }] },
      'shippingMethods[2].identifier must be unique (shippingMethods[0] has the same)',
    ],
    [
      'a blank method label',
      { shippingMethods: [{ ...method(1), label: '  ' }] },
      'shippingMethods[0].label must not be blank',
    ],
    [
      'a method label too long',
      { shippingMethods: [{ ...method(1), label: 'Д'.repeat(MAX_LABEL_CHARS + 1) }] },
      `shippingMethods[0].label must be at most ${MAX_LABEL_CHARS} characters`,
    ],
    [
      'a detail too long',
      { shippingMethods: [{ ...method(1), detail: 'Д'.repeat(MAX_DETAIL_CHARS + 1) }] },
      `shippingMethods[0].detail must be at most ${MAX_DETAIL_CHARS} characters`,
    ],
    [
      'a detail a number',
      { shippingMethods: [{ ...method(1), detail: 2 }] },
      'shippingMethods[0].detail must be a string',
    ],
    [
      'an unknown key of a method',
      { shippingMethods: [{ ...method(1), price: 1 }] },
      'shippingMethods[0] has an unknown key `price`',
    ],
    ['shippingMethod without shippingMethods', { shippingMethod: 'courier' }, 'shippingMethod needs shippingMethods'],
    [
      'shippingMethod naming no method',
      { shippingMethods: METHODS, shippingMethod: 'drone' },
      'shippingMethod must be the identifier of one of shippingMethods',
    ],
    ['shippingMethod a number', { shippingMethods: [method(0)], shippingMethod: 0 }, 'shippingMethod must be a string'],
    [
      'shippingType drone',
      { shippingType: 'drone' },
      'shippingType must be one of shipping, delivery, storePickup, servicePickup',
    ],
    ['shippingType in other case', { shippingType: 'Delivery' }, 'shippingType must be one of'],
    ['shippingType null', { shippingType: null }, 'shippingType must be one of'],
  ])('%s → invalid_order', async (_name, extra, message) => {
    const claims = { ...BASE, ...extra };
    // Signed by another library, as a merchant's backend in another language would, and by signOrder.
    const verified = await refusal(verifyOrder(await sign(claims as never, SECRET, 'HS256'), SECRET));
    expect(verified.code).toBe('invalid_order');
    expect(verified.message.startsWith(`The order token is invalid: ${message}`), verified.message).toBe(true);
    expect(await refusal(signOrder(claims as never, SECRET))).toEqual({
      code: 'invalid_order',
      message: verified.message.replace('The order token is invalid', 'Order not signed'),
    });
  });

  it('never puts the value in the message: a label, an identifier or an unknown key that reads like data', async () => {
    const secretish = 'card 4400430100000001 cvv 123';
    for (const extra of [
      { lineItems: [{ label: secretish.padEnd(MAX_LABEL_CHARS + 1, '!'), amount: 1 }] },
      { shippingMethods: [{ ...method(1), identifier: secretish.padEnd(MAX_IDENTIFIER_CHARS + 1, '!') }] },
      { lineItems: [{ label: 'Tea', amount: 1, [secretish]: 1 }] },
      { lineItems: [{ label: 'Tea', amount: secretish }] },
    ]) {
      const r = await refusal(signOrder({ ...BASE, ...extra } as never, SECRET));
      expect(r.code).toBe('invalid_order');
      expect(r.message).not.toContain('4400430100000001');
      expect(r.message).not.toContain(SECRET);
    }
  });
});

describe('express checkout claims: what is taken', () => {
  it('takes every claim at its limits: counts, lengths, zero and negative lines, pending, every shipping type', async () => {
    const lineItems: LineItem[] = [
      ...Array.from({ length: MAX_LINE_ITEMS - 3 }, (_, i) => line(i)),
      { label: 'Скидка', amount: -MAX_ORDER_AMOUNT },
      { label: 'Бесплатно', amount: 0, type: 'final' },
      { label: 'Налог', amount: 0.01, type: 'pending' },
    ];
    const shippingMethods = Array.from({ length: MAX_SHIPPING_METHODS }, (_, i) => method(i));
    for (const shippingType of ['shipping', 'delivery', 'storePickup', 'servicePickup'] as const) {
      const claims = { ...BASE, lineItems, shippingType, shippingMethods, shippingMethod: 'm19' };
      expect(await verifyOrder(await signOrder(claims, SECRET), SECRET)).toEqual({ ...claims, currency: 'KZT' });
    }
    const longest = {
      ...BASE,
      lineItems: [{ label: 'Ж'.repeat(MAX_LABEL_CHARS), amount: MAX_ORDER_AMOUNT }],
      shippingMethods: [
        {
          identifier: 'x'.repeat(MAX_IDENTIFIER_CHARS),
          label: 'Д'.repeat(MAX_LABEL_CHARS),
          detail: 'Д'.repeat(MAX_DETAIL_CHARS),
          amount: MAX_ORDER_AMOUNT,
        },
      ],
    };
    expect(await verifyOrder(await signOrder(longest, SECRET), SECRET)).toEqual({ ...longest, currency: 'KZT' });
  });

  it('round-trips Kazakh and Russian labels byte for byte, signed here or by another JWT library', async () => {
    const claims = {
      ...BASE,
      description: 'Тапсырыс №123: шай және жеткізу',
      lineItems: [...LINES, { label: 'Купон «КӨКТЕМ10» — скидка', amount: -1500 }],
      shippingType: 'delivery' as const,
      shippingMethods: METHODS,
      shippingMethod: 'pickup',
    };
    const token = await signOrder(claims, SECRET);
    const { bytes, json } = payloadOf(token);
    // UTF-8 in the token, not \\u escapes.
    expect(bytes.includes(Buffer.from('"Жеткізу"', 'utf8'))).toBe(true);
    expect(json).toEqual(claims);
    const order = await verifyOrder(token, SECRET);
    expect(order).toEqual({ ...claims, currency: 'KZT' });
    expect(Buffer.from(JSON.stringify(order.lineItems), 'utf8')).toEqual(
      Buffer.from(JSON.stringify(claims.lineItems), 'utf8'),
    );
    expect(order.shippingMethods![0]!.label).toBe('Доставка курьером');
    expect(await verifyOrder(await sign(claims, SECRET, 'HS256'), SECRET)).toEqual(order);
  });

  it('does not ask the lines to add up to the amount (tax-inclusive lines, Apple does not either)', async () => {
    const claims = {
      ...BASE,
      amount: 1000,
      lineItems: [
        { label: 'Goods', amount: 900 },
        { label: 'incl. VAT 12%', amount: 96.43 },
      ],
    };
    expect((await verifyOrder(await signOrder(claims, SECRET), SECRET)).amount).toBe(1000);
  });

  it('keeps tolerating unknown top-level claims, and leaves them out of the order', async () => {
    const token = await sign({ ...BASE, iat: exp - 600, cartId: 'c-1', lineItems: LINES }, SECRET, 'HS256');
    const order = await verifyOrder(token, SECRET);
    expect(order).toEqual({ ...BASE, lineItems: LINES, currency: 'KZT' });
    expect(order).not.toHaveProperty('iat');
  });

  it('the verified order is a copy: nothing in it is the payload’s own object', () => {
    const payload = JSON.parse(JSON.stringify({ ...BASE, lineItems: LINES, shippingMethods: METHODS }));
    const r = readOrderClaims(payload);
    if (!r.ok) throw new Error(r.problem);
    expect(r.order.lineItems).not.toBe(payload.lineItems);
    expect(r.order.lineItems![0]).not.toBe(payload.lineItems[0]);
    expect(r.order.shippingMethods![0]).not.toBe(payload.shippingMethods[0]);
    payload.lineItems[0].amount = 1;
    payload.shippingMethods.push(method(9));
    expect(r.order.lineItems![0]!.amount).toBe(15000);
    expect(r.order.shippingMethods).toHaveLength(2);
  });

  it(`a realistic express order fits in ${MAX_ORDER_TOKEN} characters; a maximal one is refused, saying why`, async () => {
    const goods = ['Шай «Алматы», көк, 100 г', 'Кофе молотый, 250 г', 'Мёд горный, 500 г', 'Печенье овсяное, 300 г'];
    const realistic = {
      ...BASE,
      amount: 12345.67,
      description: 'Заказ №123456 в интернет-магазине',
      backLink: 'https://shop.kz/checkout/thanks?order=123456',
      failureBackLink: 'https://shop.kz/checkout/failed?order=123456',
      lineItems: [
        ...Array.from({ length: 8 }, (_, i) => ({ label: goods[i % goods.length]!, amount: 1000 + i * 250.5 })),
        { label: 'Жеткізу: курьер, Алматы', amount: 1500 },
        { label: 'Скидка по купону ВЕСНА10', amount: -1200 },
      ],
      shippingType: 'delivery' as const,
      shippingMethods: [
        { identifier: 'courier', label: 'Доставка курьером', detail: 'Завтра с 10:00 до 14:00', amount: 1500 },
        { identifier: 'express', label: 'Экспресс-доставка', detail: 'Сегодня, в течение 3 часов', amount: 3000 },
        { identifier: 'pickup', label: 'Самовывоз из магазина на Абая, 10', detail: 'Через 2 часа', amount: 0 },
      ],
      shippingMethod: 'courier',
    };
    const token = await signOrder(realistic, SECRET);
    expect(token.length).toBeLessThan(MAX_ORDER_TOKEN / 3); // about 1.9 KB
    const maximal = {
      ...BASE,
      lineItems: Array.from({ length: MAX_LINE_ITEMS }, () => ({ label: 'Ж'.repeat(MAX_LABEL_CHARS), amount: -1.5 })),
      shippingMethods: Array.from({ length: MAX_SHIPPING_METHODS }, (_, i) => ({
        identifier: String(i).padStart(MAX_IDENTIFIER_CHARS, 'x'),
        label: 'Д'.repeat(MAX_LABEL_CHARS),
        detail: 'Д'.repeat(MAX_DETAIL_CHARS),
        amount: 1,
      })),
    };
    const signing = await refusal(signOrder(maximal, SECRET));
    expect(signing.code).toBe('invalid_order');
    expect(signing.message).toMatch(
      new RegExp(
        `^Order not signed: the token would be \\d+ characters, more than the ${MAX_ORDER_TOKEN} the proxy takes`,
      ),
    );
    // The same claims signed by another library: verifyOrder says what is wrong without reading them.
    const other = await sign(maximal, SECRET, 'HS256');
    expect(await refusal(verifyOrder(other, SECRET))).toEqual({
      code: 'invalid_order',
      message: `The order token is longer than ${MAX_ORDER_TOKEN} characters`,
    });
  });
});

describe('updateOrder', () => {
  const current = (claims: Record<string, unknown> = {}) =>
    signOrder(
      { ...BASE, lineItems: LINES, shippingType: 'delivery', shippingMethods: METHODS, ...claims } as never,
      SECRET,
    );
  const update = async (token: string, changes: OrderChanges | Record<string, unknown>, now?: Date) =>
    verifyOrder(await updateOrder(token, changes as OrderChanges, SECRET, now), SECRET);

  it('refuses a current order signed with another secret, tampered with, or not a token', async () => {
    const forged = await signOrder({ ...BASE }, 't'.repeat(32));
    expect(await refusal(updateOrder(forged, { amount: 1 }, SECRET))).toEqual({
      code: 'invalid_order',
      message: 'The order token is not signed by this merchant',
    });
    const [h, , s] = (await current()).split('.');
    const cheaper = Buffer.from(JSON.stringify({ ...BASE, amount: 1 })).toString('base64url');
    expect(await code(updateOrder(`${h}.${cheaper}.${s}`, {}, SECRET))).toBe('invalid_order');
    expect(await code(updateOrder('', {}, SECRET))).toBe('invalid_order');
    expect(await code(updateOrder(undefined as never, {}, SECRET))).toBe('invalid_order');
  });

  it('refuses an expired current order with order_expired, judged at `now`', async () => {
    const token = await current();
    expect(await code(updateOrder(token, { shippingMethod: 'pickup' }, SECRET, new Date(exp * 1000 + 1)))).toBe(
      'order_expired',
    );
    const old = await current({ exp: exp - 1200 });
    expect(await code(updateOrder(old, { exp: exp + 600 }, SECRET))).toBe('order_expired');
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['another invoiceId', { invoiceId: '999999999' }, /invoiceId cannot change/],
    ['the same invoiceId', { invoiceId: BASE.invoiceId }, /invoiceId cannot change/],
    ['another currency', { currency: 'USD' }, /currency cannot change/],
    ['a link', { backLink: 'https://evil.example/' }, /`backLink` is not a claim updateOrder changes/],
    ['a claim of its own', { cartId: 'c-2' }, /`cartId` is not a claim updateOrder changes/],
  ])('refuses a change of %s (invalid_order), whatever JavaScript passed', async (_name, changes, message) => {
    const r = await refusal(updateOrder(await current(), changes as OrderChanges, SECRET));
    expect(r.code).toBe('invalid_order');
    expect(r.message).toMatch(message);
  });

  it.each<[string, unknown, string]>([
    ['changes null', null, 'Order not updated: the changes are not an object'],
    ['changes an array', [], 'Order not updated: the changes are not an object'],
    [
      'line items adding up to 0',
      {
        lineItems: [
          { label: 'Tea', amount: 1500 },
          { label: 'Coupon', amount: -1500 },
        ],
      },
      'Order not updated: the line items add up to 0',
    ],
    [
      'line items adding up below 0',
      { lineItems: [{ label: 'Coupon', amount: -1 }] },
      'Order not updated: the line items add up to -1',
    ],
    ['no line items left', { lineItems: [] }, 'Order not updated: the line items add up to 0'],
    [
      'a bad line item',
      { lineItems: [LINES[0], { label: 'Tea', amount: 1.005 }] },
      'Order not updated: lineItems[1].amount must have at most 2 decimals',
    ],
    [
      'an unknown line item key',
      { lineItems: [{ label: 'Tea', amount: 1, ammount: 1 }] },
      'Order not updated: lineItems[0] has an unknown key `ammount`',
    ],
    ['a bad amount', { amount: 0 }, 'Order not updated: amount must be a number above 0'],
    [
      'a method it does not offer',
      { shippingMethod: 'drone' },
      'Order not updated: shippingMethod must be the identifier of one of shippingMethods',
    ],
    ['empty shippingMethods', { shippingMethods: [] }, 'Order not updated: shippingMethods must not be empty'],
  ])('refuses %s (invalid_order)', async (_name, changes, message) => {
    const r = await refusal(updateOrder(await current(), changes as OrderChanges, SECRET));
    expect(r.code).toBe('invalid_order');
    expect(r.message.startsWith(message)).toBe(true);
  });

  it('without an amount, the order costs the exact sum of its line items', async () => {
    const lines = [
      { label: 'Шай', amount: 15000 },
      { label: 'Доставка курьером', amount: 1500 },
      { label: 'Купон КӨКТЕМ10', amount: -1500 },
    ];
    expect((await update(await current(), { lineItems: lines })).amount).toBe(15000);
    // In minor units: 0.1 + 0.2 would be 0.30000000000000004, which the bank refuses.
    const cents = [
      { label: 'a', amount: 0.1 },
      { label: 'b', amount: 0.2 },
    ];
    expect((await update(await current(), { lineItems: cents })).amount).toBe(0.3);
    const many = Array.from({ length: MAX_LINE_ITEMS }, (_, i) => ({ label: `l${i}`, amount: 0.07 }));
    expect((await update(await current(), { lineItems: many })).amount).toBe(3.5);
  });

  it('only new lines set the amount: a change of method, description or exp keeps it, even when the lines do not add up', async () => {
    // 17000 over lines of 16500 (tax shown apart, say): nothing asked for a new total.
    const taxed = await current({ amount: 17000 });
    expect((await update(taxed, { shippingMethod: 'pickup' })).amount).toBe(17000);
    expect((await update(taxed, { description: 'Шай', exp: exp + 60 })).amount).toBe(17000);
    expect((await update(taxed, { lineItems: LINES })).amount).toBe(16500);
  });

  it('with an amount, keeps it even when the lines do not add up; without lines, keeps the current amount', async () => {
    expect((await update(await current(), { amount: 17000, lineItems: LINES })).amount).toBe(17000);
    const plain = await signOrder({ ...BASE, amount: 1234.5 }, SECRET);
    expect((await update(plain, { description: 'Шай' })).amount).toBe(1234.5);
  });

  it('keeps every other claim of the current order, the merchant’s own too, and not the token’s iat', async () => {
    const claims = {
      ...BASE,
      currency: 'USD',
      description: 'Tea',
      invoiceIdAlt: 'A-1',
      accountId: 'u1',
      backLink: 'https://shop.kz/ok',
      failureBackLink: 'https://shop.kz/fail',
      lineItems: LINES,
      shippingType: 'delivery',
      shippingMethods: METHODS,
      shippingMethod: 'courier',
      cartId: 'c-1',
      iat: exp - 600,
    };
    const next = await updateOrder(await sign(claims, SECRET, 'HS256'), { description: 'Шай', exp: exp + 60 }, SECRET);
    const { iat: _iat, ...kept } = claims;
    expect(payloadOf(next).json).toEqual({ ...kept, description: 'Шай', exp: exp + 60 });
    expect(await verifyOrder(next, SECRET)).toMatchObject({
      invoiceId: BASE.invoiceId,
      currency: 'USD',
      amount: 16500,
    });
  });

  it('keeps the selected method while the new methods still offer it, else drops it (the sheet selects the first)', async () => {
    const selected = await current({ shippingMethod: 'pickup' });
    const cheaper = METHODS.map((m) => ({ ...m, amount: m.amount / 2 }));
    expect((await update(selected, { shippingMethods: cheaper })).shippingMethod).toBe('pickup');
    const other = [method(1), method(2)];
    const dropped = await update(selected, { shippingMethods: other });
    expect(dropped).not.toHaveProperty('shippingMethod');
    expect(dropped.shippingMethods).toEqual(other);
    expect((await update(selected, { shippingMethods: other, shippingMethod: 'm2' })).shippingMethod).toBe('m2');
    expect((await update(selected, { shippingMethod: 'courier' })).shippingMethod).toBe('courier');
  });

  it('signs an order verifyOrder takes, for the same invoice, with the changed claims', async () => {
    const token = await updateOrder(
      await current(),
      { lineItems: [...LINES, { label: 'Купон', amount: -500 }], shippingType: 'storePickup', exp: exp + 300 },
      SECRET,
    );
    expect(await verifyOrder(token, SECRET)).toEqual({
      ...BASE,
      amount: 16000,
      currency: 'KZT',
      exp: exp + 300,
      lineItems: [...LINES, { label: 'Купон', amount: -500 }],
      shippingType: 'storePickup',
      shippingMethods: METHODS,
    });
  });
});

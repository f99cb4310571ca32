import { sign } from 'hono/jwt';
import { describe, expect, it } from 'vitest';
import { ProxyError } from './errors.js';
import { CURRENCIES, currencyOf, decimalPlaces, signOrder, toMinorUnits, verifyOrder } from './order.js';

const SECRET = 's'.repeat(32);
const exp = Math.floor(Date.now() / 1000) + 600;

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ProxyError);
    return (err as ProxyError).code;
  }
  return 'none';
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

import { sign } from 'hono/jwt';
import { describe, expect, it } from 'vitest';
import { ProxyError } from './errors.js';
import { signOrder, toMinorUnits, verifyOrder } from './order.js';

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
      invoiceId: '000123456', amount: 1500.5, exp, description: 'Books', invoiceIdAlt: 'A-1', accountId: 'u1',
      backLink: 'https://shop.kz/ok?x=1', failureBackLink: 'https://shop.kz/fail', postLink: 'https://shop.kz/hook',
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

  it('accepts 0.1 + 0.2 style amounts with two decimals', async () => {
    const token = await sign({ invoiceId: '123456', amount: 0.1 + 0.2, exp }, SECRET, 'HS256');
    expect(await code(verifyOrder(token, SECRET))).toBe('none');
    expect(toMinorUnits(0.1 + 0.2, 'KZT')).toBe(30);
  });

  it('refuses another secret, another algorithm, garbage and a tampered payload', async () => {
    const good = await signOrder({ invoiceId: '123456', amount: 1, exp }, SECRET);
    expect(await code(verifyOrder(good, 't'.repeat(32)))).toBe('invalid_order');
    expect(await code(verifyOrder(await sign({ invoiceId: '123456', amount: 1, exp }, SECRET, 'HS512'), SECRET))).toBe('invalid_order');
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

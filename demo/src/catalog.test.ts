import { describe, expect, it } from 'vitest';
import { DEFAULT_BASKET, MAX_QTY, priceBasket } from './catalog.js';

describe('priceBasket: the backend decides the amount', () => {
  it('prices the default basket in whole tenge, so the card picks the sandbox scenario', () => {
    const priced = priceBasket(DEFAULT_BASKET);
    expect(priced).toMatchObject({
      amount: 5900,
      currency: 'KZT',
      description: '2 × Almaty tea, 250 g, 1 × Baursak mix',
    });
  });

  it.each([
    ['not a list', { sku: 'tea', qty: 1 }, 'items must be a list'],
    ['an unknown product', [{ sku: 'gold', qty: 1 }], 'unknown product'],
    ['a fractional quantity', [{ sku: 'tea', qty: 1.5 }], `qty must be 0 to ${MAX_QTY}`],
    ['too many', [{ sku: 'tea', qty: MAX_QTY + 1 }], `qty must be 0 to ${MAX_QTY}`],
    [
      'a product twice',
      [
        { sku: 'tea', qty: 1 },
        { sku: 'tea', qty: 2 },
      ],
      'a product is listed twice',
    ],
    ['nothing in it', [{ sku: 'tea', qty: 0 }], 'the basket is empty'],
  ])('refuses %s', (_name, basket, error) => {
    expect(priceBasket(basket)).toEqual({ error });
  });
});

/**
 * Data that must agree between the proxy and the sandbox bank: the currencies an order may name and the largest
 * amount. They live in two packages (the proxy never imports the sandbox), so this test fails when they drift.
 */
import { describe, expect, it } from 'vitest';
import { CURRENCY_NUMERIC, MAX_BANK_AMOUNT, SUPPORTED_CURRENCIES } from '@epay-applepay/sandbox';
import { CURRENCIES, MAX_ORDER_AMOUNT } from '../src/order.js';

describe('the proxy and the sandbox bank agree', () => {
  it('on the currencies', () => {
    expect([...SUPPORTED_CURRENCIES].sort()).toEqual(Object.keys(CURRENCIES).sort());
    for (const [code, numeric] of CURRENCY_NUMERIC) expect(CURRENCIES[code]?.numeric).toBe(numeric);
  });

  it('on the largest amount', () => {
    expect(MAX_BANK_AMOUNT).toBe(MAX_ORDER_AMOUNT);
  });
});

/** @module Amounts and invoice numbers as the bank checks them. */

/** Amounts are decimal with at most two places (tiyn, cents). */
const MAX_DECIMALS = 2;

/** A generous ceiling so that absurd numbers are refused rather than rounded: the proxy's own (a test holds them equal). */
export const MAX_AMOUNT = 1e12;

/** `invoiceID`: 6 to 15 digits (docs/order-token.md). */
const INVOICE_ID_PATTERN = /^\d{6,15}$/;

/** The token form's amount: plain decimal text, no sign, exponent or spaces. */
const AMOUNT_TEXT_PATTERN = /^(?:0|[1-9]\d*)(?:\.\d{1,2})?$/;

/** Currencies the sandbox terminal accepts, with their ISO 4217 numeric codes: the proxy's list (a test holds them equal). */
export const CURRENCY_NUMERIC: ReadonlyMap<string, string> = new Map([
  ['KZT', '398'],
  ['USD', '840'],
  ['EUR', '978'],
  ['RUB', '643'],
  ['GBP', '826'],
  ['CNY', '156'],
  ['KGS', '417'],
  ['UZS', '860'],
]);
export const SUPPORTED_CURRENCIES: ReadonlySet<string> = new Set(CURRENCY_NUMERIC.keys());

/**
 * Whether a JSON amount is a positive number with at most two decimals.
 *
 * @example
 * ```ts
 * isValidAmount(10.5); // true
 * isValidAmount(10.555); // false
 * ```
 */
export function isValidAmount(value: unknown): value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > MAX_AMOUNT) return false;
  const scaled = value * 10 ** MAX_DECIMALS;
  return Math.abs(scaled - Math.round(scaled)) < 1e-6;
}

/**
 * The token form's amount text as a number, or `undefined` when it is not plain positive decimal text.
 *
 * @example
 * ```ts
 * parseAmountText('100.50'); // 100.5
 * parseAmountText('1e2'); // undefined
 * ```
 */
export function parseAmountText(text: string): number | undefined {
  if (!AMOUNT_TEXT_PATTERN.test(text)) return undefined;
  const value = Number(text);
  return isValidAmount(value) ? value : undefined;
}

/**
 * The amount in minor units, which is how amounts are compared (never as floats).
 *
 * @example
 * ```ts
 * toMinorUnits(10.1); // 1010
 * ```
 */
export function toMinorUnits(amount: number): number {
  return Math.round(amount * 10 ** MAX_DECIMALS);
}

/**
 * Minor units back to an amount, for totals kept in minor units.
 *
 * @example
 * ```ts
 * fromMinorUnits(1010); // 10.1
 * ```
 */
export function fromMinorUnits(minor: number): number {
  return minor / 10 ** MAX_DECIMALS;
}

/**
 * Whether a value is a 6-15 digit invoice number.
 *
 * @example
 * ```ts
 * isValidInvoiceId('000000123456'); // true
 * ```
 */
export function isValidInvoiceId(value: unknown): value is string {
  return typeof value === 'string' && INVOICE_ID_PATTERN.test(value);
}

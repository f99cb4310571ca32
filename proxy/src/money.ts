/** @module Money as the bank takes it: the currencies an ePay terminal takes, their minor units, exact decimals. */

/** ISO 4217 numeric code and minor-unit exponent (decimals) of a currency. */
export interface Currency {
  numeric: string;
  exponent: number;
}

/**
 * The currencies an ePay terminal takes. A null-prototype object, so that even a plain index (`CURRENCIES[code]`)
 * finds no `toString`, `constructor` or `__proto__`; lookups go through {@link currencyOf} (own properties only).
 */
export const CURRENCIES: Readonly<Record<string, Currency>> = Object.freeze(
  Object.assign(Object.create(null) as Record<string, Currency>, {
    KZT: { numeric: '398', exponent: 2 },
    USD: { numeric: '840', exponent: 2 },
    EUR: { numeric: '978', exponent: 2 },
    RUB: { numeric: '643', exponent: 2 },
    GBP: { numeric: '826', exponent: 2 },
    CNY: { numeric: '156', exponent: 2 },
    KGS: { numeric: '417', exponent: 2 },
    UZS: { numeric: '860', exponent: 2 },
  }),
);

/** Largest amount taken, in major units. */
export const MAX_ORDER_AMOUNT = 1e12;

/** The minor-unit exponent assumed for a code that is not a currency (the claims check refuses such a code anyway). */
const DEFAULT_EXPONENT = 2;

/**
 * A positive number as `String(n)` spells it: the shortest decimal that reads back as the same double, in exponent
 * form below 1e-6 and from 1e21 (`1e-9`, `1.5e-7`, `1e+21`).
 */
const SHORTEST_DECIMAL = /^(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/;

/**
 * The currency of an ISO 4217 alphabetic code, or undefined when ePay does not take it. Own properties only: a code
 * like `toString` or `__proto__` is not a currency.
 *
 * @example
 * ```ts
 * currencyOf('KZT'); // { numeric: '398', exponent: 2 }
 * currencyOf('toString'); // undefined
 * ```
 */
export function currencyOf(code: string): Currency | undefined {
  return Object.hasOwn(CURRENCIES, code) ? CURRENCIES[code] : undefined;
}

/**
 * How many decimals a finite, non-negative number has, read exactly from its shortest decimal spelling rather than
 * with a floating-point tolerance: `0.1 + 0.2` is 0.30000000000000004, 17 decimals, and that is what a bank would get.
 *
 * @example
 * ```ts
 * decimalPlaces(1500.5); // 1
 * decimalPlaces(0.1 + 0.2); // 17
 * decimalPlaces(1e-9); // 9
 * ```
 */
export function decimalPlaces(n: number): number {
  const m = SHORTEST_DECIMAL.exec(String(n));
  if (!m) return Number.POSITIVE_INFINITY; // negative, NaN or Infinity: no exact decimal to pay
  const fraction = m[2]?.length ?? 0;
  const exponent = m[3] === undefined ? 0 : Number(m[3]);
  return Math.max(0, fraction - exponent);
}

/**
 * The amount in minor units. Exact for a verified order's amount or line item (at most the currency's decimals, at
 * most `MAX_ORDER_AMOUNT` either way): the product is then within far less than half a unit of the whole number it
 * rounds to.
 *
 * @example
 * ```ts
 * toMinorUnits(1500.5, 'KZT'); // 150050
 * toMinorUnits(-0.29, 'KZT'); // -29
 * ```
 */
export function toMinorUnits(amount: number, currency: string): number {
  return Math.round(amount * 10 ** exponentOf(currency));
}

/**
 * Minor units back to the amount in major units. Exact: a whole number divided by a power of ten is the double
 * nearest the decimal, whose shortest spelling is that decimal (`150050` → `1500.5`, never `1500.4999999999998`).
 *
 * @example
 * ```ts
 * fromMinorUnits(150050, 'KZT'); // 1500.5
 * ```
 */
export function fromMinorUnits(minor: number, currency: string): number {
  return minor / 10 ** exponentOf(currency);
}

/**
 * The minor-unit exponent (decimals) of a currency; 2 for a code that is not one (the claims check refuses the code).
 *
 * @example
 * ```ts
 * exponentOf('KZT'); // 2
 * ```
 */
export function exponentOf(currency: string): number {
  return currencyOf(currency)?.exponent ?? DEFAULT_EXPONENT;
}

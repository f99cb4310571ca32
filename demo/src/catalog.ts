/** @module The demo shop's catalogue and the one pricing rule: the backend, never the browser, decides the amount. */

/** One product of the demo shop. */
export interface Product {
  sku: string;
  name: string;
  /** In tenge, whole: the sandbox bank then picks the outcome by the card (docs/sandbox.md, "Scenarios"). */
  price: number;
}

/** A line of the customer's basket as the page sends it. */
export interface BasketLine {
  sku: string;
  qty: number;
}

/** A priced basket. */
export interface PricedBasket {
  lines: Array<Product & { qty: number; total: number }>;
  amount: number;
  currency: 'KZT';
  description: string;
}

export const CATALOG: readonly Product[] = [
  { sku: 'tea', name: 'Almaty tea, 250 g', price: 2_400 },
  { sku: 'baursak', name: 'Baursak mix', price: 1_100 },
  { sku: 'slippers', name: 'Felt slippers', price: 9_500 },
];

/** More than a shop would sell at once; keeps the demo's amounts sane. */
export const MAX_QTY = 9;
/** The basket a new visitor sees. */
export const DEFAULT_BASKET: readonly BasketLine[] = [
  { sku: 'tea', qty: 2 },
  { sku: 'baursak', qty: 1 },
  { sku: 'slippers', qty: 0 },
];

/**
 * Prices a basket from the catalogue; returns an error message for an unknown product, a bad quantity or an
 * empty basket.
 *
 * @example
 * priceBasket([{ sku: 'tea', qty: 2 }]); // { amount: 4800, currency: 'KZT', … }
 */
export function priceBasket(basket: unknown): PricedBasket | { error: string } {
  if (!Array.isArray(basket)) return { error: 'items must be a list' };
  const lines: PricedBasket['lines'] = [];
  for (const line of basket as unknown[]) {
    const { sku, qty } = (line ?? {}) as Partial<BasketLine>;
    const product = CATALOG.find((p) => p.sku === sku);
    if (!product) return { error: 'unknown product' };
    if (typeof qty !== 'number' || !Number.isInteger(qty) || qty < 0 || qty > MAX_QTY)
      return { error: `qty must be 0 to ${MAX_QTY}` };
    if (lines.some((l) => l.sku === sku)) return { error: 'a product is listed twice' };
    if (qty > 0) lines.push({ ...product, qty, total: product.price * qty });
  }
  if (lines.length === 0) return { error: 'the basket is empty' };
  const amount = lines.reduce((sum, l) => sum + l.total, 0);
  const description = lines.map((l) => `${l.qty} × ${l.name}`).join(', ');
  return { lines, amount, currency: 'KZT', description };
}

/** @module The basket: the customer changes quantities; the shop's backend prices them and signs the order. */

export interface Product {
  sku: string;
  name: string;
  price: number;
}

export interface SignedOrder {
  order: string;
  invoiceId: string;
  amount: number;
  currency: string;
  description: string;
}

/** Formats tenge for the page. */
export function money(amount: number, currency: string): string {
  return `${amount.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })} ${currency}`;
}

/** Asks the shop's backend for a signed order for these quantities. */
export async function requestOrder(items: Array<{ sku: string; qty: number }>): Promise<SignedOrder> {
  const res = await fetch('/shop/orders', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ items }),
    cache: 'no-store',
  });
  const body = (await res.json()) as SignedOrder | { error: string };
  if (!res.ok || 'error' in body) throw new Error('error' in body ? body.error : `HTTP ${res.status}`);
  return body;
}

/**
 * Renders the basket rows with − / + buttons into a `<tbody>`; `onChange` gets the new quantities.
 *
 * @example
 * renderBasket(tbody, products, quantities, maxQty, (q) => …);
 */
export function renderBasket(
  body: HTMLTableSectionElement,
  products: Product[],
  quantities: Map<string, number>,
  maxQty: number,
  onChange: (quantities: Map<string, number>) => void,
): void {
  const rows = products.map((p) => {
    const tr = document.createElement('tr');
    const name = document.createElement('td');
    name.textContent = p.name;
    const qty = document.createElement('td');
    qty.className = 'qty';
    const out = document.createElement('output');
    out.textContent = String(quantities.get(p.sku) ?? 0);
    out.setAttribute('aria-label', `Quantity of ${p.name}`);
    const step = (delta: number, label: string) => {
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = delta > 0 ? '+' : '−';
      b.setAttribute('aria-label', `${label} ${p.name}`);
      b.addEventListener('click', () => {
        const next = Math.min(maxQty, Math.max(0, (quantities.get(p.sku) ?? 0) + delta));
        quantities.set(p.sku, next);
        out.textContent = String(next);
        onChange(quantities);
      });
      return b;
    };
    qty.append(step(-1, 'One less'), ' ', out, ' ', step(1, 'One more'));
    const price = document.createElement('td');
    price.className = 'price';
    price.textContent = money(p.price, 'KZT');
    tr.append(name, qty, price);
    return tr;
  });
  body.replaceChildren(...rows);
}

/**
 * @module The shop backend's side of the operations API: the page asks the shop to capture, void or refund an order,
 * and the shop asks the proxy, server to server, with its operations key (docs/operations-api.md). The key stays in
 * this process and the proxy's environment: never in a page, an answer or a log line.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Hono } from 'hono';

/** The operations the page may ask for, as the proxy names them. */
export const OPERATION_KINDS = ['charge', 'cancel', 'refund'] as const;
export type OperationKind = (typeof OPERATION_KINDS)[number];

/** The invoice number the proxy accepts (docs/operations-api.md, `invalid_request`). */
const INVOICE_RE = /^\d{6,15}$/;
/** A body of the page is `{}` or `{ "amount": n }`: small. */
const MAX_BODY_BYTES = 1024;
/** Longer than the proxy's own answer budget: the proxy, not this hop, decides when to give up. */
const PROXY_TIMEOUT_MS = 35_000;

/**
 * A fresh operations key for one run: 64 hex characters (the proxy asks for at least 32).
 *
 * @example
 * const key = newOperationsKey(); // given to the proxy as OPERATIONS_API_KEYS and to the shop, printed nowhere
 */
export function newOperationsKey(): string {
  return randomBytes(32).toString('hex');
}

/** Options of {@link createShopOperations}. */
export interface ShopOperationsOptions {
  /** The proxy's loopback base URL; read on each request (the proxy starts after the shop's server). */
  readonly proxyUrl: string;
  /** One of the proxy's OPERATIONS_API_KEYS. */
  operationsKey: string;
}

/** The shop's error answer, in the proxy's shape so the page reads both alike. */
function shopError(code: string, message: string) {
  return { error: { code, message } };
}

/**
 * `POST /shop/operations/:invoiceId/:kind` (kind `charge`, `cancel` or `refund`; optional JSON `{ "amount": n }`) and
 * `GET /shop/operations/:invoiceId`: each forwarded to the proxy's `/operations/payments/…` with the bearer key and,
 * for a POST, a fresh `Idempotency-Key`. The answer is the proxy's, status and JSON.
 *
 * @example
 * app.route('/', createShopOperations({ proxyUrl: proxy.url, operationsKey }));
 * // the page: fetch(`/shop/operations/${invoiceId}/refund`, { method: 'POST', body: '{"amount":1000}' })
 */
export function createShopOperations(o: ShopOperationsOptions) {
  async function forward(method: 'GET' | 'POST', path: string, body?: string): Promise<Response> {
    const headers: Record<string, string> = { authorization: `Bearer ${o.operationsKey}`, accept: 'application/json' };
    if (method === 'POST') {
      headers['content-type'] = 'application/json';
      // A fresh key per click: the page's retry is a new decision of the person, not a replay.
      headers['idempotency-key'] = randomUUID();
    }
    let res: Response;
    try {
      res = await fetch(`${o.proxyUrl}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body }),
        signal: AbortSignal.timeout(PROXY_TIMEOUT_MS),
      });
    } catch {
      return Response.json(shopError('proxy_unavailable', 'The payment proxy could not be reached'), {
        status: 502,
        headers: { 'cache-control': 'no-store' },
      });
    }
    let answer: unknown;
    try {
      answer = await res.json();
    } catch {
      return Response.json(shopError('proxy_error', `The payment proxy answered HTTP ${res.status} without JSON`), {
        status: 502,
        headers: { 'cache-control': 'no-store' },
      });
    }
    return Response.json(answer, { status: res.status, headers: { 'cache-control': 'no-store' } });
  }

  return new Hono()
    .get('/shop/operations/:invoiceId', (c) => {
      const invoiceId = c.req.param('invoiceId');
      if (!INVOICE_RE.test(invoiceId))
        return c.json(shopError('invalid_request', 'The invoice must be 6 to 15 digits'), 400);
      return forward('GET', `/operations/payments/${invoiceId}`);
    })
    .post('/shop/operations/:invoiceId/:kind', async (c) => {
      const invoiceId = c.req.param('invoiceId');
      const kind = c.req.param('kind');
      if (!INVOICE_RE.test(invoiceId))
        return c.json(shopError('invalid_request', 'The invoice must be 6 to 15 digits'), 400);
      if (!(OPERATION_KINDS as readonly string[]).includes(kind))
        return c.json(shopError('invalid_request', 'The operation must be charge, cancel or refund'), 400);
      const text = await c.req.text();
      if (text.length > MAX_BODY_BYTES) return c.json(shopError('invalid_request', 'The body is too large'), 413);
      let amount: unknown;
      if (text.trim() !== '') {
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          return c.json(shopError('invalid_request', 'The body must be JSON'), 400);
        }
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
          return c.json(shopError('invalid_request', 'The body must be a JSON object'), 400);
        amount = (parsed as { amount?: unknown }).amount;
      }
      // Only what the proxy takes; the proxy checks the amount itself (`invalid_amount`).
      const body = kind === 'cancel' || amount === undefined || amount === null ? {} : { amount };
      return forward('POST', `/operations/payments/${invoiceId}/${kind}`, JSON.stringify(body));
    });
}

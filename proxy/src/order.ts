/** @module The order token: an HS256 JWT signed by the merchant's backend, every claim checked. */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { sign } from 'hono/jwt';
import { ProxyError } from './errors.js';

/** ISO 4217: numeric code and minor-unit exponent of the currencies an ePay terminal takes. */
export const CURRENCIES: Readonly<Record<string, { numeric: string; exponent: number }>> = {
  KZT: { numeric: '398', exponent: 2 },
  USD: { numeric: '840', exponent: 2 },
  EUR: { numeric: '978', exponent: 2 },
  RUB: { numeric: '643', exponent: 2 },
  GBP: { numeric: '826', exponent: 2 },
  CNY: { numeric: '156', exponent: 2 },
  KGS: { numeric: '417', exponent: 2 },
  UZS: { numeric: '860', exponent: 2 },
};

/** Claims of an order token, as the merchant signs them. */
export interface OrderClaims {
  invoiceId: string;
  amount: number;
  currency?: string;
  /** Expiry, seconds since the epoch. */
  exp: number;
  description?: string;
  invoiceIdAlt?: string;
  accountId?: string;
  backLink?: string;
  failureBackLink?: string;
  postLink?: string;
  failurePostLink?: string;
}

/** A verified order: every claim checked, `currency` filled in. */
export interface Order extends OrderClaims {
  currency: string;
}

const STRING_CLAIMS = ['description', 'invoiceIdAlt', 'accountId'] as const;
const LINK_CLAIMS = ['backLink', 'failureBackLink', 'postLink', 'failurePostLink'] as const;
/** Longest order token accepted: a full set of claims is well under 2 KB. */
const MAX_ORDER_TOKEN = 8192;
/** An HS256 signature is 32 bytes: 43 base64url characters without padding. */
const HS256_SIGNATURE = /^[A-Za-z0-9_-]{43}$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
/** Longest free-text claim passed on to ePay. */
const MAX_TEXT_CLAIM = 1024;
const MAX_LINK = 2048;

/** The amount in minor units, exact for amounts with at most two decimals. */
export function toMinorUnits(amount: number, currency: string): number {
  const exponent = CURRENCIES[currency]?.exponent ?? 2;
  return Math.round(amount * 10 ** exponent);
}

function hasAtMostTwoDecimals(n: number): boolean {
  // 0.1 + 0.2 style binary noise is tolerated; a third decimal is not.
  return Math.abs(Math.round(n * 100) - n * 100) < 1e-6;
}

/** Checks the claims' shapes and values; returns the problem, or undefined when they are sound. */
export function orderProblem(p: Record<string, unknown>): string | undefined {
  if (typeof p.invoiceId !== 'string' || !/^\d{6,15}$/.test(p.invoiceId)) return 'invoiceId must be 6 to 15 digits';
  if (typeof p.amount !== 'number' || !Number.isFinite(p.amount) || p.amount <= 0) return 'amount must be a number above 0';
  if (!hasAtMostTwoDecimals(p.amount)) return 'amount must have at most 2 decimals';
  if (p.amount > 1e12) return 'amount is too large';
  if (p.currency !== undefined && (typeof p.currency !== 'string' || !(p.currency in CURRENCIES))) {
    return `currency must be one of ${Object.keys(CURRENCIES).join(', ')}`;
  }
  if (typeof p.exp !== 'number' || !Number.isFinite(p.exp)) return 'exp is required (seconds since the epoch)';
  for (const k of STRING_CLAIMS) {
    const v = p[k];
    if (v !== undefined && (typeof v !== 'string' || v.length > MAX_TEXT_CLAIM)) return `${k} must be a string`;
  }
  for (const k of LINK_CLAIMS) {
    const v = p[k];
    if (v === undefined) continue;
    if (typeof v !== 'string' || v.length > MAX_LINK) return `${k} must be an absolute https URL`;
    let u: URL;
    try {
      u = new URL(v);
    } catch {
      return `${k} must be an absolute https URL`;
    }
    if (u.protocol !== 'https:' || u.username || u.password) return `${k} must be an absolute https URL`;
  }
  return undefined;
}

/**
 * Signs an order token (HS256) for the element's `order` attribute.
 *
 * @example
 * ```ts
 * const order = await signOrder(
 *   { invoiceId: '000123456', amount: 1500, exp: Math.floor(Date.now() / 1000) + 900, backLink: 'https://shop.kz/ok' },
 *   process.env.ORDER_SIGNING_SECRET!,
 * );
 * ```
 */
export async function signOrder(claims: OrderClaims, secret: string): Promise<string> {
  const problem = orderProblem(claims as unknown as Record<string, unknown>);
  if (problem) throw new ProxyError('invalid_order', `Order not signed: ${problem}`);
  return sign({ ...claims }, secret, 'HS256');
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function jsonPart(part: string): unknown {
  if (!BASE64URL.test(part)) throw new Error('not base64url');
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
}

/**
 * Checks an HS256 JWT and returns its payload, or throws. The same checks as hono/jwt's `verify` (three parts, header
 * `alg` exactly HS256, `typ` absent or JWT, no `crit`, constant-time signature comparison), on node:crypto's HMAC:
 * hono's goes through WebCrypto, measured at about 100 µs per order (a key import and two promise hops) against about
 * 10 µs here, on a path every payment takes (proxy/bench/cpu-per-payment.ts).
 */
function verifyHs256(token: string, secret: string): Record<string, unknown> {
  const parts = token.split('.');
  if (parts.length !== 3) throw new Error('not a JWT');
  const [header, payload, signature] = parts as [string, string, string];
  const h = jsonPart(header);
  if (!isRecord(h) || h.alg !== 'HS256' || 'crit' in h) throw new Error('not an HS256 JWT');
  if (h.typ !== undefined && (typeof h.typ !== 'string' || !/^(application\/)?jwt$/i.test(h.typ))) throw new Error('not a JWT');
  if (!HS256_SIGNATURE.test(signature)) throw new Error('bad signature');
  const expected = createHmac('sha256', secret).update(`${header}.${payload}`).digest();
  if (!timingSafeEqual(Buffer.from(signature, 'base64url'), expected)) throw new Error('bad signature');
  const p = jsonPart(payload);
  if (!isRecord(p)) throw new Error('payload is not an object');
  return p;
}

/**
 * Verifies an order token: HS256 signature, every claim, and expiry at `now`.
 *
 * @example
 * ```ts
 * const order = await verifyOrder(body.order, config.orderSigningSecret);
 * order.amount; // 1500
 * ```
 * @throws {ProxyError} `invalid_order` or `order_expired`.
 */
export async function verifyOrder(token: unknown, secret: string, now: Date = new Date()): Promise<Order> {
  if (typeof token !== 'string' || token.length === 0 || token.length > MAX_ORDER_TOKEN) {
    throw new ProxyError('invalid_order', 'The order token is missing or malformed');
  }
  let payload: Record<string, unknown>;
  try {
    // exp is checked below against `now`, so tests and callers can pin the clock.
    payload = verifyHs256(token, secret);
  } catch {
    throw new ProxyError('invalid_order', 'The order token is not signed by this merchant');
  }
  const problem = orderProblem(payload);
  if (problem) throw new ProxyError('invalid_order', `The order token is invalid: ${problem}`);
  if ((payload.exp as number) * 1000 <= now.getTime()) throw new ProxyError('order_expired', 'The order has expired');
  const order: Order = {
    invoiceId: payload.invoiceId as string,
    amount: payload.amount as number,
    currency: (payload.currency as string | undefined) ?? 'KZT',
    exp: payload.exp as number,
  };
  for (const k of [...STRING_CLAIMS, ...LINK_CLAIMS]) {
    const v = payload[k];
    if (typeof v === 'string') order[k] = v;
  }
  return order;
}

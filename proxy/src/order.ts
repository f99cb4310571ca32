/** @module The order token: an HS256 JWT signed by the merchant's backend, every claim checked. */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { ProxyError } from './errors.js';

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
/** The currency of an order that names none. */
const DEFAULT_CURRENCY = 'KZT';
/** Largest amount taken, in major units. */
export const MAX_ORDER_AMOUNT = 1e12;
/**
 * A positive number as `String(n)` spells it: the shortest decimal that reads back as the same double, in exponent
 * form below 1e-6 and from 1e21 (`1e-9`, `1.5e-7`, `1e+21`).
 */
const SHORTEST_DECIMAL = /^(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/;

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
 * The amount in minor units. Exact for a verified order's amount (at most the currency's decimals, at most
 * `MAX_ORDER_AMOUNT`): the product is then within far less than half a unit of the whole number it rounds to.
 *
 * @example
 * ```ts
 * toMinorUnits(1500.5, 'KZT'); // 150050
 * ```
 */
export function toMinorUnits(amount: number, currency: string): number {
  const exponent = currencyOf(currency)?.exponent ?? 2;
  return Math.round(amount * 10 ** exponent);
}

function amountProblem(amount: unknown, currency: Currency): string | undefined {
  if (typeof amount !== 'number' || !Number.isFinite(amount) || amount <= 0) return 'amount must be a number above 0';
  // The bank takes the amount as sent: anything finer than the currency's minor unit is refused there, after the
  // invoice was marked and the token spent, so it is refused here.
  if (decimalPlaces(amount) > currency.exponent) return `amount must have at most ${currency.exponent} decimals`;
  if (amount > MAX_ORDER_AMOUNT) return 'amount is too large';
  return undefined;
}

/** Checks the claims' shapes and values; returns the problem, or undefined when they are sound. */
export function orderProblem(p: Record<string, unknown>): string | undefined {
  if (typeof p.invoiceId !== 'string' || !/^\d{6,15}$/.test(p.invoiceId)) return 'invoiceId must be 6 to 15 digits';
  const code = p.currency === undefined ? DEFAULT_CURRENCY : p.currency;
  const currency = typeof code === 'string' ? currencyOf(code) : undefined;
  if (!currency) return `currency must be one of ${Object.keys(CURRENCIES).join(', ')}`;
  const amount = amountProblem(p.amount, currency);
  if (amount) return amount;
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
 * The one claims check of both sides: a payload as it travels in the token (parsed JSON) to the verified order, or
 * `invalid_order`. Expiry is not a claims question: it is judged against the clock when the order is used.
 */
function orderFromClaims(payload: Record<string, unknown>, problemPrefix: string): Order {
  const problem = orderProblem(payload);
  if (problem) throw new ProxyError('invalid_order', `${problemPrefix}: ${problem}`);
  const order: Order = {
    invoiceId: payload.invoiceId as string,
    amount: payload.amount as number,
    currency: (payload.currency as string | undefined) ?? DEFAULT_CURRENCY,
    exp: payload.exp as number,
  };
  for (const k of [...STRING_CLAIMS, ...LINK_CLAIMS]) {
    const v = payload[k];
    if (typeof v === 'string') order[k] = v;
  }
  return order;
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
 * @throws {ProxyError} `invalid_order` for any claims {@link verifyOrder} would refuse, and for a token it would find
 *   too long. Expiry is judged when the order is used, so an order that has already expired is still signed.
 */
export async function signOrder(claims: OrderClaims, secret: string): Promise<string> {
  // Checked as the proxy will read it: the JSON the token carries, not the object in memory (an inherited or
  // non-JSON property would pass a check here and be missing there).
  let payload: unknown;
  try {
    payload = JSON.parse(JSON.stringify(claims));
  } catch {
    throw new ProxyError('invalid_order', 'Order not signed: the claims are not JSON');
  }
  if (!isRecord(payload)) throw new ProxyError('invalid_order', 'Order not signed: the claims are not an object');
  orderFromClaims(payload, 'Order not signed');
  const token = signHs256(payload, secret);
  if (token.length > MAX_ORDER_TOKEN) {
    throw new ProxyError(
      'invalid_order',
      `Order not signed: the token would be longer than ${MAX_ORDER_TOKEN} characters`,
    );
  }
  return token;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function jsonPart(part: string): unknown {
  if (!BASE64URL.test(part)) throw new Error('not base64url');
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
}

/** The header every order token carries (the bytes hono/jwt's `sign` wrote before: tokens are unchanged). */
const HS256_HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');

/** Signs claims as an HS256 JWT on node:crypto, so this module (and `@epay-applepay/proxy/order`) loads no Hono. */
function signHs256(payload: Record<string, unknown>, secret: string): string {
  const body = `${HS256_HEADER}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
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
  if (h.typ !== undefined && (typeof h.typ !== 'string' || !/^(application\/)?jwt$/i.test(h.typ)))
    throw new Error('not a JWT');
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
  const order = orderFromClaims(payload, 'The order token is invalid');
  if (order.exp * 1000 <= now.getTime()) throw new ProxyError('order_expired', 'The order has expired');
  return order;
}

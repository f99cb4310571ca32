/**
 * @module Per-client request limit: a fixed one-minute window per client key, 429 with `Retry-After` beyond it, and
 * {@link clientKeyOf}, which turns a client address into that key (an IPv6 client is its /64).
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { MiddlewareHandler } from 'hono';
// rate-limiter-flexible rather than a map of our own: it has no dependencies, its memory store does O(1) work per
// request (a Map lookup, and one timer per new client that deletes the entry when its window ends, so nothing is ever
// scanned), and the same API has a Redis backend for when instances should share one count.
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Redis } from 'ioredis';
import { ProxyError } from '../errors.js';

export const RATE_WINDOW_MS = 60_000;
/** Keys of the shared counts: `epay-applepay:rl:<name>:<client>`. */
export const SHARED_LIMIT_PREFIX = 'epay-applepay:rl:';

/** A count shared by every instance through one Redis (`REDIS_URL`). */
export interface SharedLimit {
  redis: Redis;
  /** Which count: each middleware keeps its own. */
  name: string;
}
/** Hextets of an IPv6 address that name its network: one /64 is what a single home or server is handed. */
const IPV6_NETWORK_HEXTETS = 4;
/** `::ffff:a.b.c.d` (RFC 4291 §2.5.5.2): an IPv4 client on a dual-stack socket. */
const IPV4_MAPPED_PREFIX = [0, 0, 0, 0, 0, 0xffff];

/**
 * Counts requests per client key in a window of {@link RATE_WINDOW_MS} that starts at the client's first request, and
 * refuses those past `perMinute` with 429 `rate_limited` and `Retry-After` (seconds to the end of the window).
 * Preflights are not counted; `perMinute` 0 turns it off. Each call makes its own, separate count.
 *
 * @example
 * ```ts
 * app.use('/applepay/*', rateLimit(60, (c) => clientKeyOf(getConnInfo(c).remote.address ?? 'unknown')));
 * ```
 */
export function rateLimit(
  perMinute: number,
  clientKey: (c: Parameters<MiddlewareHandler>[0]) => string,
  shared?: SharedLimit,
): MiddlewareHandler {
  if (perMinute <= 0) return (_c, next) => next();
  // No key prefix: each middleware has its own store, and the prefix would only cost a string per request.
  const local = new RateLimiterMemory({ points: perMinute, duration: RATE_WINDOW_MS / 1000, keyPrefix: '' });
  // Shared by every instance through Redis; while Redis does not answer, each instance counts alone (the insurance
  // limiter) rather than refuse every customer or let everyone through.
  const limiter = shared
    ? new RateLimiterRedis({
        storeClient: shared.redis,
        points: perMinute,
        duration: RATE_WINDOW_MS / 1000,
        keyPrefix: `${SHARED_LIMIT_PREFIX}${shared.name}`,
        rejectIfRedisNotReady: true,
        insuranceLimiter: local,
      })
    : local;
  return async (c, next) => {
    if (c.req.method === 'OPTIONS') return next();
    try {
      await limiter.consume(clientKey(c));
    } catch (err) {
      // The limiter rejects with its result object when the allowance is spent; anything else is a real failure.
      if (!(err instanceof RateLimiterRes)) throw err;
      const retryAfter = Math.max(1, Math.ceil(err.msBeforeNext / 1000));
      throw new ProxyError('rate_limited', 'Too many requests; try again later', {
        headers: { 'retry-after': String(retryAfter) },
      });
    }
    return next();
  };
}

/**
 * The rate-limit key of a client address: an IPv4 address as it is, an IPv6 address as its /64 network (whoever holds
 * one address of a /64 usually holds all 2^64 of them, so keying on the full address would give one client unlimited
 * allowances), and an IPv4-mapped IPv6 address as its IPv4 address. Anything else is returned unchanged.
 *
 * @example
 * ```ts
 * clientKeyOf('203.0.113.7');              // '203.0.113.7'
 * clientKeyOf('2001:DB8:0:1:aaaa::1');     // '2001:db8:0:1::/64'
 * clientKeyOf('::ffff:203.0.113.7');       // '203.0.113.7'
 * ```
 */
export function clientKeyOf(address: string): string {
  if (isIPv4(address)) return address;
  const words = ipv6Hextets(address);
  if (!words) return address;
  if (IPV4_MAPPED_PREFIX.every((w, i) => words[i] === w)) {
    const [hi, lo] = [words[6]!, words[7]!];
    return `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
  }
  return `${words
    .slice(0, IPV6_NETWORK_HEXTETS)
    .map((w) => w.toString(16))
    .join(':')}::/64`;
}

/** The eight 16-bit words of an IPv6 address (a zone such as `%eth0` dropped), or undefined when it is not one. */
function ipv6Hextets(address: string): number[] | undefined {
  const text = address.split('%')[0]!.toLowerCase();
  if (!isIPv6(text)) return undefined;
  // A dotted IPv4 tail stands for the last two words.
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  let hex = text;
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    hex = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = hex.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  // isIPv6 has already checked that `::` appears at most once and the words fit in eight.
  const zeros = tail === undefined ? 0 : 8 - left.length - right.length;
  return [...left, ...Array<string>(zeros).fill('0'), ...right].map((w) => Number.parseInt(w, 16));
}

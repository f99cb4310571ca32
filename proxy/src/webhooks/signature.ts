/**
 * @module The `epay-signature` header of an event (docs/webhooks.md): `t=<unix seconds>,v1=<hex HMAC-SHA256 of
 * `${t}.${rawBody}`>`, one `v1=` per signing secret. Pure: no I/O, no server dependency.
 */
import { createHmac } from 'node:crypto';

/** The HTTP header that carries an event's signature (lower case, as Node hands headers over). */
export const WEBHOOK_SIGNATURE_HEADER = 'epay-signature';

/** The one signature scheme: HMAC-SHA256, hex. */
const SCHEME_V1 = 'v1';
/** A `v1` value: the digest in lowercase hex, as the proxy writes it. */
const V1_PATTERN = /^[0-9a-f]{64}$/;
/**
 * A `t` value: a non-negative integer of at most 12 digits (well inside the safe integers), in canonical form (no
 * sign, no leading zero), because the signed text is `${t}.` and `007` would not sign what `7` signs.
 */
const TIMESTAMP_PATTERN = /^(?:0|[1-9][0-9]{0,11})$/;

/** The parts of a well-formed signature header. */
export interface ParsedSignatureHeader {
  /** When the proxy signed this delivery, in unix seconds. */
  t: number;
  /** Every well-formed `v1` signature, in header order. */
  v1: string[];
}

/**
 * The raw HMAC-SHA256 digest of `${timestampS}.` followed by the body, under one secret. A `Uint8Array` body is
 * signed as its exact bytes; a string as its UTF-8 encoding (the same bytes the proxy sends).
 *
 * @example
 * ```ts
 * signatureDigest('{"id":"evt_1"}', secret, 1764850000).toString('hex'); // the `v1` for this secret
 * ```
 */
export function signatureDigest(rawBody: string | Uint8Array, secret: string, timestampS: number): Buffer {
  const hmac = createHmac('sha256', secret).update(`${timestampS}.`, 'utf8');
  return typeof rawBody === 'string' ? hmac.update(rawBody, 'utf8').digest() : hmac.update(rawBody).digest();
}

/**
 * Throws a `TypeError` (a programmer's error, never a verification result) unless `secrets` is a non-empty list of
 * non-empty strings.
 *
 * @example
 * ```ts
 * assertSecrets(['whsec_…']); // returns; assertSecrets([]) throws
 * ```
 */
export function assertSecrets(secrets: readonly unknown[]): asserts secrets is readonly string[] {
  if (!Array.isArray(secrets) || secrets.length === 0) {
    throw new TypeError('webhook signing secrets: give at least one secret');
  }
  for (const secret of secrets) {
    if (typeof secret !== 'string' || secret.length === 0) {
      throw new TypeError('webhook signing secrets: each secret must be a non-empty string');
    }
  }
}

/**
 * The `epay-signature` header value of a body: `t=<timestampS>`, then one `v1=` per secret, in the given order.
 * Throws a `TypeError` on an empty secret list, an empty secret, or a timestamp that is not a non-negative integer of
 * at most 12 digits.
 *
 * @example
 * ```ts
 * signWebhook(body, ['old-secret…', 'new-secret…'], Math.floor(Date.now() / 1000));
 * // 't=1764850000,v1=5257a8…,v1=9c01f2…'
 * ```
 */
export function signWebhook(rawBody: string, secrets: readonly string[], timestampS: number): string {
  assertSecrets(secrets);
  if (!Number.isSafeInteger(timestampS) || !TIMESTAMP_PATTERN.test(String(timestampS))) {
    throw new TypeError('webhook signature: the timestamp must be a non-negative integer of unix seconds');
  }
  const signatures = secrets.map(
    (secret) => `${SCHEME_V1}=${signatureDigest(rawBody, secret, timestampS).toString('hex')}`,
  );
  return [`t=${timestampS}`, ...signatures].join(',');
}

/**
 * Reads an `epay-signature` header, or returns `undefined` when it is malformed. The header is a comma-separated list
 * of `key=value` items; spaces around the commas are ignored.
 *
 * - `t` must appear exactly once, as a non-negative integer of at most 12 digits without sign or leading zero.
 * - `v1` values that are not 64 lowercase hex characters are ignored (they can match no secret), as are items with
 *   another key (`v0=…`, a future scheme); at least one well-formed `v1` must remain.
 * - An item without `=` (or with an empty key) makes the header malformed.
 *
 * @example
 * ```ts
 * parseSignatureHeader('t=1764850000, v1=5257…d8bd'); // { t: 1764850000, v1: ['5257…d8bd'] }
 * parseSignatureHeader('v1=5257…d8bd'); // undefined: no t
 * ```
 */
export function parseSignatureHeader(header: string): ParsedSignatureHeader | undefined {
  if (typeof header !== 'string') return undefined;
  let t: number | undefined;
  let timestamps = 0;
  const v1: string[] = [];
  for (const rawItem of header.split(',')) {
    const item = rawItem.trim();
    // A trailing or doubled comma carries nothing.
    if (item === '') continue;
    const eq = item.indexOf('=');
    if (eq <= 0) return undefined;
    const key = item.slice(0, eq);
    const value = item.slice(eq + 1);
    if (key === 't') {
      timestamps += 1;
      if (!TIMESTAMP_PATTERN.test(value)) return undefined;
      t = Number(value);
    } else if (key === SCHEME_V1 && V1_PATTERN.test(value)) {
      v1.push(value);
    }
  }
  if (timestamps !== 1 || t === undefined || v1.length === 0) return undefined;
  return { t, v1 };
}

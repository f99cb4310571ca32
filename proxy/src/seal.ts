/**
 * @module Sealed context: what the 3-D Secure callback needs travels in the `TermUrl` itself, encrypted and
 * authenticated (AES-256-GCM) under a key derived (HKDF-SHA256) from ORDER_SIGNING_SECRET, with an expiry,
 * so any instance with the same settings can take the callback and no server-side session exists.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/** Format version byte; a sealed value of another version is refused. */
const SEAL_VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HKDF_SALT = 'epay-applepay/seal';

/** Why a sealed value was refused. */
export type UnsealFailure = 'malformed' | 'tampered' | 'expired';

export class SealError extends Error {
  override readonly name = 'SealError';
  /** The authentic but expired value, so the caller can still send the customer to the right failure page. */
  readonly expiredValue: unknown;
  constructor(
    readonly reason: UnsealFailure,
    expiredValue?: unknown,
  ) {
    super(`Sealed context refused: ${reason}`);
    this.expiredValue = expiredValue;
  }
}

/** Seals and unseals JSON values for one purpose; keys for different purposes are independent. */
export interface Sealer {
  seal(value: object, ttlMs: number, now?: number): string;
  /** @throws {SealError} */
  unseal<T>(sealed: string, now?: number): T;
}

/**
 * Creates a sealer whose key is HKDF(secret, purpose).
 *
 * @example
 * ```ts
 * const s = createSealer(config.orderSigningSecret, '3ds-context');
 * const ctx = s.seal({ invoiceId: '000123456' }, 30 * 60_000);
 * s.unseal<{ invoiceId: string }>(ctx).invoiceId; // '000123456'
 * ```
 */
export function createSealer(secret: string, purpose: string): Sealer {
  const key = Buffer.from(hkdfSync('sha256', secret, HKDF_SALT, purpose, 32));
  const aad = Buffer.from(purpose);
  return {
    seal(value, ttlMs, now = Date.now()) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(aad);
      const plain = Buffer.from(JSON.stringify({ e: now + ttlMs, v: value }));
      const body = Buffer.concat([cipher.update(plain), cipher.final()]);
      return Buffer.concat([Buffer.from([SEAL_VERSION]), iv, body, cipher.getAuthTag()]).toString('base64url');
    },
    unseal<T>(sealed: string, now = Date.now()): T {
      if (typeof sealed !== 'string' || sealed.length > 8192 || !/^[A-Za-z0-9_-]+$/.test(sealed)) {
        throw new SealError('malformed');
      }
      const raw = Buffer.from(sealed, 'base64url');
      if (raw.length < 1 + IV_BYTES + TAG_BYTES + 1 || raw[0] !== SEAL_VERSION) throw new SealError('malformed');
      const iv = raw.subarray(1, 1 + IV_BYTES);
      const tag = raw.subarray(raw.length - TAG_BYTES);
      const body = raw.subarray(1 + IV_BYTES, raw.length - TAG_BYTES);
      let plain: Buffer;
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, iv);
        decipher.setAAD(aad);
        decipher.setAuthTag(tag);
        plain = Buffer.concat([decipher.update(body), decipher.final()]);
      } catch {
        throw new SealError('tampered');
      }
      const parsed = JSON.parse(plain.toString('utf8')) as { e: number; v: T };
      if (typeof parsed.e !== 'number' || parsed.e <= now) throw new SealError('expired', parsed.v);
      return parsed.v;
    },
  };
}

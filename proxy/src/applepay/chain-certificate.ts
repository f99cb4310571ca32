/** @module Parses a certificate of a token's signing chain once and remembers it by its DER. */
import { createHash, X509Certificate, type KeyObject } from 'node:crypto';
import * as pkijs from 'pkijs';

/** What the verifier needs of one certificate, parsed once. */
export interface ChainCertificate {
  /** SHA-256 hex of the DER: the cache key, and the identity of the certificate in the chain cache. */
  id: string;
  /** pkijs view: names, serial number, extensions. */
  cert: pkijs.Certificate;
  /** Node view: signature verification and the public key. */
  x509: X509Certificate;
  publicKey: KeyObject;
  notBefore: Date;
  notAfter: Date;
  /** OIDs of the certificate's extensions. */
  extensionOids: ReadonlySet<string>;
}

/** Apple rotates its signing certificates every few years; a small cache holds every one in use, and a flood of
 * attacker-made certificates only evicts entries, it cannot grow memory. */
export const MAX_CACHED_CERTIFICATES = 64;

const cache = new Map<string, ChainCertificate>();

/**
 * Parses a DER certificate, or returns the copy parsed before. Throws (a plain Error) on bytes that are
 * not a certificate; the caller turns that into its own code.
 *
 * @example
 * const root = chainCertificate(new X509Certificate(pem).raw);
 */
export function chainCertificate(der: Uint8Array): ChainCertificate {
  const id = createHash('sha256').update(der).digest('hex');
  const cached = cache.get(id);
  if (cached) return cached;

  const bytes = Buffer.from(der);
  const x509 = new X509Certificate(bytes);
  const cert = pkijs.Certificate.fromBER(bytes);
  const parsed: ChainCertificate = {
    id,
    cert,
    x509,
    publicKey: x509.publicKey,
    notBefore: cert.notBefore.value,
    notAfter: cert.notAfter.value,
    extensionOids: new Set((cert.extensions ?? []).map((e) => e.extnID)),
  };
  if (cache.size >= MAX_CACHED_CERTIFICATES) {
    const oldest = cache.keys().next().value;
    if (oldest !== undefined) cache.delete(oldest);
  }
  cache.set(id, parsed);
  return parsed;
}

/** True when `date` lies within the certificate's validity period (both ends inclusive, as RFC 5280 says). */
export function isValidAt(cert: ChainCertificate, date: Date): boolean {
  const t = date.getTime();
  return cert.notBefore.getTime() <= t && t <= cert.notAfter.getTime();
}

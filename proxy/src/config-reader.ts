/**
 * @module How settings are read: each reader notes what is wrong in one list instead of throwing, so `loadConfig` can
 * name every problem in one message; and the checks of Apple's PEM files that can only be made once all are read.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createPaymentTokenDecryptor } from './applepay/decrypt-token.js';
import { getTokenSignatureVerifier } from './applepay/token-signature.js';

export type Env = Record<string, string | undefined>;

/** PEM labels of a certificate and of a private key. */
export const CERT = /-----BEGIN CERTIFICATE-----/;
export const KEY = /-----BEGIN (?:EC |RSA |ENCRYPTED )?PRIVATE KEY-----/;
export const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * @example
 * ```ts
 * const { problems, int } = createSettingsReader(process.env);
 * const port = int('PORT', 8787, 0, 65_535);
 * ```
 */
export function createSettingsReader(env: Env) {
  const problems: string[] = [];
  const raw = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  const required = (name: string): string => {
    const v = raw(name);
    if (v === undefined) problems.push(`${name} is required`);
    return v ?? '';
  };
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const v = raw(name);
    if (v === undefined) return fallback;
    if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) {
      problems.push(`${name} must be a whole number from ${min} to ${max}`);
      return fallback;
    }
    return Number(v);
  };
  const url = (name: string, value: string | undefined, opts: { httpOnLoopback?: boolean } = {}): string => {
    if (value === undefined || value === '') return '';
    let u: URL;
    try {
      u = new URL(value);
    } catch {
      problems.push(`${name} must be an absolute URL`);
      return '';
    }
    const httpOk = u.protocol === 'http:' && (opts.httpOnLoopback ?? true) && LOOPBACK_HOSTS.has(u.hostname);
    if (u.protocol !== 'https:' && !httpOk) problems.push(`${name} must be https (http only on localhost)`);
    if (u.username || u.password || u.search || u.hash)
      problems.push(`${name} must have no credentials, query or fragment`);
    return u.href.replace(/\/+$/, '');
  };
  const pemFiles = (name: string, value: string | undefined, label: RegExp): string[] => {
    if (value === undefined) return [];
    return value
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean)
      .map((path) => {
        try {
          const text = readFileSync(path, 'utf8');
          if (!label.test(text)) problems.push(`${name}: ${path} is not a PEM file of the expected kind`);
          return text;
        } catch (err) {
          // The reason's code (ENOENT, EACCES, EISDIR), never the text read.
          const code = (err as NodeJS.ErrnoException).code;
          problems.push(`${name}: cannot read ${path}${code ? ` (${code})` : ''}`);
          return '';
        }
      });
  };

  return { problems, raw, required, int, url, pemFiles };
}

/**
 * The PEM files must be what they claim, and each key must belong to its certificate: found at start, not at the
 * first payment or merchant validation. Messages name the setting only, never key material.
 */
export function checkAppleFiles(
  problems: string[],
  files: {
    identityCertPem: string;
    identityKeyPem: string;
    processing: Array<{ certPem: string; keyPem: string }>;
    rootCaPem?: string | undefined;
  },
): void {
  const { identityCertPem, identityKeyPem, processing, rootCaPem } = files;
  if (identityCertPem && identityKeyPem && !pairMatches(identityCertPem, identityKeyPem)) {
    problems.push('APPLE_IDENTITY_CERT and APPLE_IDENTITY_KEY: not a certificate and its own private key');
  }
  processing.forEach((pair, i) => {
    if (!pair.certPem || !pair.keyPem) return;
    if (!pairMatches(pair.certPem, pair.keyPem)) {
      problems.push(
        `APPLE_PROCESSING_CERT and APPLE_PROCESSING_KEY (pair ${i + 1}): not a certificate and its own private key`,
      );
      return;
    }
    try {
      createPaymentTokenDecryptor({ pairs: [pair], ...(rootCaPem ? { rootCaPem } : {}) });
    } catch (err) {
      problems.push(`APPLE_PROCESSING_CERT (pair ${i + 1}): ${err instanceof Error ? err.message : 'unusable'}`);
    }
  });
  if (rootCaPem) {
    try {
      getTokenSignatureVerifier(rootCaPem);
    } catch {
      problems.push('APPLE_ROOT_CA: not an X.509 certificate');
    }
  }
}

/** True when `certPem` parses as X.509 and `keyPem` is its private key. */
function pairMatches(certPem: string, keyPem: string): boolean {
  try {
    return new X509Certificate(certPem).checkPrivateKey(createPrivateKey(keyPem));
  } catch {
    return false;
  }
}

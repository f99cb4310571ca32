/**
 * @module ePay's `public.rsa`: parsed whatever its PEM label (the bank is reported to wrap an SPKI body in
 * `BEGIN RSA PUBLIC KEY`), SPKI or PKCS#1, or bare base64.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';

/** Parses the bank's public key file; throws a plain Error (no key material in it) when it is not an RSA key. */
export function parseBankPublicKey(text: string): KeyObject {
  const b64 = text.replace(/-----(BEGIN|END) [A-Z0-9 ]+-----/g, '').replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) throw new Error('public.rsa is not PEM or base64');
  const der = Buffer.from(b64, 'base64');
  for (const type of ['spki', 'pkcs1'] as const) {
    try {
      const key = createPublicKey({ key: der, format: 'der', type });
      if (key.asymmetricKeyType === 'rsa') return key;
    } catch {
      // try the next encoding
    }
  }
  throw new Error('public.rsa is not an RSA public key');
}

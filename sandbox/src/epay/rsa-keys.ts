/** @module The sandbox bank's RSA key pair: generation (once per process), loading, and the public key's spellings. */
import { createPrivateKey, createPublicKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import type { PublicKeyFormat } from './types.js';

/** The production key is RSA-4096 (docs/epay-api.md), so the sandbox's is too: a 2048-bit key would hide size bugs. */
export const SANDBOX_RSA_MODULUS_BITS = 4096;

/** PEM bodies are wrapped at 64 characters (RFC 7468). */
const PEM_LINE_LENGTH = 64;

const generateKeyPairAsync = promisify(generateKeyPair);

/** The key pair the bank decrypts cryptograms with. */
export interface SandboxKeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

let generated: Promise<SandboxKeyPair> | undefined;

/**
 * The key pair to use: the given PEM, or one RSA-4096 pair generated once per process (generation
 * takes seconds, so every sandbox in a process shares it).
 *
 * @example
 * ```ts
 * const { privateKey } = await loadSandboxKeyPair(process.env.SANDBOX_KEY_PEM);
 * ```
 */
export async function loadSandboxKeyPair(privateKeyPem?: string): Promise<SandboxKeyPair> {
  if (privateKeyPem !== undefined) {
    const privateKey = createPrivateKey(privateKeyPem);
    if (privateKey.asymmetricKeyType !== 'rsa') throw new TypeError('privateKeyPem must be an RSA private key');
    return { privateKey, publicKey: createPublicKey(privateKey) };
  }
  generated ??= generateKeyPairAsync('rsa', { modulusLength: SANDBOX_RSA_MODULUS_BITS }).catch((error: unknown) => {
    generated = undefined;
    throw error;
  });
  return generated;
}

/**
 * The text `GET /public.rsa` serves, in one of the spellings seen in the wild.
 *
 * @example
 * ```ts
 * formatPublicKey(publicKey, 'rsa-label-spki'); // '-----BEGIN RSA PUBLIC KEY-----\nMIICIjANBg…'
 * ```
 */
export function formatPublicKey(publicKey: KeyObject, format: PublicKeyFormat): string {
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  switch (format) {
    case 'rsa-label-spki':
      return armor('RSA PUBLIC KEY', spki);
    case 'spki':
      return armor('PUBLIC KEY', spki);
    case 'pkcs1':
      return armor('RSA PUBLIC KEY', publicKey.export({ type: 'pkcs1', format: 'der' }));
    case 'bare':
      return `${spki.toString('base64')}\n`;
  }
}

function armor(label: string, der: Buffer): string {
  const base64 = der.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < base64.length; i += PEM_LINE_LENGTH) lines.push(base64.slice(i, i + PEM_LINE_LENGTH));
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

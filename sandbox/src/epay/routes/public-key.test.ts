import { createPrivateKey, createPublicKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createFakeEpayApp } from '../app.js';
import { parsePublicKeyText, testKeyPem } from '../test-support.js';
import type { PublicKeyFormat } from '../types.js';

const expectedSpki = createPublicKey(createPrivateKey(testKeyPem())).export({ type: 'spki', format: 'der' });

async function servedKey(format?: PublicKeyFormat): Promise<string> {
  const { app } = await createFakeEpayApp({
    privateKeyPem: testKeyPem(),
    ...(format ? { publicKeyFormat: format } : {}),
  });
  const res = await app.request('/public.rsa');
  expect(res.status).toBe(200);
  return res.text();
}

describe('GET /public.rsa', () => {
  it('serves by default an SPKI body inside a BEGIN RSA PUBLIC KEY label, like production', async () => {
    const text = await servedKey();
    expect(text).toMatch(/^-----BEGIN RSA PUBLIC KEY-----\n(?:[A-Za-z0-9+/=]{1,64}\n)+-----END RSA PUBLIC KEY-----\n$/);
    // Node reads that label as PKCS#1 and fails: the reason merchants must try SPKI first.
    expect(() => createPublicKey(text)).toThrow();
    const key = parsePublicKeyText(text);
    expect(key.asymmetricKeyDetails?.modulusLength).toBe(4096);
    expect(key.export({ type: 'spki', format: 'der' })).toEqual(expectedSpki);
  });

  it('serves a standard SPKI PEM that node:crypto reads directly', async () => {
    const text = await servedKey('spki');
    expect(text.startsWith('-----BEGIN PUBLIC KEY-----\n')).toBe(true);
    expect(createPublicKey(text).export({ type: 'spki', format: 'der' })).toEqual(expectedSpki);
  });

  it('serves a true PKCS#1 PEM that node:crypto reads directly', async () => {
    const text = await servedKey('pkcs1');
    expect(text.startsWith('-----BEGIN RSA PUBLIC KEY-----\n')).toBe(true);
    expect(createPublicKey(text).export({ type: 'spki', format: 'der' })).toEqual(expectedSpki);
  });

  it('serves bare base64 of the SPKI DER', async () => {
    const text = await servedKey('bare');
    expect(text).toMatch(/^[A-Za-z0-9+/=]+\n$/);
    const key = createPublicKey({ key: Buffer.from(text.trim(), 'base64'), format: 'der', type: 'spki' });
    expect(key.export({ type: 'spki', format: 'der' })).toEqual(expectedSpki);
  });
});

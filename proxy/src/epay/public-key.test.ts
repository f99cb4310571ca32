import { constants, generateKeyPairSync, privateDecrypt } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { encryptCryptogram } from './cryptogram.js';
import { parseBankPublicKey } from './public-key.js';

const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const spkiDer = publicKey.export({ format: 'der', type: 'spki' });
const spkiB64 = spkiDer.toString('base64');
const pem = (label: string, b64: string) =>
  `-----BEGIN ${label}-----\n${b64.match(/.{1,64}/g)!.join('\n')}\n-----END ${label}-----\n`;

describe('parseBankPublicKey', () => {
  it.each([
    ['SPKI with its own label', pem('PUBLIC KEY', spkiB64)],
    ['SPKI inside BEGIN RSA PUBLIC KEY (the bank quirk)', pem('RSA PUBLIC KEY', spkiB64)],
    ['PKCS#1 with its own label', publicKey.export({ format: 'pem', type: 'pkcs1' }).toString()],
    [
      'PKCS#1 inside BEGIN PUBLIC KEY',
      pem('PUBLIC KEY', publicKey.export({ format: 'der', type: 'pkcs1' }).toString('base64')),
    ],
    ['bare base64', spkiB64],
    ['CRLF line ends', pem('RSA PUBLIC KEY', spkiB64).replace(/\n/g, '\r\n')],
  ])('reads %s', (_name, text) => {
    const key = parseBankPublicKey(text);
    expect(key.export({ format: 'der', type: 'spki' }).equals(spkiDer)).toBe(true);
  });

  it('refuses what is not an RSA public key', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .publicKey.export({ format: 'pem', type: 'spki' })
      .toString();
    expect(() => parseBankPublicKey(ec)).toThrow(/not an RSA public key/);
    expect(() => parseBankPublicKey('<html>down</html>')).toThrow();
    expect(() => parseBankPublicKey('')).toThrow();
  });
});

describe('encryptCryptogram', () => {
  it('encrypts compact JSON in the fixed key order with PKCS#1 v1.5, as standard base64', () => {
    const b64 = encryptCryptogram(
      { terminalId: 'T', cvc: '', expDate: '0930', hpan: '4400430100000001' } as never,
      publicKey,
    );
    expect(b64).toMatch(/^[A-Za-z0-9+/]+=*$/);
    // Node 20 refuses PKCS#1 v1.5 decryption (Marvin): decrypt raw and check the padding by hand, as the bank's stand-in does.
    const raw = privateDecrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, Buffer.from(b64, 'base64'));
    expect(raw[0]).toBe(0);
    expect(raw[1]).toBe(2);
    const sep = raw.indexOf(0, 2);
    expect(sep).toBeGreaterThan(9);
    expect(raw.subarray(sep + 1).toString()).toBe(
      '{"hpan":"4400430100000001","expDate":"0930","cvc":"","terminalId":"T"}',
    );
  });
});

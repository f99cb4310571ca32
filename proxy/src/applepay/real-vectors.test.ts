/**
 * @module Tokens Apple really signed, from other projects' published fixtures (see fixtures/README.md): the current
 * signing certificate, Apple's sandbox signer, the newer CMS encoding, and an RSA_v1 token with its key. Each verifies
 * just after its signingTime and is refused a day later; each with a key decrypts to the payload its source published.
 */
import { constants, privateDecrypt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  createPaymentTokenDecryptor,
  PaymentTokenError,
  verifyPaymentTokenSignature,
  type ProcessingPair,
} from './decrypt-token.js';
import { decodePaymentData } from './payment-data.js';
import { loadProcessingPair } from './processing-pair.js';
import { parseSignedData } from './signed-data.js';
import { restoreRsaV1Key } from './token-crypto.js';

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
/** The token's `paymentData`, whether the file holds a whole token or only its `paymentData`. */
const paymentDataOf = (name: string): PaymentData => {
  const json = JSON.parse(fixture(name));
  return (json.paymentData ?? json) as PaymentData;
};
type PaymentData = { version: string; data: string; signature: string; header: Record<string, string> };

const SECOND = 1000;
const DAY = 24 * 3600 * SECOND;

/** DER of AlgorithmIdentifier { id-sha256, NULL }, the encoding of the older tokens. */
const SHA256_WITH_NULL = Buffer.from('300d06096086480165030402010500', 'hex');
/** DER of AlgorithmIdentifier { id-sha256 } without parameters (RFC 5754 §2), the newer encoding. */
const SHA256_WITHOUT_NULL = Buffer.from('300b0609608648016503040201', 'hex');

interface Vector {
  name: string;
  paymentData: PaymentData;
  signingTime: Date;
  /** CN of the certificate that signed the token, and its validity. */
  signer: { cn: string; validFrom: string; validTo: string };
  pair?: ProcessingPair;
  payload?: Record<string, unknown>;
}

const basistheoryRsa: Vector = {
  name: 'Basis Theory RSA_v1',
  paymentData: paymentDataOf('basistheory-rsa-token.json'),
  signingTime: new Date('2024-01-08T17:54:44Z'),
  signer: { cn: 'rsa-smp-broker-sign_UC4-PROD', validFrom: '2021-01-10', validTo: '2026-01-09' },
  pair: { certPem: fixture('basistheory-rsa-cert.pem'), keyPem: fixture('basistheory-rsa-key.pem') },
  payload: JSON.parse(fixture('basistheory-rsa-payload.json')),
};
const basistheoryEc: Vector = {
  name: 'Basis Theory EC_v1 (newer CMS encoding)',
  paymentData: paymentDataOf('basistheory-ec-token.json'),
  signingTime: new Date('2023-09-13T13:49:38Z'),
  signer: { cn: 'ecc-smp-broker-sign_UC4-PROD', validFrom: '2019-05-18', validTo: '2024-05-16' },
  pair: { certPem: fixture('basistheory-ec-cert.pem'), keyPem: fixture('basistheory-ec-key.pem') },
  payload: JSON.parse(fixture('basistheory-ec-payload.json')),
};
const chimanwadike: Vector = {
  name: 'chimanwadike EC_v1 (2024-2029 signer)',
  paymentData: paymentDataOf('chimanwadike-2024-token.json'),
  signingTime: new Date('2024-10-30T22:28:45Z'),
  signer: { cn: 'ecc-smp-broker-sign_UC4-PROD', validFrom: '2024-04-29', validTo: '2029-04-28' },
};
const payuSandbox: Vector = {
  name: "PayU EC_v1 (Apple's sandbox signer)",
  paymentData: paymentDataOf('payu-sandbox-payment-data.json'),
  signingTime: new Date('2018-01-26T13:55:18Z'),
  signer: { cn: 'ecc-smp-broker-sign_UC4-SANDBOX', validFrom: '2016-06-03', validTo: '2021-06-02' },
  // The certificate is made here over PayU's key (PayU published the key only): it carries the merchant hash of
  // merchant.sandbox.payu, which the EC_v1 key derivation needs.
  pair: { certPem: fixture('payu-sandbox-synthetic-cert.pem'), keyPem: fixture('payu-sandbox-key.pem') },
  // The payload file leaves out the `paymentData` object; PayU's README shows this cryptogram (and no ECI).
  payload: {
    ...JSON.parse(fixture('payu-sandbox-payload.json')),
    paymentData: { onlinePaymentCryptogram: 'AOm+7lPDSbobAGVT7hmNAoABFA==' },
  },
};

const VECTORS = [basistheoryRsa, basistheoryEc, chimanwadike, payuSandbox];
const WITH_KEYS = VECTORS.filter(
  (v): v is Vector & Required<Pick<Vector, 'pair' | 'payload'>> => !!v.pair && !!v.payload,
);

const day = (d: Date): string => d.toISOString().slice(0, 10);

describe.each(VECTORS)('$name', (vector) => {
  const justAfter = new Date(vector.signingTime.getTime() + SECOND);
  const dayLater = new Date(vector.signingTime.getTime() + DAY);

  it('is signed by the Apple certificate its source names (under the bundled root)', () => {
    const { certificates } = parseSignedData(decodePaymentData(vector.paymentData).signature);
    const leaf = certificates.find((c) => !c.x509.ca)!.x509;
    expect(leaf.subject).toContain(`CN=${vector.signer.cn}`);
    expect([day(new Date(leaf.validFrom)), day(new Date(leaf.validTo))]).toEqual([
      vector.signer.validFrom,
      vector.signer.validTo,
    ]);
  });

  it('verifies its signature just after its signingTime', async () => {
    await expect(verifyPaymentTokenSignature(vector.paymentData, { now: justAfter })).resolves.toEqual({
      signingTime: vector.signingTime,
    });
  });

  it('is refused a day later as expired', async () => {
    const err = await verifyPaymentTokenSignature(vector.paymentData, { now: dayLater }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PaymentTokenError);
    expect(err).toMatchObject({ code: 'signing_time_too_old', expired: true });
  });
});

describe.each(WITH_KEYS)('$name with its processing key', (vector) => {
  const decryptor = createPaymentTokenDecryptor({ pairs: [vector.pair] });

  it('decrypts to the payload its source published, exactly', async () => {
    const payload = await decryptor.decrypt(vector.paymentData, new Date(vector.signingTime.getTime() + SECOND));
    expect(payload).toEqual(vector.payload);
  });

  it('is refused a day later as expired, before anything is decrypted', async () => {
    const err = await decryptor
      .decrypt(vector.paymentData, new Date(vector.signingTime.getTime() + DAY))
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'signing_time_too_old', expired: true });
  });

  it('is refused with a flipped ciphertext byte, even inside the allowed age', async () => {
    const data = Buffer.from(vector.paymentData.data, 'base64');
    data[0] = (data[0] ?? 0) ^ 0x01;
    const err = await decryptor
      .decrypt(
        { ...vector.paymentData, data: data.toString('base64') },
        new Date(vector.signingTime.getTime() + SECOND),
      )
      .catch((e: unknown) => e);
    // The signature covers `data`, so the digest check catches it before decryption is tried.
    expect(err).toMatchObject({ code: 'message_digest_mismatch' });
  });
});

describe('the newer CMS encoding: SHA-256 named without the NULL parameter', () => {
  it('is what the Basis Theory EC_v1 token carries, where the older gala token has the NULL', () => {
    const newer = Buffer.from(basistheoryEc.paymentData.signature, 'base64');
    expect(newer.includes(SHA256_WITHOUT_NULL)).toBe(true);
    expect(newer.includes(SHA256_WITH_NULL)).toBe(false);
    const older = Buffer.from(paymentDataOf('gala-payment-data.json').signature, 'base64');
    expect(older.includes(SHA256_WITH_NULL)).toBe(true);
  });

  it('is read as SHA-256 (digest and signature algorithms) and verifies', async () => {
    const { signerInfo } = parseSignedData(Buffer.from(basistheoryEc.paymentData.signature, 'base64'));
    expect(signerInfo.digestAlgorithm).toBe('2.16.840.1.101.3.4.2.1');
    await expect(
      verifyPaymentTokenSignature(basistheoryEc.paymentData, {
        now: new Date(basistheoryEc.signingTime.getTime() + SECOND),
      }),
    ).resolves.toBeTruthy();
  });
});

describe('RSA_v1 key wrapping, as the real Basis Theory token shows', () => {
  const wrappedKey = Buffer.from(basistheoryRsa.paymentData.header.wrappedKey!, 'base64');
  const { privateKey } = loadProcessingPair(basistheoryRsa.pair!);

  it('is RSA-OAEP with SHA-256 and MGF1-SHA-256: the wrapped key unwraps to an AES-128 key', () => {
    expect(restoreRsaV1Key(wrappedKey, privateKey)).toHaveLength(16);
  });

  it('is not RSA-OAEP with SHA-1 (the OAEP default)', () => {
    expect(() =>
      privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, wrappedKey),
    ).toThrow();
  });
});

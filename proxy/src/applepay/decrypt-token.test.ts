import { createHash, generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as pkijs from 'pkijs';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { createFakeApple, type FakeApple, type MintTokenInput } from '@epay-applepay/sandbox';
import {
  createPaymentTokenDecryptor,
  decryptPaymentToken,
  PAYMENT_TOKEN_ERROR_CODES,
  PaymentTokenError,
  verifyPaymentTokenSignature,
  type PaymentTokenErrorCode,
} from './decrypt-token.js';
import { decodePaymentData } from './payment-data.js';
import { parseSignedData } from './signed-data.js';
import { createTokenSignatureVerifier } from './token-signature.js';

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const gala = JSON.parse(fixture('gala-payment-data.json')) as Record<string, unknown> & {
  data: string;
  signature: string;
  header: Record<string, string>;
};
const galaPair = { certPem: fixture('gala-merchant-cert.pem'), keyPem: fixture('gala-merchant-key.pem') };
// The CMS signingTime of the gala token, as the signature itself says (an earlier vectors README said 2023-03-07).
const GALA_SIGNED = new Date('2021-09-01T19:03:06Z');
const processoutEc = JSON.parse(fixture('processout-token.json')).paymentData;
const processoutRsa = JSON.parse(fixture('processout-token-rsa.json')).paymentData;
const SECOND = 1000;
const DAY = 24 * 3600 * SECOND;

/** Every code a test of this file has seen thrown (checked against the full list at the end). */
const seenCodes = new Set<string>();

async function codeOf(
  promise: Promise<unknown> | (() => unknown),
  secrets: string[] = [],
): Promise<PaymentTokenErrorCode> {
  const err = await (typeof promise === 'function' ? Promise.resolve().then(promise) : promise).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PaymentTokenError);
  const message = (err as PaymentTokenError).message;
  for (const secret of secrets) expect(message).not.toContain(secret);
  seenCodes.add((err as PaymentTokenError).code);
  return (err as PaymentTokenError).code;
}

function flipByte(base64: string, index: number): string {
  const bytes = Buffer.from(base64, 'base64');
  const at = index < 0 ? bytes.length + index : index;
  bytes[at] = (bytes[at] ?? 0) ^ 0x01;
  return bytes.toString('base64');
}

describe('real Apple tokens', () => {
  it('decrypts the gala EC_v1 token to the payload its source lists', async () => {
    const payload = await decryptPaymentToken(gala, {
      pairs: [galaPair],
      now: new Date(GALA_SIGNED.getTime() + SECOND),
    });
    expect(payload).toEqual({
      applicationPrimaryAccountNumber: '5353756319181169',
      applicationExpirationDate: '240930',
      currencyCode: '840',
      transactionAmount: 100,
      deviceManufacturerIdentifier: '050110030273',
      paymentDataType: '3DSecure',
      paymentData: { onlinePaymentCryptogram: 'AMwBRjPWDnAgAA7Rls7mAoABFA==' },
    });
  });

  it('refuses the gala token a day later as expired, and names it so', async () => {
    const err = await decryptPaymentToken(gala, {
      pairs: [galaPair],
      now: new Date(GALA_SIGNED.getTime() + DAY),
    }).catch((e) => e);
    expect(err).toBeInstanceOf(PaymentTokenError);
    expect(err.code).toBe('signing_time_too_old');
    expect(err.expired).toBe(true);
  });

  it.each([
    ['EC_v1', processoutEc, new Date('2017-02-01T18:45:06Z')],
    ['RSA_v1', processoutRsa, new Date('2017-02-01T21:56:53Z')],
  ])(
    'verifies the processout %s signature just after its signingTime, not a day later',
    async (_v, paymentData, signed) => {
      await expect(
        verifyPaymentTokenSignature(paymentData, { now: new Date(signed.getTime() + SECOND) }),
      ).resolves.toEqual({ signingTime: signed });
      expect(await codeOf(verifyPaymentTokenSignature(paymentData, { now: new Date(signed.getTime() + DAY) }))).toBe(
        'signing_time_too_old',
      );
    },
  );

  it('names the check a flipped byte breaks', async () => {
    const now = new Date(GALA_SIGNED.getTime() + SECOND);
    const check = (paymentData: unknown) => codeOf(decryptPaymentToken(paymentData, { pairs: [galaPair], now }));
    expect(await check({ ...gala, data: flipByte(gala.data, 10) })).toBe('message_digest_mismatch');
    expect(
      await check({
        ...gala,
        header: { ...gala.header, ephemeralPublicKey: flipByte(gala.header.ephemeralPublicKey!, -3) },
      }),
    ).toBe('message_digest_mismatch');
    const tx = gala.header.transactionId!;
    expect(
      await check({ ...gala, header: { ...gala.header, transactionId: (tx[0] === 'f' ? 'e' : 'f') + tx.slice(1) } }),
    ).toBe('message_digest_mismatch');
    expect(
      await check({ ...gala, header: { ...gala.header, publicKeyHash: flipByte(gala.header.publicKeyHash!, 0) } }),
    ).toBe('unknown_public_key_hash');
    // The last bytes before the six end-of-contents octets are the ECDSA signature's s value.
    expect(await check({ ...gala, signature: flipByte(gala.signature, -10) })).toBe('signature_invalid');
    // Inside the leaf certificate's own signature (Apple's intermediate signed it).
    const der = Buffer.from(gala.signature, 'base64');
    const leafDer = parseSignedData(der).certificates[0]!.x509.raw;
    const leafAt = der.indexOf(leafDer);
    expect(leafAt).toBeGreaterThan(0);
    expect(await check({ ...gala, signature: flipByte(gala.signature, leafAt + leafDer.length - 5) })).toBe(
      'leaf_not_issued_by_intermediate',
    );
  });

  it('refuses a real token under another root', async () => {
    const apple = await fakeApple();
    const now = new Date(GALA_SIGNED.getTime() + SECOND);
    expect(await codeOf(decryptPaymentToken(gala, { pairs: [galaPair], now, rootCaPem: apple.rootCaPem }))).toBe(
      'intermediate_not_issued_by_root',
    );
  });
});

let shared: Promise<FakeApple> | undefined;
let stranger: Promise<FakeApple> | undefined;
const fakeApple = (): Promise<FakeApple> => (shared ??= createFakeApple());
const otherApple = (): Promise<FakeApple> => (stranger ??= createFakeApple());

describe('tokens from the fake Apple', () => {
  let apple: FakeApple;
  let other: FakeApple;
  let decrypt: (paymentData: unknown, now?: Date) => Promise<unknown>;
  const mint = (input: Partial<MintTokenInput> = {}) => apple.mintToken({ amountMinor: 150_000, ...input }).paymentData;

  beforeAll(async () => {
    [apple, other] = await Promise.all([fakeApple(), otherApple()]);
    const decryptor = createPaymentTokenDecryptor({
      pairs: [apple.processing, apple.processingRsa],
      rootCaPem: apple.rootCaPem,
    });
    decrypt = (paymentData, now) => decryptor.decrypt(paymentData, now);
  });

  it('refuses a signature with any byte flipped, always with a PaymentTokenError (never a parser exception)', async () => {
    const good = mint();
    const sig = Buffer.from(good.signature, 'base64');
    const codes = new Set<string>();
    // Every 5th byte, across the certificates, the signed attributes and the signature value.
    for (let i = 0; i < sig.length; i += 5) {
      const bad = Buffer.from(sig);
      bad[i] = (bad[i] ?? 0) ^ 0xff;
      const err = await decrypt({ ...good, signature: bad.toString('base64') }).then(
        () => undefined,
        (e: unknown) => e,
      );
      // A flip inside an unused, unsigned part may leave the token valid; what must never happen is an untyped error.
      if (err !== undefined) {
        expect(err, `byte ${i}`).toBeInstanceOf(PaymentTokenError);
        codes.add((err as PaymentTokenError).code);
      }
    }
    expect(codes.size).toBeGreaterThan(2);
  });

  it('decrypts EC_v1 with every optional field, and RSA_v1', async () => {
    const ec = await decrypt(
      mint({
        pan: '4400430000000019',
        expiry: '280531',
        cryptogram: 'AgAAAAAABk4DWZ4C28yUQAAAAAA=',
        eci: '07',
        cardholderName: 'Arman Ali',
        applicationData: 'order-1',
      }),
    );
    expect(ec).toEqual({
      applicationPrimaryAccountNumber: '4400430000000019',
      applicationExpirationDate: '280531',
      currencyCode: '398',
      transactionAmount: 150_000,
      cardholderName: 'Arman Ali',
      deviceManufacturerIdentifier: '040010030273',
      paymentDataType: '3DSecure',
      paymentData: { onlinePaymentCryptogram: 'AgAAAAAABk4DWZ4C28yUQAAAAAA=', eciIndicator: '07' },
    });
    const rsa = await decrypt(mint({ version: 'RSA_v1', amountMinor: 99, currencyCode: '840' }));
    expect(rsa).toMatchObject({ transactionAmount: 99, currencyCode: '840', paymentDataType: '3DSecure' });
  });

  it('picks the processing pair by publicKeyHash among several (rotation)', async () => {
    const decryptor = createPaymentTokenDecryptor({
      pairs: [other.processing, apple.processingRsa, galaPair, apple.processing],
      rootCaPem: apple.rootCaPem,
    });
    await expect(decryptor.decrypt(mint({ amountMinor: 1 }))).resolves.toMatchObject({ transactionAmount: 1 });
    await expect(decryptor.decrypt(mint({ version: 'RSA_v1', amountMinor: 2 }))).resolves.toMatchObject({
      transactionAmount: 2,
    });
  });

  it('refuses a token encrypted for another merchant', async () => {
    expect(await codeOf(decrypt(mint({ processing: other.processing })))).toBe('unknown_public_key_hash');
  });

  it('refuses a forged token: signed under a root that is not the configured one', async () => {
    expect(await codeOf(decrypt(other.mintToken({ amountMinor: 1, processing: apple.processing }).paymentData))).toBe(
      'intermediate_not_issued_by_root',
    );
    expect(await codeOf(decrypt(mint({ faults: { signer: 'strangerChain' } })))).toBe(
      'intermediate_not_issued_by_root',
    );
  });

  it.each<[string, MintTokenInput['faults'], PaymentTokenErrorCode]>([
    ['the leaf is missing', { omitCertificates: ['leaf'] }, 'signer_certificate_missing'],
    ['the intermediate is missing', { omitCertificates: ['intermediate'] }, 'intermediate_certificate_missing'],
    ["the leaf lacks Apple's OID", { signer: 'leafWithoutOid' }, 'leaf_oid_missing'],
    ["the intermediate lacks Apple's OID", { signer: 'intermediateWithoutOid' }, 'intermediate_oid_missing'],
    ['a stranger signed the leaf', { signer: 'leafFromStranger' }, 'leaf_not_issued_by_intermediate'],
    ['the intermediate is not a CA', { signer: 'intermediateNotCa' }, 'chain_constraints_invalid'],
    ['signingTime is absent', { omitSigningTime: true }, 'signing_time_missing'],
    ['the digest algorithm is not SHA-256', { declareSha384: true }, 'signature_algorithm_unsupported'],
    ['the signature value is wrong', { corruptSignature: true }, 'signature_invalid'],
    ['the ciphertext was altered before signing', { corruptCiphertext: true }, 'decryption_failed'],
    ['the payload is not JSON', { plaintext: 'not json' }, 'payload_invalid'],
    ['encapContentInfo names another content type', { eContentType: '1.2.840.113549.1.7.5' }, 'signature_malformed'],
    ['the signature is not detached', { attachContent: true }, 'signature_malformed'],
    ['digestAlgorithms leaves out SHA-256', { digestAlgorithms: ['2.16.840.1.101.3.4.2.2'] }, 'signature_malformed'],
  ])('refuses a token where %s', async (_why, faults, code) => {
    expect(await codeOf(decrypt(mint({ faults })))).toBe(code);
  });

  it('refuses a wrong ephemeral key, a wrapped key that does not unwrap, and a key of the wrong kind', async () => {
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' })
      .publicKey.export({ type: 'spki', format: 'der' })
      .toString('base64');
    expect(await codeOf(decrypt(mint({ faults: { ephemeralPublicKey: p384 } })))).toBe('ephemeral_key_invalid');
    expect(
      await codeOf(decrypt(mint({ version: 'RSA_v1', faults: { wrappedKey: randomBytes(256).toString('base64') } }))),
    ).toBe('key_unwrap_failed');
    const ecHash = createHash('sha256')
      .update(new X509Certificate(apple.processing.certPem).publicKey.export({ type: 'spki', format: 'der' }))
      .digest('base64');
    expect(await codeOf(decrypt(mint({ version: 'RSA_v1', faults: { publicKeyHash: ecHash } })))).toBe(
      'key_version_mismatch',
    );
  });

  it('checks signingTime against the certificates and the clock', async () => {
    const longAgo = new Date(Date.now() - 3 * DAY);
    expect(await codeOf(decrypt(mint({ signingTime: longAgo }), new Date(longAgo.getTime() + SECOND)))).toBe(
      'certificate_not_valid_at_signing_time',
    );
    const signed = new Date();
    expect(await codeOf(decrypt(mint({ signingTime: signed }), new Date(signed.getTime() + 301 * SECOND)))).toBe(
      'signing_time_too_old',
    );
    await expect(
      decrypt(mint({ signingTime: signed }), new Date(signed.getTime() + 299 * SECOND)),
    ).resolves.toBeTruthy();
    expect(await codeOf(decrypt(mint({ signingTime: new Date(Date.now() + 5 * 60 * SECOND) })))).toBe(
      'signing_time_in_future',
    );
  });

  describe('payment data ePay cannot charge', () => {
    const card = {
      applicationPrimaryAccountNumber: '6250947000000014',
      applicationExpirationDate: '331231',
      currencyCode: '398',
      transactionAmount: 150_000,
      deviceManufacturerIdentifier: '040010030273',
    };
    // What Apple documents for an EMV payload (China UnionPay, older American Express): EMV tags, no cryptogram.
    const emv = JSON.stringify({
      ...card,
      paymentDataType: 'EMV',
      paymentData: {
        emvData: Buffer.from('9f2608a1b2c3d4e5f607089f2701809f360200019f100706011203a00000', 'hex').toString('base64'),
        encryptedPINData: '0bb4b6f2c8c9d1e2',
      },
    });

    it.each(['EC_v1', 'RSA_v1'] as const)(
      'refuses a genuine %s token whose payload is EMV, naming EMV, never the PAN',
      async (version) => {
        const refusal = decrypt(mint({ version, faults: { plaintext: emv } }));
        expect(await codeOf(refusal, [card.applicationPrimaryAccountNumber])).toBe('unsupported_payment_data_type');
        await expect(refusal).rejects.toMatchObject({
          message: 'EMV payment data is not supported by ePay; only 3DSecure.',
          expired: false,
        });
      },
    );

    it.each<[string, Record<string, unknown> | undefined]>([
      ['no paymentData', undefined],
      ['no onlinePaymentCryptogram', { eciIndicator: '07' }],
      ['an empty onlinePaymentCryptogram', { onlinePaymentCryptogram: '', eciIndicator: '07' }],
      ['a blank onlinePaymentCryptogram', { onlinePaymentCryptogram: '   ' }],
      ['only emvData', { emvData: 'nyYIobLD1OX2Bwg=' }],
    ])('refuses a 3DSecure payload with %s', async (_why, paymentData) => {
      const plaintext = JSON.stringify({
        ...card,
        paymentDataType: '3DSecure',
        ...(paymentData ? { paymentData } : {}),
      });
      const refusal = decrypt(mint({ faults: { plaintext } }));
      expect(await codeOf(refusal, [card.applicationPrimaryAccountNumber])).toBe('payload_invalid');
      await expect(refusal).rejects.toThrow(paymentData ? 'no valid onlinePaymentCryptogram' : 'no valid paymentData');
    });

    it('refuses a paymentDataType Apple does not document', async () => {
      const plaintext = JSON.stringify({
        ...card,
        paymentDataType: '3DS',
        paymentData: { onlinePaymentCryptogram: 'AgAAAAAABk4DWZ4C28yUQAAAAAA=' },
      });
      expect(await codeOf(decrypt(mint({ faults: { plaintext } })))).toBe('payload_invalid');
    });
  });

  it('keeps the PAN and the cryptogram out of error messages', async () => {
    const pan = '4400430000000019';
    const cryptogram = 'AgAAAAAABk4DWZ4C28yUQAAAAAA=';
    const plaintext = JSON.stringify({ applicationPrimaryAccountNumber: pan, onlinePaymentCryptogram: cryptogram });
    expect(await codeOf(decrypt(mint({ faults: { plaintext } })), [pan, cryptogram])).toBe('payload_invalid');
  });

  it('names malformed input, never a TypeError', async () => {
    const good = mint();
    const cases: Array<[unknown, PaymentTokenErrorCode]> = [
      [null, 'malformed_token'],
      ['{"version":"EC_v1"}', 'malformed_token'],
      [[good], 'malformed_token'],
      [{ ...good, version: 'EC_v2' }, 'unsupported_version'],
      [{ ...good, header: undefined }, 'malformed_token'],
      [{ ...good, data: undefined }, 'malformed_token'],
      [{ ...good, data: 'not base64!' }, 'malformed_token'],
      [{ ...good, data: Buffer.alloc(16).toString('base64') }, 'malformed_token'],
      [{ ...good, signature: 12 }, 'malformed_token'],
      [{ ...good, header: { ...good.header, ephemeralPublicKey: undefined } }, 'malformed_token'],
      [{ ...good, header: { ...good.header, transactionId: 'xyz' } }, 'malformed_token'],
      [{ ...good, header: { ...good.header, publicKeyHash: 'AAAA' } }, 'malformed_token'],
      [{ ...good, signature: randomBytes(300).toString('base64') }, 'signature_malformed'],
      [{ ...good, signature: new X509Certificate(apple.leafPem).raw.toString('base64') }, 'signature_malformed'],
      [
        { ...good, signature: Buffer.from(good.signature, 'base64').subarray(0, 500).toString('base64') },
        'signature_malformed',
      ],
    ];
    for (const [input, code] of cases) expect(await codeOf(decrypt(input))).toBe(code);
  });

  it('verifies a definite-length encoding of the same signature as well', async () => {
    const token = mint();
    const signedData = new pkijs.SignedData({
      schema: pkijs.ContentInfo.fromBER(Buffer.from(token.signature, 'base64')).content,
    });
    const reencoded = new pkijs.ContentInfo({ contentType: '1.2.840.113549.1.7.2', content: signedData.toSchema(true) })
      .toSchema()
      .toBER();
    expect(Buffer.from(reencoded)[1]).not.toBe(0x80);
    await expect(decrypt({ ...token, signature: Buffer.from(reencoded).toString('base64') })).resolves.toBeTruthy();
  });

  it('refuses a known certificate prefix followed by a broken signer', async () => {
    const token = mint();
    await decrypt(token);
    const der = Buffer.from(token.signature, 'base64');
    // Twenty bytes cut from the end of the SignerInfo: its SET now claims more bytes than there are.
    const broken = Buffer.concat([der.subarray(0, der.length - 6 - 20), der.subarray(der.length - 6)]);
    expect(await codeOf(decrypt({ ...token, signature: broken.toString('base64') }))).toBe('signature_malformed');
  });

  it('verifies the chain signatures once per leaf, the validity period every time', async () => {
    const verifier = createTokenSignatureVerifier(apple.rootCaPem);
    const spy = vi.spyOn(X509Certificate.prototype, 'verify');
    try {
      verifier.verify(decodePaymentData(mint()), new Date(), 300_000);
      expect(spy).toHaveBeenCalledTimes(2);
      spy.mockClear();
      verifier.verify(decodePaymentData(mint()), new Date(), 300_000);
      expect(spy).not.toHaveBeenCalled();
      const longAgo = new Date(Date.now() - 3 * DAY);
      expect(() =>
        verifier.verify(
          decodePaymentData(mint({ signingTime: longAgo })),
          new Date(longAgo.getTime() + SECOND),
          300_000,
        ),
      ).toThrow(expect.objectContaining({ code: 'certificate_not_valid_at_signing_time' }));
    } finally {
      spy.mockRestore();
    }
  });

  it('refuses unusable settings when the decryptor is built', () => {
    const codeOfSync = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        expect(e).toBeInstanceOf(PaymentTokenError);
        seenCodes.add((e as PaymentTokenError).code);
        return (e as PaymentTokenError).code;
      }
      return 'built';
    };
    expect(codeOfSync(() => createPaymentTokenDecryptor({ pairs: [] }))).toBe('processing_pair_invalid');
    expect(
      codeOfSync(() =>
        createPaymentTokenDecryptor({
          pairs: [{ certPem: apple.processing.certPem, keyPem: other.processing.keyPem }],
        }),
      ),
    ).toBe('processing_pair_invalid');
    expect(codeOfSync(() => createPaymentTokenDecryptor({ pairs: [{ certPem: 'x', keyPem: 'y' }] }))).toBe(
      'processing_pair_invalid',
    );
    expect(codeOfSync(() => createPaymentTokenDecryptor({ pairs: [apple.processing], rootCaPem: 'not a pem' }))).toBe(
      'root_ca_invalid',
    );
  });

  it('has seen every error code thrown by a test above', () => {
    // Keeps this file honest when a code is added: each one must actually be produced by some test.
    expect(PAYMENT_TOKEN_ERROR_CODES.filter((code) => !seenCodes.has(code))).toEqual([]);
  });
});

import 'reflect-metadata';
import {
  constants,
  createDecipheriv,
  createHash,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  privateDecrypt,
  X509Certificate,
  webcrypto,
} from 'node:crypto';
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  APPLE_INTERMEDIATE_OID,
  APPLE_LEAF_OID,
  createFakeApple,
  MERCHANT_ID_OID,
  type ApplePayPaymentData,
  type FakeApple,
  type FakeAppleGateway,
} from './index.js';

let apple: FakeApple;
beforeAll(async () => {
  apple = await createFakeApple({ merchantId: 'merchant.kz.test-shop' });
});

function signedBytes(pd: ApplePayPaymentData): Buffer {
  const key = pd.header.ephemeralPublicKey ?? pd.header.wrappedKey ?? '';
  return Buffer.concat([
    Buffer.from(key, 'base64'),
    Buffer.from(pd.data, 'base64'),
    Buffer.from(pd.header.transactionId, 'hex'),
    ...(pd.header.applicationData ? [Buffer.from(pd.header.applicationData, 'hex')] : []),
  ]);
}

/** AES-GCM open with a zero IV, written here again so the test does not trust the minter's own code. */
function open(data: Buffer, key: Buffer): unknown {
  const d = createDecipheriv(key.length === 32 ? 'aes-256-gcm' : 'aes-128-gcm', key, Buffer.alloc(16));
  d.setAuthTag(data.subarray(-16));
  return JSON.parse(Buffer.concat([d.update(data.subarray(0, -16)), d.final()]).toString());
}

describe('certificates', () => {
  it("carry Apple's marker OIDs and the merchant identifier hash", () => {
    const ext = (pem: string, oid: string) => new x509.X509Certificate(pem).getExtension(oid);
    expect(ext(apple.leafPem, APPLE_LEAF_OID)).toBeTruthy();
    expect(ext(apple.intermediatePem, APPLE_INTERMEDIATE_OID)).toBeTruthy();
    const merchant = ext(apple.processing.certPem, MERCHANT_ID_OID)!;
    const hex = (asn1js.fromBER(merchant.value).result as asn1js.IA5String).getValue();
    expect(hex.toLowerCase()).toBe(createHash('sha256').update('merchant.kz.test-shop').digest('hex'));
    const root = new X509Certificate(apple.rootCaPem);
    expect(new X509Certificate(apple.intermediatePem).verify(root.publicKey)).toBe(true);
    expect(new X509Certificate(apple.leafPem).verify(new X509Certificate(apple.intermediatePem).publicKey)).toBe(true);
    expect(new X509Certificate(apple.identity.certPem).verify(root.publicKey)).toBe(true);
    expect(createPrivateKey(apple.processingRsa.keyPem).asymmetricKeyDetails?.modulusLength).toBe(2048);
  });

  it('writes the files the proxy reads, keys readable by the owner only', async () => {
    const files = await apple.writeFiles(await mkdtemp(join(tmpdir(), 'fake-apple-')));
    expect(await readFile(files.rootCa, 'utf8')).toBe(apple.rootCaPem);
    expect(await readFile(files.processingKey, 'utf8')).toBe(apple.processing.keyPem);
    for (const key of [files.processingKey, files.processingRsaKey, files.identityKey]) {
      expect((await stat(key)).mode & 0o777).toBe(0o600);
    }
    expect(await readFile(files.tlsCa, 'utf8')).toBe(apple.tlsCaPem);
  });
});

describe('mintToken', () => {
  it('signs like Apple: a detached CMS that an independent verifier accepts, chained to the root', async () => {
    const signingTime = new Date(Math.floor(Date.now() / 1000) * 1000);
    const pd = apple.mintToken({ amountMinor: 1500, signingTime, applicationData: 'order-42' }).paymentData;
    expect(pd.header.applicationData).toBe(createHash('sha256').update('order-42').digest('hex'));
    const cms = pkijs.ContentInfo.fromBER(Buffer.from(pd.signature, 'base64'));
    const signedData = new pkijs.SignedData({ schema: cms.content });
    expect(signedData.certificates).toHaveLength(2);
    const attrs = signedData.signerInfos[0]!.signedAttrs!.attributes.map((a) => a.type);
    expect(attrs).toEqual(['1.2.840.113549.1.9.3', '1.2.840.113549.1.9.5', '1.2.840.113549.1.9.4']);
    const crypto = new pkijs.CryptoEngine({
      crypto: webcrypto as unknown as pkijs.CryptoEngineParameters['crypto'],
      name: 'node',
    });
    const verified = await signedData.verify(
      {
        signer: 0,
        data: new Uint8Array(signedBytes(pd)).buffer,
        trustedCerts: [pkijs.Certificate.fromBER(new X509Certificate(apple.rootCaPem).raw)],
        checkDate: signingTime,
        checkChain: true,
      },
      crypto,
    );
    expect(verified).toBe(true);
    // Apple's outer layers use indefinite lengths.
    expect(Buffer.from(pd.signature, 'base64').subarray(0, 2).toString('hex')).toBe('3080');
  });

  it("encrypts EC_v1 to the processing key with Apple's KDF", () => {
    const pd = apple.mintToken({
      amountMinor: 150_000,
      pan: '4400430000000019',
      expiry: '280531',
      cryptogram: 'Q1JZUFRPR1JBTQ==',
      eci: '07',
    }).paymentData;
    const shared = diffieHellman({
      privateKey: createPrivateKey(apple.processing.keyPem),
      publicKey: createPublicKey({
        key: Buffer.from(pd.header.ephemeralPublicKey!, 'base64'),
        format: 'der',
        type: 'spki',
      }),
    });
    const partyV = createHash('sha256').update('merchant.kz.test-shop').digest();
    const key = createHash('sha256')
      .update(
        Buffer.concat([
          Buffer.from('00000001', 'hex'),
          shared,
          Buffer.from('0d', 'hex'),
          Buffer.from('id-aes256-GCMApple'),
          partyV,
        ]),
      )
      .digest();
    expect(open(Buffer.from(pd.data, 'base64'), key)).toEqual({
      applicationPrimaryAccountNumber: '4400430000000019',
      applicationExpirationDate: '280531',
      currencyCode: '398',
      transactionAmount: 150_000,
      deviceManufacturerIdentifier: '040010030273',
      paymentDataType: '3DSecure',
      paymentData: { onlinePaymentCryptogram: 'Q1JZUFRPR1JBTQ==', eciIndicator: '07' },
    });
    const spki = new X509Certificate(apple.processing.certPem).publicKey.export({ type: 'spki', format: 'der' });
    expect(pd.header.publicKeyHash).toBe(createHash('sha256').update(spki).digest('base64'));
  });

  it('wraps the RSA_v1 key with RSA-OAEP SHA-256 and encrypts with AES-128-GCM', () => {
    const token = apple.mintToken({ version: 'RSA_v1', amountMinor: 7, currencyCode: '840' });
    const key = privateDecrypt(
      {
        key: createPrivateKey(apple.processingRsa.keyPem),
        padding: constants.RSA_PKCS1_OAEP_PADDING,
        oaepHash: 'sha256',
      },
      Buffer.from(token.paymentData.header.wrappedKey!, 'base64'),
    );
    expect(key).toHaveLength(16);
    expect(open(Buffer.from(token.paymentData.data, 'base64'), key)).toMatchObject({
      transactionAmount: 7,
      currencyCode: '840',
    });
    expect(token.transactionIdentifier).toBe(token.paymentData.header.transactionId.toUpperCase());
    expect(token.paymentMethod).toEqual({ displayName: 'Visa 0700', network: 'Visa', type: 'debit' });
  });

  it('refuses an amount that is not whole minor units', () => {
    expect(() => apple.mintToken({ amountMinor: 1.5 })).toThrow(TypeError);
  });
});

describe('the gateway', () => {
  let gateway: FakeAppleGateway;
  let agent: Agent;
  const post = async (body: unknown, path = '/paymentservices/paymentSession') => {
    const res = await request(gateway.url + path, {
      method: 'POST',
      dispatcher: agent,
      headers: { 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: res.statusCode, json: (await res.body.json()) as Record<string, unknown> };
  };
  const good = {
    merchantIdentifier: 'merchant.kz.test-shop',
    displayName: 'Test Shop',
    initiative: 'web',
    initiativeContext: 'shop.example.kz',
  };

  beforeAll(async () => {
    gateway = await apple.startGateway();
    agent = new Agent({ connect: { cert: apple.identity.certPem, key: apple.identity.keyPem, ca: apple.tlsCaPem } });
  });
  afterAll(async () => {
    await agent.close();
    await gateway.close();
  });

  it('answers an Apple-like merchant session to the Merchant Identity certificate', async () => {
    expect(gateway.host).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(gateway.validationUrl).toBe(`https://${gateway.host}/paymentservices/paymentSession`);
    const { status, json } = await post(good);
    expect(status).toBe(200);
    const hash = createHash('sha256').update('merchant.kz.test-shop').digest('hex').toUpperCase();
    expect(json).toMatchObject({
      merchantIdentifier: hash,
      domainName: 'shop.example.kz',
      displayName: 'Test Shop',
      retries: 0,
      pspId: hash,
    });
    expect(json.expiresAt as number).toBeGreaterThan(json.epochTimestamp as number);
    expect(gateway.sessions.at(-1)).toMatchObject({
      merchantIdentifier: 'merchant.kz.test-shop',
      initiativeContext: 'shop.example.kz',
    });
    expect((await post(good, '/paymentservices/startSession')).status).toBe(200);
  });

  it.each([
    ['not JSON', '{'],
    ['another initiative', { ...good, initiative: 'messaging' }],
    ['no domain', { ...good, initiativeContext: 'https://shop.example.kz/' }],
    ['no display name', { ...good, displayName: '' }],
    ["another merchant than the certificate's", { ...good, merchantIdentifier: 'merchant.kz.other' }],
  ])('answers 400 to a body with %s', async (_why, body) => {
    const before = gateway.sessions.length;
    const { status, json } = await post(body);
    expect(status).toBe(400);
    expect(json.statusCode).toBe('400');
    expect(gateway.sessions.length).toBe(before);
  });

  it('refuses a TLS connection without a client certificate', async () => {
    const outcome = await new Promise<string>((resolve) => {
      const req = httpsRequest(gateway.validationUrl, { method: 'POST', ca: apple.tlsCaPem }, (res) =>
        resolve(String(res.statusCode)),
      );
      req.on('error', () => resolve('refused'));
      req.end(JSON.stringify(good));
    });
    expect(outcome).toBe('refused');
  });
});

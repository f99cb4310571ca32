/** @module Generates the fake Apple's certificates and keys: a test root in Apple's place and every certificate under it. */
// @peculiar/x509 resolves its algorithms through tsyringe, which needs the Reflect metadata API first.
import 'reflect-metadata';
import { createHash, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import * as asn1js from 'asn1js';

/** Apple's marker on the leaf that signs payment tokens. */
export const APPLE_LEAF_OID = '1.2.840.113635.100.6.29';
/** Apple's marker on the intermediate (Apple Application Integration CA - G3). */
export const APPLE_INTERMEDIATE_OID = '1.2.840.113635.100.6.2.14';
/** Merchant identifier extension: an IA5String with the hex SHA-256 of the merchant ID. */
export const MERCHANT_ID_OID = '1.2.840.113635.100.6.32';
const UID_OID = '0.9.2342.19200300.100.1.1';

/** Certificates live long enough for any test run, and began a day ago so clock skew never bites. */
const VALIDITY_BACKDATE_MS = 24 * 3600_000;
const VALIDITY_MS = 2 * 365 * 24 * 3600_000;
/** Apple's Payment Processing RSA keys (RSA_v1) are 2048 bits. */
const RSA_MODULUS_BITS = 2048;

// The project compiles without the DOM library: WebCrypto's types come from Node's.
type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
type EcKeyGenParams = webcrypto.EcKeyGenParams;
type RsaHashedKeyGenParams = webcrypto.RsaHashedKeyGenParams;
type KeyUsage = webcrypto.KeyUsage;
type EcdsaParams = webcrypto.EcdsaParams;
const crypto = webcrypto;
const DER_NULL = new Uint8Array([0x05, 0x00]);
const ECDSA_P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const ECDSA_P384 = { name: 'ECDSA', namedCurve: 'P-384' } as const;
const SHA256_ECDSA = { name: 'ECDSA', hash: 'SHA-256' } as const;
const SHA384_ECDSA = { name: 'ECDSA', hash: 'SHA-384' } as const;

/** A certificate with its private key, both PEM, and the CryptoKey for signing further certificates. */
export interface Issued {
  certPem: string;
  keyPem: string;
  cert: x509.X509Certificate;
  privateKey: CryptoKey;
}

/** Everything the fake Apple generates once. */
export interface FakeAppleCertificates {
  root: Issued;
  intermediate: Issued;
  leaf: Issued;
  processing: Issued;
  processingRsa: Issued;
  identity: Issued;
  tlsCa: Issued;
  tlsServer: Issued;
  /** Alternative signers for testing verifiers: each breaks exactly one rule of Apple's chain. */
  faulty: Record<FaultySigner, TokenSigner>;
}

/** A token signing certificate and the intermediate that (claims to have) issued it. */
export interface TokenSigner {
  leaf: Issued;
  intermediate: Issued;
}

/**
 * `leafWithoutOid`: the leaf lacks 1.2.840.113635.100.6.29. `intermediateWithoutOid`: the intermediate lacks
 * 1.2.840.113635.100.6.2.14. `leafFromStranger`: the leaf names the real intermediate as issuer but was signed
 * by another key. `strangerChain`: a complete chain under another root of the same name (a forgery).
 * `intermediateNotCa`: the intermediate carries Apple's OID and the root signed it, but it is not a CA (basicConstraints).
 */
export type FaultySigner =
  | 'leafWithoutOid'
  | 'intermediateWithoutOid'
  | 'intermediateNotCa'
  | 'leafFromStranger'
  | 'strangerChain';

function pem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

async function keyPair(algorithm: EcKeyGenParams | RsaHashedKeyGenParams): Promise<CryptoKeyPair> {
  const usages: KeyUsage[] = algorithm.name === 'RSA-OAEP' ? ['encrypt', 'decrypt'] : ['sign', 'verify'];
  return (await crypto.subtle.generateKey(algorithm, true, usages)) as CryptoKeyPair;
}

async function keyPem(key: CryptoKey): Promise<string> {
  return pem('PRIVATE KEY', await crypto.subtle.exportKey('pkcs8', key));
}

function validity(): { notBefore: Date; notAfter: Date } {
  const now = Date.now();
  return { notBefore: new Date(now - VALIDITY_BACKDATE_MS), notAfter: new Date(now + VALIDITY_MS) };
}

async function ca(name: string, keys: CryptoKeyPair, signingAlgorithm: EcdsaParams): Promise<Issued> {
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      name,
      keys,
      signingAlgorithm,
      ...validity(),
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
      ],
    },
    crypto,
  );
  return { cert, certPem: cert.toString('pem'), keyPem: await keyPem(keys.privateKey), privateKey: keys.privateKey };
}

interface IssueParams {
  subject: string | x509.JsonName;
  keys: CryptoKeyPair;
  issuer: { cert: x509.X509Certificate; privateKey: CryptoKey };
  signingAlgorithm: EcdsaParams;
  extensions: x509.Extension[];
}

async function issue(p: IssueParams): Promise<Issued> {
  const cert = await x509.X509CertificateGenerator.create(
    {
      subject: p.subject,
      issuer: p.issuer.cert.subjectName,
      publicKey: p.keys.publicKey,
      signingKey: p.issuer.privateKey,
      signingAlgorithm: p.signingAlgorithm,
      ...validity(),
      extensions: [
        ...p.extensions,
        await x509.AuthorityKeyIdentifierExtension.create(p.issuer.cert, false, crypto),
        await x509.SubjectKeyIdentifierExtension.create(p.keys.publicKey, false, crypto),
      ],
    },
    crypto,
  );
  return {
    cert,
    certPem: cert.toString('pem'),
    keyPem: await keyPem(p.keys.privateKey),
    privateKey: p.keys.privateKey,
  };
}

/** The merchant identifier extension as Apple writes it: IA5String of the upper-case hex SHA-256. */
export function merchantIdExtension(merchantId: string): x509.Extension {
  const hex = createHash('sha256').update(merchantId, 'utf8').digest('hex').toUpperCase();
  return new x509.Extension(MERCHANT_ID_OID, false, new asn1js.IA5String({ value: hex }).toBER());
}

function merchantName(merchantId: string, cn: string): x509.JsonName {
  return [
    { [UID_OID]: [merchantId] },
    { CN: [cn] },
    { OU: ['EPAYSANDBOX'] },
    { O: ['epay-applepay sandbox'] },
    { C: ['KZ'] },
  ];
}

const ROOT_NAME = 'CN=Apple Root CA - G3 (sandbox), OU=Apple Certification Authority, O=Apple Inc. (fake), C=US';
const INTERMEDIATE_NAME =
  'CN=Apple Application Integration CA - G3 (sandbox), OU=Apple Certification Authority, O=Apple Inc. (fake), C=US';
const LEAF_NAME = 'CN=ecc-smp-broker-sign_UC4-SANDBOX, OU=iOS Systems, O=Apple Inc. (fake), C=US';

/**
 * Generates the whole hierarchy: EC keys everywhere (fast) except the one RSA-2048 processing key.
 *
 * @example
 * const certs = await generateFakeAppleCertificates('merchant.kz.epay-applepay.sandbox');
 */
export async function generateFakeAppleCertificates(merchantId: string): Promise<FakeAppleCertificates> {
  const leafOid = new x509.Extension(APPLE_LEAF_OID, false, DER_NULL);
  const intermediateOid = new x509.Extension(APPLE_INTERMEDIATE_OID, false, DER_NULL);
  const caExtensions = (marked: boolean): x509.Extension[] => [
    new x509.BasicConstraintsExtension(true, 0, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ...(marked ? [intermediateOid] : []),
  ];
  const leafExtensions = (marked: boolean): x509.Extension[] => [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    ...(marked ? [leafOid] : []),
  ];

  const [rootKeys, strangerRootKeys, rsaKeys, tlsCaKeys, ...ecKeys] = await Promise.all([
    keyPair(ECDSA_P384),
    keyPair(ECDSA_P384),
    keyPair({
      name: 'RSA-OAEP',
      modulusLength: RSA_MODULUS_BITS,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: 'SHA-256',
    }),
    keyPair(ECDSA_P256),
    ...Array.from({ length: 10 }, () => keyPair(ECDSA_P256)),
  ]);
  const ec = (i: number): CryptoKeyPair => ecKeys[i]!;

  const root = await ca(ROOT_NAME, rootKeys, SHA384_ECDSA);
  const strangerRoot = await ca(ROOT_NAME, strangerRootKeys, SHA384_ECDSA);
  const intermediate = await issue({
    subject: INTERMEDIATE_NAME,
    keys: ec(0),
    issuer: root,
    signingAlgorithm: SHA384_ECDSA,
    extensions: caExtensions(true),
  });
  const leaf = await issue({
    subject: LEAF_NAME,
    keys: ec(1),
    issuer: intermediate,
    signingAlgorithm: SHA256_ECDSA,
    extensions: leafExtensions(true),
  });
  const processingExtensions = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyAgreement | x509.KeyUsageFlags.keyEncipherment, true),
    merchantIdExtension(merchantId),
  ];
  const processing = await issue({
    subject: merchantName(merchantId, `Apple Pay Payment Processing:${merchantId}`),
    keys: ec(2),
    issuer: root,
    signingAlgorithm: SHA384_ECDSA,
    extensions: processingExtensions,
  });
  const processingRsa = await issue({
    subject: merchantName(merchantId, `Apple Pay Payment Processing RSA:${merchantId}`),
    keys: rsaKeys,
    issuer: root,
    signingAlgorithm: SHA384_ECDSA,
    extensions: processingExtensions,
  });
  const identity = await issue({
    subject: merchantName(merchantId, `Merchant ID: ${merchantId}`),
    keys: ec(3),
    issuer: root,
    signingAlgorithm: SHA384_ECDSA,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
      merchantIdExtension(merchantId),
    ],
  });
  const tlsCa = await ca('CN=epay-applepay sandbox TLS CA, O=epay-applepay sandbox', tlsCaKeys, SHA256_ECDSA);
  const tlsServer = await issue({
    subject: 'CN=localhost, O=epay-applepay sandbox',
    keys: ec(4),
    issuer: tlsCa,
    signingAlgorithm: SHA256_ECDSA,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        { type: 'ip', value: '127.0.0.1' },
        { type: 'dns', value: 'localhost' },
      ]),
    ],
  });

  const intermediateWithoutOid = await issue({
    subject: INTERMEDIATE_NAME,
    keys: ec(5),
    issuer: root,
    signingAlgorithm: SHA384_ECDSA,
    extensions: caExtensions(false),
  });
  const intermediateNotCa = await issue({
    subject: INTERMEDIATE_NAME,
    keys: ec(5),
    issuer: root,
    signingAlgorithm: SHA384_ECDSA,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      intermediateOid,
    ],
  });
  const strangerIntermediate = await issue({
    subject: INTERMEDIATE_NAME,
    keys: ec(6),
    issuer: strangerRoot,
    signingAlgorithm: SHA384_ECDSA,
    extensions: caExtensions(true),
  });
  const leafUnder = (issuer: Issued, keys: CryptoKeyPair, marked = true): Promise<Issued> =>
    issue({ subject: LEAF_NAME, keys, issuer, signingAlgorithm: SHA256_ECDSA, extensions: leafExtensions(marked) });
  return {
    root,
    intermediate,
    leaf,
    processing,
    processingRsa,
    identity,
    tlsCa,
    tlsServer,
    faulty: {
      leafWithoutOid: { leaf: await leafUnder(intermediate, ec(7), false), intermediate },
      intermediateWithoutOid: {
        leaf: await leafUnder(intermediateWithoutOid, ec(8)),
        intermediate: intermediateWithoutOid,
      },
      intermediateNotCa: { leaf: await leafUnder(intermediateNotCa, ec(8)), intermediate: intermediateNotCa },
      // The certificate names the real intermediate as its issuer, but a stranger's key signed it.
      leafFromStranger: {
        leaf: await leafUnder({ ...intermediate, privateKey: ec(9).privateKey }, ec(7)),
        intermediate,
      },
      strangerChain: { leaf: await leafUnder(strangerIntermediate, ec(1)), intermediate: strangerIntermediate },
    },
  };
}

/** @module Mints Apple Pay payment tokens exactly as Apple does: payload JSON, EC_v1/RSA_v1 encryption, detached CMS signature. */
import {
  constants,
  createCipheriv,
  createHash,
  createPrivateKey,
  diffieHellman,
  generateKeyPairSync,
  publicEncrypt,
  randomBytes,
  sign,
  X509Certificate,
  type KeyObject,
} from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { MERCHANT_ID_OID, type FaultySigner } from './certificates.js';

/** The `paymentData` of a token, shaped as Apple sends it. */
export interface ApplePayPaymentData {
  version: 'EC_v1' | 'RSA_v1';
  data: string;
  signature: string;
  header: {
    ephemeralPublicKey?: string;
    wrappedKey?: string;
    publicKeyHash: string;
    transactionId: string;
    applicationData?: string;
  };
}

/** An `ApplePayPaymentToken` as `onpaymentauthorized` hands it to the page. */
export interface ApplePayToken {
  paymentData: ApplePayPaymentData;
  paymentMethod: { displayName: string; network: string; type: string };
  transactionIdentifier: string;
}

/**
 * Deliberate faults, for testing a verifier: each breaks one rule while everything else stays valid
 * (the signature is computed over the faulty fields, so only the intended check can fail).
 */
export interface MintFaults {
  /** Sign with a certificate chain that breaks one rule (see {@link FaultySigner}). */
  signer?: FaultySigner;
  /** Leave these certificates out of the signature. */
  omitCertificates?: Array<'leaf' | 'intermediate'>;
  omitSigningTime?: boolean;
  /** Declare SHA-384 as the signer's digest algorithm (the digest itself stays SHA-256). */
  declareSha384?: boolean;
  /** Flip a bit of the ECDSA signature value. */
  corruptSignature?: boolean;
  /** Flip a bit of the ciphertext before signing: the signature holds, GCM authentication fails. */
  corruptCiphertext?: boolean;
  /** Put this in the header instead of the processing certificate's hash. */
  publicKeyHash?: string;
  /** Put this (base64 SPKI) in the header instead of the real ephemeral key. */
  ephemeralPublicKey?: string;
  /** Put this (base64) in the header instead of the real wrapped key. */
  wrappedKey?: string;
  /** Encrypt this text instead of the payload JSON. */
  plaintext?: string;
  /** Name this content type in encapContentInfo instead of id-data (the signed attribute still says id-data). */
  eContentType?: string;
  /** Attach the signed content (eContent) instead of leaving the signature detached. */
  attachContent?: boolean;
  /** List these digest algorithms in SignedData instead of SHA-256. */
  digestAlgorithms?: string[];
}

/** What to put in a token; only the amount is required. */
export interface MintTokenInput {
  version?: 'EC_v1' | 'RSA_v1';
  /** Device PAN; default a Visa test number. */
  pan?: string;
  /** YYMMDD; default the end of the month three years ahead. */
  expiry?: string;
  /** In minor units (tiyn for KZT). */
  amountMinor: number;
  /** ISO 4217 numeric; default '398' (KZT). */
  currencyCode?: string;
  /** Base64 online payment cryptogram; default 20 random bytes. */
  cryptogram?: string;
  eci?: string;
  cardholderName?: string;
  /** Default now. */
  signingTime?: Date;
  /** 64 hex characters; default random. */
  transactionId?: string;
  /** The payment request's `applicationData`; the header then carries its SHA-256 in hex, as Apple's does. */
  applicationData?: string;
  /** Encrypt for this processing pair instead of the merchant's (a token for another merchant). */
  processing?: { certPem: string; keyPem: string };
  /** Default 'Visa'. */
  network?: string;
  /** Default `${network} ${last four of the PAN}`. */
  displayName?: string;
  faults?: MintFaults;
}

/** The certificates and keys minting needs, parsed once. */
export interface MintKeys {
  leaf: { certPem: string; keyPem: string };
  intermediate: { certPem: string };
  processing: { certPem: string };
  processingRsa: { certPem: string };
  faulty: Record<FaultySigner, { leaf: { certPem: string; keyPem: string }; intermediate: { certPem: string } }>;
}

const OID_SIGNED_DATA = '1.2.840.113549.1.7.2';
const OID_DATA = '1.2.840.113549.1.7.1';
const OID_CONTENT_TYPE = '1.2.840.113549.1.9.3';
const OID_MESSAGE_DIGEST = '1.2.840.113549.1.9.4';
const OID_SIGNING_TIME = '1.2.840.113549.1.9.5';
const OID_SHA256 = '2.16.840.1.101.3.4.2.1';
const OID_SHA384 = '2.16.840.1.101.3.4.2.2';
const OID_ECDSA_SHA256 = '1.2.840.10045.4.3.2';

const ZERO_IV = Buffer.alloc(16);
const KDF_ALGORITHM_ID = Buffer.concat([Buffer.from([0x0d]), Buffer.from('id-aes256-GCM', 'ascii')]);
/**
 * The card a token carries when the test names none: it ends in 00, so the sandbox bank's outcome comes from the
 * amount alone (a default ending in 11 would have asked for 3-D Secure). Luhn-valid.
 */
const DEFAULT_PAN = '4400430000000700';
/** A device-account expiry this many years ahead, like a freshly provisioned card. */
const DEFAULT_EXPIRY_YEARS = 3;
const CRYPTOGRAM_BYTES = 20;
const DEVICE_MANUFACTURER_ID = '040010030273';

interface ParsedProcessing {
  publicKey: KeyObject;
  publicKeyHash: string;
  merchantIdHash: Buffer | undefined;
}

interface ParsedSigner {
  certificates: { leaf: pkijs.Certificate; intermediate: pkijs.Certificate };
  privateKey: KeyObject;
}

function defaultExpiry(now: Date): string {
  const year = now.getUTCFullYear() + DEFAULT_EXPIRY_YEARS;
  const month = now.getUTCMonth() + 1;
  const lastDay = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return `${String(year % 100).padStart(2, '0')}${String(month).padStart(2, '0')}${lastDay}`;
}

function parseProcessing(certPem: string): ParsedProcessing {
  const cert = new X509Certificate(certPem);
  const spki = cert.publicKey.export({ type: 'spki', format: 'der' });
  const extension = pkijs.Certificate.fromBER(cert.raw).extensions?.find((e) => e.extnID === MERCHANT_ID_OID);
  let merchantIdHash: Buffer | undefined;
  if (extension) {
    const value = (asn1js.fromBER(extension.extnValue.valueBlock.valueHexView).result.valueBlock as { value?: unknown })
      .value;
    if (typeof value === 'string') merchantIdHash = Buffer.from(value, 'hex');
  }
  return {
    publicKey: cert.publicKey,
    publicKeyHash: createHash('sha256').update(spki).digest('base64'),
    merchantIdHash,
  };
}

function parseSigner(signer: {
  leaf: { certPem: string; keyPem: string };
  intermediate: { certPem: string };
}): ParsedSigner {
  return {
    certificates: {
      leaf: pkijs.Certificate.fromBER(new X509Certificate(signer.leaf.certPem).raw),
      intermediate: pkijs.Certificate.fromBER(new X509Certificate(signer.intermediate.certPem).raw),
    },
    privateKey: createPrivateKey(signer.leaf.keyPem),
  };
}

/** Apple's CMS has indefinite lengths on its outer layers; asn1js writes them when told so. */
function indefinite<T extends asn1js.BaseBlock>(block: T): T {
  block.lenBlock.isIndefiniteForm = true;
  (block.valueBlock as { isIndefiniteForm?: boolean }).isIndefiniteForm = true;
  return block;
}

function flipBit(bytes: Buffer, index: number): void {
  bytes[index] = (bytes[index] ?? 0) ^ 0x01;
}

/**
 * Builds the minting function over the fake Apple's keys. Synchronous: each token costs one ephemeral EC
 * key (or one RSA-OAEP wrap), one AES-GCM and one ECDSA signature.
 *
 * @example
 * const mint = createTokenMinter(keys);
 * const token = mint({ amountMinor: 150000 });
 */
export function createTokenMinter(keys: MintKeys): (input: MintTokenInput) => ApplePayToken {
  const processingCache = new Map<string, ParsedProcessing>();
  const processingOf = (certPem: string): ParsedProcessing => {
    let parsed = processingCache.get(certPem);
    if (!parsed) {
      parsed = parseProcessing(certPem);
      processingCache.set(certPem, parsed);
    }
    return parsed;
  };
  const signers = new Map<FaultySigner | 'apple', ParsedSigner>([['apple', parseSigner(keys)]]);
  const signerOf = (name: FaultySigner | undefined): ParsedSigner => {
    const key = name ?? 'apple';
    let parsed = signers.get(key);
    if (!parsed) {
      const faulty = keys.faulty[key as FaultySigner];
      if (!faulty) throw new TypeError(`Unknown faulty signer: ${String(name)}`);
      parsed = parseSigner(faulty);
      signers.set(key, parsed);
    }
    return parsed;
  };

  return function mintToken(input: MintTokenInput): ApplePayToken {
    if (!Number.isSafeInteger(input.amountMinor) || input.amountMinor < 0) {
      throw new TypeError('amountMinor must be a non-negative integer (minor units).');
    }
    const version = input.version ?? 'EC_v1';
    const faults = input.faults ?? {};
    const signingTime = input.signingTime ?? new Date();
    const pan = input.pan ?? DEFAULT_PAN;
    const network = input.network ?? 'Visa';

    const payment: Record<string, string> = {
      onlinePaymentCryptogram: input.cryptogram ?? randomBytes(CRYPTOGRAM_BYTES).toString('base64'),
    };
    if (input.eci !== undefined) payment.eciIndicator = input.eci;
    const plaintext =
      faults.plaintext ??
      JSON.stringify({
        applicationPrimaryAccountNumber: pan,
        applicationExpirationDate: input.expiry ?? defaultExpiry(signingTime),
        currencyCode: input.currencyCode ?? '398',
        transactionAmount: input.amountMinor,
        ...(input.cardholderName === undefined ? {} : { cardholderName: input.cardholderName }),
        deviceManufacturerIdentifier: DEVICE_MANUFACTURER_ID,
        paymentDataType: '3DSecure',
        paymentData: payment,
      });

    const processing = processingOf(
      input.processing?.certPem ?? (version === 'EC_v1' ? keys.processing : keys.processingRsa).certPem,
    );
    let symmetricKey: Buffer;
    let keyMaterial: Buffer;
    if (version === 'EC_v1') {
      if (!processing.merchantIdHash)
        throw new TypeError('The processing certificate has no merchant identifier extension.');
      const ephemeral = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const shared = diffieHellman({ privateKey: ephemeral.privateKey, publicKey: processing.publicKey });
      symmetricKey = createHash('sha256')
        .update(Buffer.from([0, 0, 0, 1]))
        .update(shared)
        .update(KDF_ALGORITHM_ID)
        .update('Apple')
        .update(processing.merchantIdHash)
        .digest();
      keyMaterial = faults.ephemeralPublicKey
        ? Buffer.from(faults.ephemeralPublicKey, 'base64')
        : ephemeral.publicKey.export({ type: 'spki', format: 'der' });
    } else {
      symmetricKey = randomBytes(16);
      keyMaterial = faults.wrappedKey
        ? Buffer.from(faults.wrappedKey, 'base64')
        : publicEncrypt(
            { key: processing.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
            symmetricKey,
          );
    }
    const cipher = createCipheriv(symmetricKey.length === 32 ? 'aes-256-gcm' : 'aes-128-gcm', symmetricKey, ZERO_IV);
    const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    if (faults.corruptCiphertext) flipBit(data, 0);

    const transactionId = input.transactionId ?? randomBytes(32).toString('hex');
    const applicationData =
      input.applicationData === undefined
        ? undefined
        : createHash('sha256').update(input.applicationData, 'utf8').digest('hex');
    const signed = Buffer.concat([
      keyMaterial,
      data,
      Buffer.from(transactionId, 'hex'),
      ...(applicationData ? [Buffer.from(applicationData, 'hex')] : []),
    ]);

    const signer = signerOf(faults.signer);
    const attributes = [
      new pkijs.Attribute({ type: OID_CONTENT_TYPE, values: [new asn1js.ObjectIdentifier({ value: OID_DATA })] }),
    ];
    if (!faults.omitSigningTime) {
      attributes.push(
        new pkijs.Attribute({ type: OID_SIGNING_TIME, values: [new asn1js.UTCTime({ valueDate: signingTime })] }),
      );
    }
    attributes.push(
      new pkijs.Attribute({
        type: OID_MESSAGE_DIGEST,
        values: [new asn1js.OctetString({ valueHex: createHash('sha256').update(signed).digest() })],
      }),
    );
    const signedAttrs = new pkijs.SignedAndUnsignedAttributes({ type: 0, attributes });
    // RFC 5652 §5.4: the signature covers the attributes encoded as a SET OF, not as the [0] they travel in.
    const toSign = Buffer.from(signedAttrs.toSchema().toBER());
    toSign[0] = 0x31;
    const signatureValue = sign('sha256', toSign, signer.privateKey);
    if (faults.corruptSignature) flipBit(signatureValue, signatureValue.length - 1);

    const { leaf, intermediate } = signer.certificates;
    const digestAlgorithm = new pkijs.AlgorithmIdentifier({
      algorithmId: faults.declareSha384 ? OID_SHA384 : OID_SHA256,
      algorithmParams: new asn1js.Null(),
    });
    const signerInfo = new pkijs.SignerInfo({
      version: 1,
      sid: new pkijs.IssuerAndSerialNumber({ issuer: leaf.issuer, serialNumber: leaf.serialNumber }),
      digestAlgorithm,
      signedAttrs,
      signatureAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: OID_ECDSA_SHA256 }),
      signature: new asn1js.OctetString({ valueHex: signatureValue }),
    });
    const omit = new Set(faults.omitCertificates ?? []);
    const certificates = [...(omit.has('leaf') ? [] : [leaf]), ...(omit.has('intermediate') ? [] : [intermediate])];
    const signedData = new pkijs.SignedData({
      version: 1,
      digestAlgorithms: (faults.digestAlgorithms ?? [OID_SHA256]).map(
        (algorithmId) => new pkijs.AlgorithmIdentifier({ algorithmId, algorithmParams: new asn1js.Null() }),
      ),
      encapContentInfo: new pkijs.EncapsulatedContentInfo({
        eContentType: faults.eContentType ?? OID_DATA,
        ...(faults.attachContent ? { eContent: new asn1js.OctetString({ valueHex: new Uint8Array(signed) }) } : {}),
      }),
      certificates,
      signerInfos: [signerInfo],
    });
    const content = indefinite(signedData.toSchema(true) as asn1js.Sequence);
    const contentInfo = new pkijs.ContentInfo({ contentType: OID_SIGNED_DATA, content }).toSchema() as asn1js.Sequence;
    indefinite(contentInfo);
    const wrapper = contentInfo.valueBlock.value[1];
    if (wrapper instanceof asn1js.Constructed) indefinite(wrapper);
    const signature = Buffer.from(contentInfo.toBER());

    const header: ApplePayPaymentData['header'] = {
      ...(version === 'EC_v1'
        ? { ephemeralPublicKey: keyMaterial.toString('base64') }
        : { wrappedKey: keyMaterial.toString('base64') }),
      publicKeyHash: faults.publicKeyHash ?? processing.publicKeyHash,
      transactionId,
      ...(applicationData ? { applicationData } : {}),
    };
    return {
      paymentData: { version, data: data.toString('base64'), signature: signature.toString('base64'), header },
      paymentMethod: { displayName: input.displayName ?? `${network} ${pan.slice(-4)}`, network, type: 'debit' },
      transactionIdentifier: transactionId.toUpperCase(),
    };
  };
}

/** @module Loads a Payment Processing certificate and key once: key type, `publicKeyHash`, merchant identifier hash. */
import {
  createECDH,
  createHash,
  createPrivateKey,
  createPublicKey,
  X509Certificate,
  type ECDH,
  type KeyObject,
} from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { PaymentTokenError } from './payment-token-error.js';

/** A Payment Processing certificate and its private key, both PEM. */
export interface ProcessingPair {
  certPem: string;
  keyPem: string;
}

/** A processing pair, parsed and checked, ready for the hot path. */
export interface LoadedProcessingPair {
  /** Base64 SHA-256 of the certificate's SubjectPublicKeyInfo DER: what a token's `publicKeyHash` names. */
  publicKeyHash: string;
  /** `ec` decrypts EC_v1 tokens, `rsa` decrypts RSA_v1 tokens. */
  kind: 'ec' | 'rsa';
  privateKey: KeyObject;
  /** SHA-256 of the merchant identifier (KDF Party V Info); EC only. */
  merchantIdHash: Buffer | undefined;
  /** The EC private key loaded into an ECDH object once: half the cost of a KeyObject agreement per token. */
  ecdh: ECDH | undefined;
}

/** Apple's merchant identifier extension: an ASN.1 string holding the hex SHA-256 of the merchant ID. */
export const MERCHANT_ID_OID = '1.2.840.113635.100.6.32';

function invalid(message: string): PaymentTokenError {
  return new PaymentTokenError('processing_pair_invalid', message);
}

/**
 * Reads the merchant identifier hash from a certificate's 1.2.840.113635.100.6.32 extension
 * (Apple's "Method 2": hex-decode the string it holds). Returns undefined when the extension is absent.
 *
 * @example
 * merchantIdHashOf(new X509Certificate(pem).raw)?.toString('hex'); // '358da589…'
 */
export function merchantIdHashOf(certDer: Uint8Array): Buffer | undefined {
  const cert = pkijs.Certificate.fromBER(certDer);
  const extension = cert.extensions?.find((e) => e.extnID === MERCHANT_ID_OID);
  if (!extension) return undefined;
  const parsed = asn1js.fromBER(extension.extnValue.valueBlock.valueHexView);
  const value: unknown = parsed.offset === -1 ? undefined : (parsed.result.valueBlock as { value?: unknown }).value;
  if (typeof value !== 'string' || !/^[0-9a-fA-F]{64}$/.test(value)) {
    throw invalid('The merchant identifier extension does not hold a hex SHA-256 hash.');
  }
  return Buffer.from(value, 'hex');
}

/**
 * Parses a processing certificate and key and checks that they belong together and fit a token version.
 * Throws `PaymentTokenError('processing_pair_invalid')` with a message that never quotes the key.
 *
 * @example
 * const pair = loadProcessingPair({ certPem, keyPem });
 * pair.publicKeyHash; // '+9VwJrqieiPF2ZRB0xHFYhgQ6RYza5hfrVLpdB1KtKI='
 */
export function loadProcessingPair(pair: ProcessingPair, index = 0): LoadedProcessingPair {
  const where = `Processing pair #${index + 1}`;
  if (typeof pair?.certPem !== 'string' || typeof pair.keyPem !== 'string') {
    throw invalid(`${where}: certPem and keyPem must be PEM strings.`);
  }
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pair.certPem);
  } catch {
    throw invalid(`${where}: the certificate is not a PEM X.509 certificate.`);
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pair.keyPem);
  } catch {
    throw invalid(`${where}: the private key is not a PEM private key.`);
  }
  const spki = cert.publicKey.export({ type: 'spki', format: 'der' });
  if (!createPublicKey(privateKey).export({ type: 'spki', format: 'der' }).equals(spki)) {
    throw invalid(`${where}: the private key does not belong to the certificate.`);
  }
  const publicKeyHash = createHash('sha256').update(spki).digest('base64');

  if (privateKey.asymmetricKeyType === 'ec') {
    if (privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      throw invalid(`${where}: an EC processing key must be on P-256.`);
    }
    let merchantIdHash: Buffer | undefined;
    try {
      merchantIdHash = merchantIdHashOf(cert.raw);
    } catch (e) {
      if (e instanceof PaymentTokenError) throw invalid(`${where}: ${e.message}`);
      throw invalid(`${where}: the certificate could not be parsed.`);
    }
    if (!merchantIdHash) {
      throw invalid(`${where}: the certificate has no merchant identifier extension (${MERCHANT_ID_OID}).`);
    }
    const ecdh = createECDH('prime256v1');
    ecdh.setPrivateKey(Buffer.from(privateKey.export({ format: 'jwk' }).d ?? '', 'base64url'));
    return { publicKeyHash, kind: 'ec', privateKey, merchantIdHash, ecdh };
  }
  if (privateKey.asymmetricKeyType === 'rsa') {
    return { publicKeyHash, kind: 'rsa', privateKey, merchantIdHash: undefined, ecdh: undefined };
  }
  throw invalid(`${where}: the key must be EC P-256 (EC_v1) or RSA (RSA_v1).`);
}

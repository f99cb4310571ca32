/** @module Pure: checks the shape of an Apple Pay `paymentData` object and decodes its base64 and hex fields. */
import { PaymentTokenError } from './payment-token-error.js';

/**
 * The `paymentData` object of an `ApplePayPaymentToken`, as Apple sends it: exactly the fields Apple signs or uses to
 * pick the key. (A type, not an interface, so it is also a plain `Record<string, unknown>`.)
 */
export type ApplePayPaymentData = {
  version: 'EC_v1' | 'RSA_v1';
  data: string;
  signature: string;
  header: {
    /** EC_v1 only. */
    ephemeralPublicKey?: string;
    /** RSA_v1 only. */
    wrappedKey?: string;
    publicKeyHash: string;
    transactionId: string;
    applicationData?: string;
  };
};

/** A `paymentData` whose fields are checked and decoded to bytes. */
export interface DecodedPaymentData {
  version: 'EC_v1' | 'RSA_v1';
  /** Ciphertext followed by the 16-byte GCM tag. */
  data: Buffer;
  /** DER of the detached CMS signature. */
  signature: Buffer;
  /** `ephemeralPublicKey` (EC_v1, SPKI DER) or `wrappedKey` (RSA_v1). */
  keyMaterial: Buffer;
  /** Base64 as sent, compared as text against each processing certificate's hash. */
  publicKeyHash: string;
  transactionId: Buffer;
  applicationData: Buffer | undefined;
}

/** GCM tag length: `data` ends with it, so anything not longer is truncated. */
export const GCM_TAG_BYTES = 16;
/** Apple's encrypted payloads are a few hundred bytes; this bounds the work a hostile token can cause. */
export const MAX_DATA_BYTES = 64 * 1024;
/** Apple's signatures are about 3 KB (two certificates and one signer). */
export const MAX_SIGNATURE_BYTES = 16 * 1024;
/** Ephemeral keys and wrapped keys are well under 1 KB (an RSA-4096 wrap is 512 bytes). */
export const MAX_KEY_MATERIAL_BYTES = 1024;
/** SHA-256, so 32 bytes: `publicKeyHash` is one. */
const SHA256_BYTES = 32;
/** `transactionId` and `applicationData` are 32-byte hex today; room for a longer one, not for a flood. */
const MAX_HEX_FIELD_BYTES = 64;

// Canonical, padded base64 as Apple sends it; Buffer.from would silently skip anything else.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const HEX = /^(?:[0-9a-fA-F]{2})+$/;

function malformed(message: string): PaymentTokenError {
  return new PaymentTokenError('malformed_token', message);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function base64Field(value: unknown, name: string, maxBytes: number): Buffer {
  if (typeof value !== 'string' || value.length === 0) throw malformed(`${name} is missing or not a string.`);
  if (value.length > Math.ceil(maxBytes / 3) * 4) throw malformed(`${name} is too long.`);
  if (!BASE64.test(value)) throw malformed(`${name} is not valid base64.`);
  return Buffer.from(value, 'base64');
}

function hexField(value: unknown, name: string, maxBytes: number): Buffer {
  if (typeof value !== 'string' || value.length === 0) throw malformed(`${name} is missing or not a string.`);
  if (value.length > maxBytes * 2 || !HEX.test(value))
    throw malformed(`${name} is not hex of at most ${maxBytes} bytes.`);
  return Buffer.from(value, 'hex');
}

/**
 * Checks that `input` has the shape of Apple's `paymentData` and decodes its fields. Throws
 * `PaymentTokenError` (`malformed_token` or `unsupported_version`), never a TypeError.
 *
 * @example
 * const decoded = decodePaymentData(JSON.parse(body).payment.token.paymentData);
 */
export function decodePaymentData(input: unknown): DecodedPaymentData {
  if (!isRecord(input)) throw malformed('paymentData is not an object.');
  const { version, header } = input;
  if (typeof version !== 'string') throw malformed('version is missing.');
  if (version !== 'EC_v1' && version !== 'RSA_v1') {
    throw new PaymentTokenError('unsupported_version', 'The token version is not EC_v1 or RSA_v1.');
  }
  if (!isRecord(header)) throw malformed('header is not an object.');

  const data = base64Field(input.data, 'data', MAX_DATA_BYTES);
  if (data.length <= GCM_TAG_BYTES) throw malformed('data is truncated.');
  const signature = base64Field(input.signature, 'signature', MAX_SIGNATURE_BYTES);
  const keyMaterial =
    version === 'EC_v1'
      ? base64Field(header.ephemeralPublicKey, 'header.ephemeralPublicKey', MAX_KEY_MATERIAL_BYTES)
      : base64Field(header.wrappedKey, 'header.wrappedKey', MAX_KEY_MATERIAL_BYTES);
  const publicKeyHashBytes = base64Field(header.publicKeyHash, 'header.publicKeyHash', SHA256_BYTES);
  if (publicKeyHashBytes.length !== SHA256_BYTES) throw malformed('header.publicKeyHash is not a SHA-256 hash.');
  const transactionId = hexField(header.transactionId, 'header.transactionId', MAX_HEX_FIELD_BYTES);
  const applicationData =
    header.applicationData === undefined || header.applicationData === null || header.applicationData === ''
      ? undefined
      : hexField(header.applicationData, 'header.applicationData', MAX_HEX_FIELD_BYTES);

  return {
    version,
    data,
    signature,
    keyMaterial,
    publicKeyHash: publicKeyHashBytes.toString('base64'),
    transactionId,
    applicationData,
  };
}

/**
 * The bytes Apple signs: the ephemeral public key (EC_v1) or the wrapped key (RSA_v1), then `data`,
 * `transactionId` and, when present, `applicationData`, each decoded from base64 or hex.
 */
export function signedContent(decoded: DecodedPaymentData): Buffer {
  const parts = [decoded.keyMaterial, decoded.data, decoded.transactionId];
  if (decoded.applicationData) parts.push(decoded.applicationData);
  return Buffer.concat(parts);
}

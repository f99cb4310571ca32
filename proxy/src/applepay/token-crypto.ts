/** @module Restores a token's symmetric key (EC_v1: ECDH + Apple's KDF; RSA_v1: RSA-OAEP) and opens `data` (AES-GCM). */
import {
  constants,
  createDecipheriv,
  createHash,
  createPublicKey,
  diffieHellman,
  privateDecrypt,
  type ECDH,
  type KeyObject,
} from 'node:crypto';
import { GCM_TAG_BYTES } from './payment-data.js';
import { PaymentTokenError } from './payment-token-error.js';

/** Apple encrypts `data` with a 16-byte all-zero IV: every key is used once. */
const ZERO_IV = Buffer.alloc(16);
/** KDF AlgorithmID of EC_v1: the length byte 0x0D followed by "id-aes256-GCM" (NIST SP 800-56A §5.8.1). */
const KDF_ALGORITHM_ID = Buffer.concat([Buffer.from([0x0d]), Buffer.from('id-aes256-GCM', 'ascii')]);
/** KDF PartyUInfo of EC_v1. */
const KDF_PARTY_U_INFO = Buffer.from('Apple', 'ascii');
/** One round of the KDF yields the 256 bits AES-256 needs, so the counter is always 1. */
const KDF_COUNTER = Buffer.from([0, 0, 0, 1]);
/** RSA_v1 wraps an AES-128 key. */
const RSA_V1_KEY_BYTES = 16;

/**
 * The EC_v1 symmetric key: SHA-256(counter 1 ‖ shared secret ‖ 0x0D "id-aes256-GCM" ‖ "Apple" ‖ SHA-256(merchant ID)).
 *
 * @example
 * const key = deriveEcV1Key(sharedSecret, merchantIdHash); // 32 bytes
 */
export function deriveEcV1Key(sharedSecret: Buffer, merchantIdHash: Buffer): Buffer {
  return createHash('sha256')
    .update(KDF_COUNTER)
    .update(sharedSecret)
    .update(KDF_ALGORITHM_ID)
    .update(KDF_PARTY_U_INFO)
    .update(merchantIdHash)
    .digest();
}

/** SubjectPublicKeyInfo header of an uncompressed P-256 point (id-ecPublicKey, prime256v1, BIT STRING of 66). */
const P256_SPKI_HEADER = Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex');
/** 0x04 followed by the two 32-byte coordinates. */
const P256_UNCOMPRESSED_POINT_BYTES = 65;

/**
 * The ephemeral key's point, when the SPKI is exactly the fixed P-256 header followed by an uncompressed
 * point (what Apple sends). Anything else goes through a full KeyObject parse instead.
 */
function uncompressedP256Point(spki: Buffer): Buffer | undefined {
  if (spki.length !== P256_SPKI_HEADER.length + P256_UNCOMPRESSED_POINT_BYTES) return undefined;
  if (!spki.subarray(0, P256_SPKI_HEADER.length).equals(P256_SPKI_HEADER)) return undefined;
  return spki.subarray(P256_SPKI_HEADER.length);
}

/**
 * ECDH between the merchant's P-256 processing key and the token's ephemeral public key (SPKI DER),
 * then Apple's KDF. Throws `ephemeral_key_invalid` for a key that is not a P-256 point (OpenSSL checks
 * the point is on the curve either way).
 */
export function restoreEcV1Key(
  ephemeralPublicKeyDer: Buffer,
  key: { privateKey: KeyObject; ecdh?: ECDH | undefined },
  merchantIdHash: Buffer,
): Buffer {
  let sharedSecret: Buffer;
  try {
    const point = uncompressedP256Point(ephemeralPublicKeyDer);
    if (point && key.ecdh) {
      sharedSecret = key.ecdh.computeSecret(point);
    } else {
      const publicKey = createPublicKey({ key: ephemeralPublicKeyDer, format: 'der', type: 'spki' });
      if (publicKey.asymmetricKeyType !== 'ec' || publicKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
        throw new Error('not P-256');
      }
      sharedSecret = diffieHellman({ privateKey: key.privateKey, publicKey });
    }
  } catch {
    throw new PaymentTokenError('ephemeral_key_invalid', 'The ephemeral public key is not a P-256 public key.');
  }
  return deriveEcV1Key(sharedSecret, merchantIdHash);
}

/** RSA-OAEP (SHA-256) unwrap of an RSA_v1 `wrappedKey`. Throws `key_unwrap_failed`. */
export function restoreRsaV1Key(wrappedKey: Buffer, privateKey: KeyObject): Buffer {
  let key: Buffer;
  try {
    key = privateDecrypt(
      { key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
      wrappedKey,
    );
  } catch {
    throw new PaymentTokenError('key_unwrap_failed', 'The wrapped key does not unwrap with the processing key.');
  }
  if (key.length !== RSA_V1_KEY_BYTES) {
    throw new PaymentTokenError('key_unwrap_failed', 'The wrapped key is not an AES-128 key.');
  }
  return key;
}

/**
 * AES-GCM with a zero IV; the last 16 bytes of `data` are the tag. AES-256 for a 32-byte key (EC_v1),
 * AES-128 for a 16-byte key (RSA_v1). Throws `decryption_failed` when authentication fails.
 */
export function openPaymentData(data: Buffer, key: Buffer): Buffer {
  const cipher = key.length === 32 ? 'aes-256-gcm' : 'aes-128-gcm';
  try {
    const decipher = createDecipheriv(cipher, key, ZERO_IV, { authTagLength: GCM_TAG_BYTES });
    decipher.setAuthTag(data.subarray(data.length - GCM_TAG_BYTES));
    return Buffer.concat([decipher.update(data.subarray(0, data.length - GCM_TAG_BYTES)), decipher.final()]);
  } catch {
    throw new PaymentTokenError('decryption_failed', 'The payment data does not decrypt with the restored key.');
  } finally {
    key.fill(0);
  }
}

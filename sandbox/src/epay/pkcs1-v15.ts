/** @module RSA PKCS#1 v1.5 decryption done by hand, because Node 20 refuses it in `privateDecrypt` (Marvin mitigation). */
import { constants, privateDecrypt, type KeyObject } from 'node:crypto';

/** RFC 8017 §7.2.2: at least eight non-zero padding bytes. */
const MIN_PADDING_BYTES = 8;

/**
 * Decrypts one RSAES-PKCS1-v1_5 block and returns the message, or `undefined` when the ciphertext
 * has the wrong length or the padding is not `00 02 <≥8 non-zero bytes> 00`. The sandbox is not a
 * production decryptor, so a padding oracle here is acceptable; the outcome is still reported only
 * as "cannot be decrypted".
 *
 * @example
 * ```ts
 * const plain = decryptPkcs1v15(privateKey, Buffer.from(cryptogram, 'base64'));
 * if (!plain) refuse();
 * ```
 */
export function decryptPkcs1v15(privateKey: KeyObject, ciphertext: Buffer): Buffer | undefined {
  const modulusBits = privateKey.asymmetricKeyDetails?.modulusLength;
  if (modulusBits === undefined || ciphertext.length !== Math.ceil(modulusBits / 8)) return undefined;
  let block: Buffer;
  try {
    block = privateDecrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, ciphertext);
  } catch {
    // The integer is not below the modulus: not something a correct encryptor produces.
    return undefined;
  }
  return unpadPkcs1v15Type2(block);
}

/**
 * Strips an encryption block's `00 02 PS 00` prefix; `undefined` when it is not one.
 *
 * @example
 * ```ts
 * unpadPkcs1v15Type2(Buffer.from([0, 2, 1, 1, 1, 1, 1, 1, 1, 1, 0, 65])); // <Buffer 41>
 * ```
 */
export function unpadPkcs1v15Type2(block: Buffer): Buffer | undefined {
  if (block.length < 2 + MIN_PADDING_BYTES + 1 || block[0] !== 0x00 || block[1] !== 0x02) return undefined;
  const separator = block.indexOf(0x00, 2);
  if (separator < 0 || separator - 2 < MIN_PADDING_BYTES) return undefined;
  return block.subarray(separator + 1);
}

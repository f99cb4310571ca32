/** @module Verifies and decrypts an Apple Pay token (`EC_v1`, `RSA_v1`) with the merchant's Payment Processing keys. */
import { decodePaymentData } from './payment-data.js';
import { parseDecryptedPayload, type DecryptedPaymentData } from './decrypted-payload.js';
import { loadProcessingPair, type LoadedProcessingPair, type ProcessingPair } from './processing-pair.js';
import { PaymentTokenError } from './payment-token-error.js';
import { openPaymentData, restoreEcV1Key, restoreRsaV1Key } from './token-crypto.js';
import { DEFAULT_MAX_TOKEN_AGE_MS, getTokenSignatureVerifier } from './token-signature.js';

export type { ApplePayPaymentData } from './payment-data.js';
export type { DecryptedPaymentData } from './decrypted-payload.js';
export type { ProcessingPair } from './processing-pair.js';
export { PaymentTokenError, PAYMENT_TOKEN_ERROR_CODES, type PaymentTokenErrorCode } from './payment-token-error.js';
export { DEFAULT_MAX_TOKEN_AGE_MS, MAX_CLOCK_SKEW_MS } from './token-signature.js';

/** Settings of token verification and decryption. */
export interface DecryptOptions {
  /** Payment Processing certificates and keys; the token's `publicKeyHash` picks one (key rotation). */
  pairs: ProcessingPair[];
  /** PEM of the trust root; default the bundled Apple Root CA - G3. */
  rootCaPem?: string;
  /** The moment to check `signingTime` against; default the current time. */
  now?: Date;
  /** Oldest `signingTime` accepted, in milliseconds; default 300 000 (5 minutes). */
  maxAgeMs?: number;
}

/** A decryptor with its keys and root parsed once. */
export interface PaymentTokenDecryptor {
  /** Verifies the signature, then decrypts; rejects with `PaymentTokenError`. */
  decrypt(paymentData: unknown, now?: Date): Promise<DecryptedPaymentData>;
}

function checkMaxAge(maxAgeMs: number | undefined): number {
  const value = maxAgeMs ?? DEFAULT_MAX_TOKEN_AGE_MS;
  if (!Number.isFinite(value) || value <= 0)
    throw new RangeError('maxAgeMs must be a positive number of milliseconds.');
  return value;
}

function checkNow(now: Date | undefined): Date {
  const value = now ?? new Date();
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) throw new RangeError('now must be a valid Date.');
  return value;
}

/**
 * Parses the processing pairs and the root once, for the proxy's hot path. Throws
 * `PaymentTokenError('processing_pair_invalid' | 'root_ca_invalid')` for unusable settings.
 *
 * @example
 * const decryptor = createPaymentTokenDecryptor({ pairs: [{ certPem, keyPem }] });
 * const payload = await decryptor.decrypt(payment.token.paymentData);
 */
export function createPaymentTokenDecryptor(options: Omit<DecryptOptions, 'now'>): PaymentTokenDecryptor {
  if (!Array.isArray(options?.pairs) || options.pairs.length === 0) {
    throw new PaymentTokenError('processing_pair_invalid', 'At least one processing certificate and key is needed.');
  }
  const pairs = new Map<string, LoadedProcessingPair>();
  options.pairs.forEach((pair, index) => {
    const loaded = loadProcessingPair(pair, index);
    pairs.set(loaded.publicKeyHash, loaded);
  });
  const verifier = getTokenSignatureVerifier(options.rootCaPem);
  const maxAgeMs = checkMaxAge(options.maxAgeMs);

  return {
    async decrypt(paymentData, now) {
      const decoded = decodePaymentData(paymentData);
      typed('signature_malformed', () => verifier.verify(decoded, checkNow(now), maxAgeMs));

      const pair = pairs.get(decoded.publicKeyHash);
      if (!pair) {
        throw new PaymentTokenError(
          'unknown_public_key_hash',
          'The token was encrypted for none of the configured processing certificates.',
        );
      }
      const wanted = decoded.version === 'EC_v1' ? 'ec' : 'rsa';
      if (pair.kind !== wanted) {
        throw new PaymentTokenError(
          'key_version_mismatch',
          `The processing key for this token is not a key for ${decoded.version}.`,
        );
      }
      return typed('decryption_failed', () => {
        const key =
          pair.kind === 'ec'
            ? restoreEcV1Key(decoded.keyMaterial, pair, pair.merchantIdHash!)
            : restoreRsaV1Key(decoded.keyMaterial, pair.privateKey);
        return parseDecryptedPayload(openPaymentData(decoded.data, key));
      });
    },
  };
}

/**
 * Verifies the token's signature (Apple's chain to the root, the OIDs, the digest of the signed fields,
 * `signingTime` within `maxAgeMs`) and decrypts it. Rejects with `PaymentTokenError` naming the failed check.
 *
 * @example
 * const payload = await decryptPaymentToken(token.paymentData, { pairs: [{ certPem, keyPem }] });
 * payload.applicationExpirationDate; // 'YYMMDD'
 */
export async function decryptPaymentToken(
  paymentData: unknown,
  options: DecryptOptions,
): Promise<DecryptedPaymentData> {
  return createPaymentTokenDecryptor(options).decrypt(paymentData, options.now);
}

/**
 * Checks only the signature of a token, for tokens whose processing key is not at hand.
 *
 * @example
 * const { signingTime } = await verifyPaymentTokenSignature(token.paymentData, { now: new Date() });
 */
export async function verifyPaymentTokenSignature(
  paymentData: unknown,
  options: { rootCaPem?: string; now?: Date; maxAgeMs?: number } = {},
): Promise<{ signingTime: Date }> {
  const verifier = getTokenSignatureVerifier(options.rootCaPem);
  const decoded = decodePaymentData(paymentData);
  return typed('signature_malformed', () =>
    verifier.verify(decoded, checkNow(options.now), checkMaxAge(options.maxAgeMs)),
  );
}

/**
 * Runs one stage; an error that is not already a `PaymentTokenError` (a parser's own exception on hostile bytes)
 * becomes the stage's code, so a caller only ever sees typed refusals.
 */
function typed<T>(code: 'signature_malformed' | 'decryption_failed', stage: () => T): T {
  try {
    return stage();
  } catch (err) {
    if (err instanceof PaymentTokenError) throw err;
    throw new PaymentTokenError(
      code,
      code === 'signature_malformed' ? 'The token signature does not parse.' : 'The token could not be decrypted.',
    );
  }
}

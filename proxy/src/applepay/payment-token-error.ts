/** @module The one error type of Apple Pay token verification and decryption, with one code per failed check. */

/**
 * Every reason a payment token can be refused, one per check. The proxy maps `signing_time_too_old`
 * to `token_expired` and the rest to `token_invalid`; the two configuration codes
 * (`processing_pair_invalid`, `root_ca_invalid`) are raised when a decryptor is built, not per token.
 */
export const PAYMENT_TOKEN_ERROR_CODES = [
  /** Not an object, a field missing or of the wrong type, bad base64 or hex, truncated `data`. */
  'malformed_token',
  /** `version` is neither `EC_v1` nor `RSA_v1`. */
  'unsupported_version',
  /** `signature` is not a detached CMS SignedData with one signer, its certificates and the signed attributes. */
  'signature_malformed',
  /** No embedded certificate matches the signer's issuer and serial number. */
  'signer_certificate_missing',
  /** No embedded certificate issued the signer's (leaf) certificate. */
  'intermediate_certificate_missing',
  /** The leaf lacks Apple's marker OID 1.2.840.113635.100.6.29. */
  'leaf_oid_missing',
  /** The intermediate lacks Apple's marker OID 1.2.840.113635.100.6.2.14. */
  'intermediate_oid_missing',
  /** The leaf's certificate signature does not verify with the intermediate's key. */
  'leaf_not_issued_by_intermediate',
  /** The intermediate was not issued by the configured root (name or signature). */
  'intermediate_not_issued_by_root',
  /** The intermediate is not a certificate authority (basicConstraints), or the signing certificate is one. */
  'chain_constraints_invalid',
  /** A certificate of the chain was not valid at the token's `signingTime`. */
  'certificate_not_valid_at_signing_time',
  /** The signed attributes carry no `signingTime`. */
  'signing_time_missing',
  /** `signingTime` is older than the allowed age: a replayed or stale token. */
  'signing_time_too_old',
  /** `signingTime` lies in the future beyond the allowed clock skew. */
  'signing_time_in_future',
  /** The digest or signature algorithm is not one Apple uses (SHA-256 with ECDSA or RSA). */
  'signature_algorithm_unsupported',
  /** The `messageDigest` attribute is not SHA-256 of the token's signed fields. */
  'message_digest_mismatch',
  /** The signature over the signed attributes does not verify with the leaf's key. */
  'signature_invalid',
  /** `publicKeyHash` names none of the configured processing certificates. */
  'unknown_public_key_hash',
  /** The processing key picked by `publicKeyHash` does not fit the token's version (EC vs RSA). */
  'key_version_mismatch',
  /** `ephemeralPublicKey` is not a P-256 public key. */
  'ephemeral_key_invalid',
  /** `wrappedKey` does not unwrap (RSA-OAEP) to an AES-128 key with the processing key. */
  'key_unwrap_failed',
  /** AES-GCM authentication of `data` failed. */
  'decryption_failed',
  /** The decrypted payload is not the JSON Apple documents, or a 3-D Secure payload lacks its cryptogram. */
  'payload_invalid',
  /** The payload is Apple's `EMV` kind (no 3-D Secure cryptogram): genuine, but ePay charges only `3DSecure`. */
  'unsupported_payment_data_type',
  /** A configured processing certificate or key is unusable (configuration, not a token). */
  'processing_pair_invalid',
  /** The configured root certificate is unusable (configuration, not a token). */
  'root_ca_invalid',
] as const;

/** One reason a payment token was refused; see {@link PAYMENT_TOKEN_ERROR_CODES}. */
export type PaymentTokenErrorCode = (typeof PAYMENT_TOKEN_ERROR_CODES)[number];

/**
 * A payment token failed a check. The message names the check only: it never carries the PAN, the
 * cryptogram or key material, so it is safe to log.
 *
 * @example
 * try { await decryptPaymentToken(token.paymentData, { pairs }); }
 * catch (e) { if (e instanceof PaymentTokenError && e.expired) { ... } }
 */
export class PaymentTokenError extends Error {
  override readonly name = 'PaymentTokenError';
  readonly code: PaymentTokenErrorCode;

  constructor(code: PaymentTokenErrorCode, message: string) {
    super(message);
    this.code = code;
  }

  /** True only when a genuine token is too old (`signing_time_too_old`): the customer may simply retry. */
  get expired(): boolean {
    return this.code === 'signing_time_too_old';
  }
}

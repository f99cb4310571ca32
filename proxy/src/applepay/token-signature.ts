/** @module Verifies the detached CMS signature of an Apple Pay token: Apple's chain, OIDs, digest, signature, signingTime. */
import { createHash, timingSafeEqual, verify, X509Certificate } from 'node:crypto';
import * as asn1js from 'asn1js';
import { APPLE_ROOT_CA_G3_PEM } from './apple-root-ca.js';
import { chainCertificate, isValidAt, type ChainCertificate } from './chain-certificate.js';
import { signedContent, type DecodedPaymentData } from './payment-data.js';
import { parseSignedData, type SignerInfoFields } from './signed-data.js';
import { PaymentTokenError, type PaymentTokenErrorCode } from './payment-token-error.js';

/** Default oldest `signingTime` accepted: Apple's recommendation of a few minutes, as `APPLE_TOKEN_MAX_AGE_S`. */
export const DEFAULT_MAX_TOKEN_AGE_MS = 300_000;
/** How far `signingTime` may lie ahead of our clock: Apple's and our clocks drift by seconds, not minutes. */
export const MAX_CLOCK_SKEW_MS = 60_000;
/** Verified (leaf, intermediate) pairs remembered per root; a repeat leaf skips both chain signatures. */
export const MAX_CACHED_CHAINS = 32;
/** Distinct roots whose verifiers are kept by {@link getTokenSignatureVerifier} (one in production). */
const MAX_CACHED_VERIFIERS = 8;

export const LEAF_OID = '1.2.840.113635.100.6.29';
export const INTERMEDIATE_OID = '1.2.840.113635.100.6.2.14';

const OID_DATA = '1.2.840.113549.1.7.1';
const OID_CONTENT_TYPE = '1.2.840.113549.1.9.3';
const OID_MESSAGE_DIGEST = '1.2.840.113549.1.9.4';
const OID_SIGNING_TIME = '1.2.840.113549.1.9.5';
const OID_SHA256 = '2.16.840.1.101.3.4.2.1';
const OID_ECDSA_SHA256 = '1.2.840.10045.4.3.2';
const OID_RSA = '1.2.840.113549.1.1.1';
const OID_RSA_SHA256 = '1.2.840.113549.1.1.11';

/** Checks the signature of decoded payment data at a given time. */
export interface TokenSignatureVerifier {
  /** Throws `PaymentTokenError` naming the failed check; returns the CMS `signingTime`. */
  verify(decoded: DecodedPaymentData, now: Date, maxAgeMs: number): { signingTime: Date };
}

function fail(code: PaymentTokenErrorCode, message: string): never {
  throw new PaymentTokenError(code, message);
}

function singleAttributeValue(signerInfo: SignerInfoFields, type: string): unknown {
  const matches = signerInfo.signedAttributes.filter((a) => a.type === type);
  if (matches.length > 1) fail('signature_malformed', 'The token signature repeats a signed attribute.');
  const attribute = matches[0];
  if (!attribute) return undefined;
  if (attribute.values.length !== 1) fail('signature_malformed', 'A signed attribute does not hold exactly one value.');
  return attribute.values[0];
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

function findSigner(certificates: ChainCertificate[], signerInfo: SignerInfoFields): ChainCertificate {
  const sid = signerInfo.issuerAndSerialNumber;
  if (!sid) {
    return fail('signer_certificate_missing', 'The signer is not named by issuer and serial number.');
  }
  // The issuer is compared as DER (pkijs's isEqual with an ArrayBuffer): a CMS signer copies its certificate's issuer.
  const leaf = certificates.find(
    (c) =>
      sameBytes(c.cert.serialNumber.valueBlock.valueHexView, sid.serialNumber) && c.cert.issuer.isEqual(sid.issuer),
  );
  return leaf ?? fail('signer_certificate_missing', "The signer's certificate is not in the token signature.");
}

/**
 * Builds a verifier that trusts one root (default: the bundled Apple Root CA - G3). The root is parsed
 * once; verified (leaf, intermediate) signatures are remembered so a repeat leaf costs no chain signature
 * checks, while validity at each token's `signingTime` is still checked every time.
 *
 * @example
 * const verifier = createTokenSignatureVerifier(testRootPem);
 * const { signingTime } = verifier.verify(decodePaymentData(paymentData), new Date(), 300_000);
 */
export function createTokenSignatureVerifier(rootCaPem?: string): TokenSignatureVerifier {
  let root: ChainCertificate;
  try {
    root = chainCertificate(new X509Certificate(rootCaPem ?? APPLE_ROOT_CA_G3_PEM).raw);
  } catch {
    throw new PaymentTokenError('root_ca_invalid', 'The configured root CA is not a PEM X.509 certificate.');
  }
  const verifiedChains = new Set<string>();

  function checkChain(leaf: ChainCertificate, intermediate: ChainCertificate): void {
    const key = `${leaf.id}:${intermediate.id}`;
    if (verifiedChains.has(key)) return;
    if (!intermediate.cert.issuer.isEqual(root.cert.subject) || !intermediate.x509.verify(root.publicKey)) {
      fail('intermediate_not_issued_by_root', 'The intermediate certificate was not issued by the trusted root.');
    }
    // Defence in depth: only a CA may issue the signing certificate, and the signing certificate issues nothing.
    if (!intermediate.x509.ca || leaf.x509.ca) {
      fail('chain_constraints_invalid', 'The certificate chain breaks its basic constraints.');
    }
    if (!leaf.x509.verify(intermediate.publicKey)) {
      fail('leaf_not_issued_by_intermediate', 'The signing certificate was not issued by the intermediate.');
    }
    if (verifiedChains.size >= MAX_CACHED_CHAINS) {
      const oldest = verifiedChains.values().next().value;
      if (oldest !== undefined) verifiedChains.delete(oldest);
    }
    verifiedChains.add(key);
  }

  return {
    verify(decoded, now, maxAgeMs) {
      const { certificates, signerInfo } = parseSignedData(decoded.signature);

      const leaf = findSigner(certificates, signerInfo);
      const intermediate = certificates.find((c) => c !== leaf && c.cert.subject.isEqual(leaf.cert.issuer));
      if (!intermediate) {
        return fail(
          'intermediate_certificate_missing',
          'The certificate that issued the signer is not in the token signature.',
        );
      }
      if (!leaf.extensionOids.has(LEAF_OID))
        fail('leaf_oid_missing', `The signing certificate lacks Apple's OID ${LEAF_OID}.`);
      if (!intermediate.extensionOids.has(INTERMEDIATE_OID)) {
        fail('intermediate_oid_missing', `The intermediate certificate lacks Apple's OID ${INTERMEDIATE_OID}.`);
      }
      checkChain(leaf, intermediate);

      if (!signerInfo.signedAttributesDer) fail('signature_malformed', 'The token signature has no signed attributes.');
      const contentType = singleAttributeValue(signerInfo, OID_CONTENT_TYPE);
      if (!(contentType instanceof asn1js.ObjectIdentifier) || contentType.getValue() !== OID_DATA) {
        fail('signature_malformed', 'The signed contentType attribute is missing or not id-data.');
      }
      const signingTimeValue = singleAttributeValue(signerInfo, OID_SIGNING_TIME);
      if (signingTimeValue === undefined) fail('signing_time_missing', 'The token signature has no signingTime.');
      // GeneralizedTime extends UTCTime in asn1js, so this accepts both encodings RFC 5652 allows.
      if (!(signingTimeValue instanceof asn1js.UTCTime)) fail('signature_malformed', 'signingTime is not a time.');
      const signingTime = (signingTimeValue as asn1js.UTCTime).toDate();
      if (Number.isNaN(signingTime.getTime())) fail('signature_malformed', 'signingTime is not a valid time.');

      for (const [name, cert] of [
        ['signing', leaf],
        ['intermediate', intermediate],
        ['root', root],
      ] as const) {
        if (!isValidAt(cert, signingTime)) {
          fail(
            'certificate_not_valid_at_signing_time',
            `The ${name} certificate was not valid at the token's signingTime.`,
          );
        }
      }

      if (signerInfo.digestAlgorithm !== OID_SHA256) {
        fail('signature_algorithm_unsupported', 'The token signature does not use SHA-256.');
      }
      const signatureAlgorithm = signerInfo.signatureAlgorithm;
      const leafKeyType = leaf.publicKey.asymmetricKeyType;
      const algorithmFits =
        (signatureAlgorithm === OID_ECDSA_SHA256 && leafKeyType === 'ec') ||
        ((signatureAlgorithm === OID_RSA || signatureAlgorithm === OID_RSA_SHA256) && leafKeyType === 'rsa');
      if (!algorithmFits)
        fail('signature_algorithm_unsupported', 'The token signature algorithm is not one Apple uses.');

      const messageDigest = singleAttributeValue(signerInfo, OID_MESSAGE_DIGEST);
      if (!(messageDigest instanceof asn1js.OctetString)) {
        fail('signature_malformed', 'The signed messageDigest attribute is missing.');
      }
      const expectedDigest = createHash('sha256').update(signedContent(decoded)).digest();
      if (!sameBytes((messageDigest as asn1js.OctetString).valueBlock.valueHexView, expectedDigest)) {
        fail('message_digest_mismatch', 'The token fields do not match the signed message digest.');
      }

      let valid = false;
      try {
        valid = verify('sha256', signerInfo.signedAttributesDer!, leaf.publicKey, signerInfo.signature);
      } catch {
        valid = false;
      }
      if (!valid) fail('signature_invalid', 'The token signature does not verify with the signing certificate.');

      const age = now.getTime() - signingTime.getTime();
      if (age > maxAgeMs) fail('signing_time_too_old', 'The token is older than the allowed age.');
      if (-age > MAX_CLOCK_SKEW_MS) fail('signing_time_in_future', "The token's signingTime is in the future.");
      return { signingTime };
    },
  };
}

const verifiers = new Map<string, TokenSignatureVerifier>();

/**
 * The verifier for a root, built once per distinct root PEM so the chain cache survives between calls of
 * the one-shot functions.
 *
 * @example
 * getTokenSignatureVerifier().verify(decoded, new Date(), DEFAULT_MAX_TOKEN_AGE_MS);
 */
export function getTokenSignatureVerifier(rootCaPem?: string): TokenSignatureVerifier {
  const key = rootCaPem ?? '';
  let verifier = verifiers.get(key);
  if (!verifier) {
    verifier = createTokenSignatureVerifier(rootCaPem);
    if (verifiers.size >= MAX_CACHED_VERIFIERS) {
      const oldest = verifiers.keys().next().value;
      if (oldest !== undefined) verifiers.delete(oldest);
    }
    verifiers.set(key, verifier);
  }
  return verifier;
}

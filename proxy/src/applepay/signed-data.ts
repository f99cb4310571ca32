/** @module Parses the detached CMS SignedData of a token (asn1js + pkijs), reusing the parse of a repeat certificate block. */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { chainCertificate, type ChainCertificate } from './chain-certificate.js';
import { PaymentTokenError } from './payment-token-error.js';

/** One signed attribute: its type and its values as asn1js parsed them. */
export interface SignedAttribute {
  type: string;
  values: asn1js.AsnType[];
}

/** The fields of the one SignerInfo (RFC 5652 §5.3) the verifier checks. */
export interface SignerInfoFields {
  /** DER of the signer's issuer Name and its serial number's content octets; undefined when the signer is named by subjectKeyIdentifier. */
  issuerAndSerialNumber: { issuer: ArrayBuffer; serialNumber: Uint8Array } | undefined;
  digestAlgorithm: string;
  signatureAlgorithm: string;
  /** The signed attributes re-tagged as the SET OF that the signature covers (RFC 5652 §5.4); undefined when absent. */
  signedAttributesDer: Uint8Array | undefined;
  signedAttributes: SignedAttribute[];
  signature: Uint8Array;
}

/** The parts of a token signature the verifier checks. */
export interface ParsedSignedData {
  certificates: ChainCertificate[];
  signerInfo: SignerInfoFields;
}

/** Distinct certificate blocks remembered (one per Apple signing certificate in use, a few at rotation). */
export const MAX_CACHED_PREFIXES = 8;

const OID_SIGNED_DATA = '1.2.840.113549.1.7.2';
const OID_DATA = '1.2.840.113549.1.7.1';
const OID_SHA256 = '2.16.840.1.101.3.4.2.1';

const SIGNER_INFOS_SCHEMA = new asn1js.Set({
  name: 'signerInfoSet',
  value: [new asn1js.Repeated({ name: 'signerInfos', value: new asn1js.Any() })],
});

function algorithmIdentifier(name: string): asn1js.Sequence {
  return new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ name }), new asn1js.Any({ optional: true })] });
}

/**
 * SignerInfo as RFC 5652 §5.3 defines it, matched once by asn1js. pkijs's own SignerInfo class matches a fresh copy of
 * its schema at every nested object (names, algorithms, each attribute): measured at about twice the time of this
 * single match on the 380-byte SignerInfo every token carries (proxy/bench/cpu-per-payment.ts).
 */
const SIGNER_INFO_SCHEMA = new asn1js.Sequence({
  value: [
    new asn1js.Integer({ name: 'version' }),
    new asn1js.Choice({
      value: [
        new asn1js.Sequence({
          name: 'issuerAndSerialNumber',
          value: [
            new asn1js.Sequence({ name: 'issuer', value: [new asn1js.Repeated({ value: new asn1js.Set() })] }),
            new asn1js.Integer({ name: 'serialNumber' }),
          ],
        }),
        new asn1js.Primitive({ name: 'subjectKeyIdentifier', idBlock: { tagClass: 3, tagNumber: 0 } }),
      ],
    }),
    algorithmIdentifier('digestAlgorithm'),
    new asn1js.Constructed({
      name: 'signedAttrs',
      optional: true,
      idBlock: { tagClass: 3, tagNumber: 0 },
      value: [new asn1js.Repeated({ name: 'signedAttributes', value: new asn1js.Any() })],
    }),
    algorithmIdentifier('signatureAlgorithm'),
    new asn1js.OctetString({ name: 'signature' }),
    new asn1js.Constructed({
      optional: true,
      idBlock: { tagClass: 3, tagNumber: 1 },
      value: [new asn1js.Repeated({ value: new asn1js.Any() })],
    }),
  ],
});

/** Attribute ::= SEQUENCE { attrType OBJECT IDENTIFIER, attrValues SET OF AttributeValue } */
const ATTRIBUTE_SCHEMA = new asn1js.Sequence({
  value: [
    new asn1js.ObjectIdentifier({ name: 'type' }),
    new asn1js.Set({ value: [new asn1js.Repeated({ name: 'values', value: new asn1js.Any() })] }),
  ],
});

/**
 * SignedData as RFC 5652 defines it, with the certificates left as opaque blocks: they are looked up by
 * their DER in a cache instead of being matched against the full certificate schema on every token.
 */
const SIGNED_DATA_SCHEMA = new asn1js.Sequence({
  value: [
    new asn1js.Integer({ name: 'version' }),
    new asn1js.Set({ value: [new asn1js.Repeated({ name: 'digestAlgorithms', value: new asn1js.Any() })] }),
    new asn1js.Any({ name: 'encapContentInfo' }),
    new asn1js.Constructed({
      name: 'certificates',
      optional: true,
      idBlock: { tagClass: 3, tagNumber: 0 },
      value: [new asn1js.Repeated({ name: 'certificateList', value: new asn1js.Any() })],
    }),
    new asn1js.Constructed({
      optional: true,
      idBlock: { tagClass: 3, tagNumber: 1 },
      value: [new asn1js.Repeated({ name: 'crls', value: new asn1js.Any() })],
    }),
    SIGNER_INFOS_SCHEMA,
  ],
});

/**
 * Apple encodes the outer layers (ContentInfo, its [0], SignedData) with indefinite lengths, so every
 * token signed by the same certificate starts with the same bytes, certificates included, and ends with
 * the same end-of-contents octets; only the SignerInfo between them changes. Such a prefix, once fully
 * parsed, is kept with its parsed certificates, and a later token that starts and ends with the same
 * bytes has only its SignerInfo parsed. asn1js needs about 2 ms for Apple's 3 KB structure, 0.2 ms for
 * the SignerInfo alone. With definite lengths the prefix would encode the SignerInfo's length, so such
 * signatures are never cached and always parsed whole.
 */
interface CachedPrefix {
  prefix: Buffer;
  suffix: Buffer;
  certificates: ChainCertificate[];
}

const prefixes: CachedPrefix[] = [];

function malformed(why: string): never {
  throw new PaymentTokenError('signature_malformed', `The token signature ${why}.`);
}

function signerInfoOf(blocks: asn1js.AsnType[] | undefined): SignerInfoFields {
  if (blocks?.length !== 1) malformed('does not have exactly one signer');
  const block = blocks[0]!;
  const match = asn1js.compareSchema(block, block, SIGNER_INFO_SCHEMA);
  if (!match.verified) malformed('has a malformed SignerInfo');
  const f = match.result as Record<string, asn1js.BaseBlock | asn1js.BaseBlock[] | undefined>;

  const signedAttributes: SignedAttribute[] = [];
  for (const item of (f.signedAttributes as asn1js.BaseBlock[] | undefined) ?? []) {
    const attribute = asn1js.compareSchema(item, item, ATTRIBUTE_SCHEMA);
    if (!attribute.verified) malformed('has a malformed signed attribute');
    signedAttributes.push({
      type: (attribute.result.type as asn1js.ObjectIdentifier).getValue(),
      values: (attribute.result.values as asn1js.AsnType[] | undefined) ?? [],
    });
  }
  let signedAttributesDer: Uint8Array | undefined;
  if (f.signedAttrs) {
    // The signature covers the attributes' DER with the [0] IMPLICIT tag replaced by SET OF's (0x31).
    signedAttributesDer = (f.signedAttrs as asn1js.BaseBlock).valueBeforeDecodeView.slice();
    signedAttributesDer[0] = 0x31;
  }
  const issuer = f.issuer as asn1js.BaseBlock | undefined;
  const serialNumber = f.serialNumber as asn1js.Integer | undefined;
  return {
    issuerAndSerialNumber:
      issuer && serialNumber
        ? { issuer: issuer.valueBeforeDecodeView.slice().buffer, serialNumber: serialNumber.valueBlock.valueHexView }
        : undefined,
    digestAlgorithm: (f.digestAlgorithm as asn1js.ObjectIdentifier).getValue(),
    signatureAlgorithm: (f.signatureAlgorithm as asn1js.ObjectIdentifier).getValue(),
    signedAttributesDer,
    signedAttributes,
    signature: (f.signature as asn1js.OctetString).valueBlock.valueHexView,
  };
}

function parseWhole(der: Uint8Array): ParsedSignedData {
  const asn = asn1js.fromBER(der);
  if (asn.offset === -1 || asn.offset !== der.length) malformed('is not one DER/BER structure');
  let contentInfo: pkijs.ContentInfo;
  try {
    contentInfo = new pkijs.ContentInfo({ schema: asn.result });
  } catch {
    return malformed('is not a CMS ContentInfo');
  }
  if (contentInfo.contentType !== OID_SIGNED_DATA) malformed('is not CMS SignedData');
  const signedData = asn1js.compareSchema(contentInfo.content, contentInfo.content, SIGNED_DATA_SCHEMA);
  if (!signedData.verified) return malformed('is not a well-formed SignedData');
  const fields = signedData.result;
  checkEnvelope(fields);
  const signerInfo = signerInfoOf(fields.signerInfos as asn1js.AsnType[] | undefined);

  const certificates: ChainCertificate[] = [];
  for (const block of (fields.certificateList as asn1js.BaseBlock[] | undefined) ?? []) {
    // Only X.509 certificates (a universal SEQUENCE) belong here; attribute certificates are not Apple's.
    if (block.idBlock.tagClass !== 1 || block.idBlock.tagNumber !== 16)
      malformed('embeds something other than a certificate');
    try {
      certificates.push(chainCertificate(block.valueBeforeDecodeView));
    } catch {
      malformed('embeds a certificate that does not parse');
    }
  }

  const wrapper = (asn.result as asn1js.Sequence).valueBlock.value[1];
  const lengthFree = [asn.result, wrapper, contentInfo.content as asn1js.BaseBlock].every(
    (block) => block instanceof asn1js.BaseBlock && block.lenBlock.isIndefiniteForm,
  );
  if (lengthFree) {
    // asn1js hands out views into `der`, so the SET's place in the buffer is where its view starts.
    const set = (fields.signerInfoSet as asn1js.Set).valueBeforeDecodeView;
    const start = set.byteOffset - der.byteOffset;
    remember({
      prefix: Buffer.from(der.subarray(0, start)),
      suffix: Buffer.from(der.subarray(start + set.byteLength)),
      certificates,
    });
  }
  return { certificates, signerInfo };
}

/**
 * RFC 5652 consistency Apple's tokens always have: the signature is detached (no eContent) over plain data (eContentType
 * id-data, which the signed contentType attribute must also name), and digestAlgorithms lists SHA-256, the signer's.
 * These bytes sit in the cached prefix, so a token that reuses a prefix was checked with it.
 */
function checkEnvelope(fields: Record<string, unknown>): void {
  const encap = fields.encapContentInfo;
  const parts = encap instanceof asn1js.Sequence ? encap.valueBlock.value : [];
  const type = parts[0];
  if (!(type instanceof asn1js.ObjectIdentifier) || type.getValue() !== OID_DATA) malformed('does not sign plain data');
  if (parts.length !== 1) malformed('is not detached: it carries its content');
  const digests = ((fields.digestAlgorithms as asn1js.AsnType[] | undefined) ?? []).map((a) => {
    const oid = a instanceof asn1js.Sequence ? a.valueBlock.value[0] : undefined;
    return oid instanceof asn1js.ObjectIdentifier ? oid.getValue() : '';
  });
  if (!digests.includes(OID_SHA256)) malformed('does not list SHA-256 among its digest algorithms');
}

function remember(entry: CachedPrefix): void {
  if (prefixes.some((p) => p.prefix.equals(entry.prefix) && p.suffix.equals(entry.suffix))) return;
  if (prefixes.length >= MAX_CACHED_PREFIXES) prefixes.shift();
  prefixes.push(entry);
}

function parseWithKnownPrefix(der: Buffer): ParsedSignedData | undefined {
  for (const entry of prefixes) {
    const { prefix, suffix } = entry;
    if (der.length <= prefix.length + suffix.length) continue;
    if (!der.subarray(0, prefix.length).equals(prefix) || !der.subarray(der.length - suffix.length).equals(suffix))
      continue;
    const middle = new Uint8Array(der.subarray(prefix.length, der.length - suffix.length));
    const asn = asn1js.fromBER(middle);
    if (asn.offset !== middle.length) malformed('is not one DER/BER structure');
    const set = asn1js.compareSchema(asn.result, asn.result, SIGNER_INFOS_SCHEMA);
    if (!set.verified) malformed('is not a well-formed SignedData');
    return {
      certificates: entry.certificates,
      signerInfo: signerInfoOf(set.result.signerInfos as asn1js.AsnType[] | undefined),
    };
  }
  return undefined;
}

/**
 * Parses a token's `signature` (DER/BER of a CMS ContentInfo holding SignedData) into its certificates
 * and its one SignerInfo. Throws `PaymentTokenError('signature_malformed')`.
 *
 * @example
 * const { certificates, signerInfo } = parseSignedData(Buffer.from(paymentData.signature, 'base64'));
 */
export function parseSignedData(der: Buffer): ParsedSignedData {
  // asn1js takes its fast paths only for a plain Uint8Array, not a Buffer.
  return parseWithKnownPrefix(der) ?? parseWhole(new Uint8Array(der));
}

/**
 * @module Pure: checks a posted `ApplePayPayment` against the shape Apple documents and rebuilds it from the known
 * fields only, so that nothing the client added is passed on (in passthrough mode `paymentData` goes to the bank as
 * JSON). Unknown keys are dropped at every level: Apple adds optional fields over iOS releases (contacts gained phonetic
 * names and sub-localities), none of them is read here, and inside `paymentData` Apple's signature covers only the
 * named fields, so an extra key carries nothing the bank could trust. A known key of the wrong type, or a string
 * longer than any Apple sends, is refused: Apple never sends one, and guessing what was meant is how a malformed value
 * reaches the bank. `null` is taken as an absent optional field: a client serialising Apple's object may write one.
 */
import { ProxyError } from '../errors.js';
import { type ApplePayPaymentData, decodePaymentData } from './payment-data.js';
import { PaymentTokenError } from './payment-token-error.js';

/** Longest contact field: a name, an address line, a postal code; Apple's sheet keeps them far shorter. */
export const MAX_CONTACT_FIELD_CHARS = 1024;
/** Most lines of a contact's address: Apple's sheet gives two or three. */
export const MAX_ADDRESS_LINES = 16;
/** Longest field of `paymentMethod` and its `paymentPass`: a display name, a network, an account identifier. */
export const MAX_METHOD_FIELD_CHARS = 256;
/** Longest `token.transactionIdentifier`: Apple's is 64 hex characters. */
export const MAX_TRANSACTION_IDENTIFIER_CHARS = 256;

/** `ApplePayPaymentContact`'s string fields (its `addressLines` is an array of strings). */
const CONTACT_FIELDS = [
  'phoneNumber',
  'emailAddress',
  'givenName',
  'familyName',
  'phoneticGivenName',
  'phoneticFamilyName',
  'subLocality',
  'locality',
  'postalCode',
  'subAdministrativeArea',
  'administrativeArea',
  'country',
  'countryCode',
] as const;
/** `ApplePayPaymentMethod`'s string fields. */
const PAYMENT_METHOD_FIELDS = ['displayName', 'network', 'type'] as const;
/** `ApplePayPaymentPass`'s fields, all strings. */
const PAYMENT_PASS_FIELDS = [
  'primaryAccountIdentifier',
  'primaryAccountNumberSuffix',
  'deviceAccountIdentifier',
  'deviceAccountNumberSuffix',
  'activationState',
] as const;

/** Apple Pay JS `ApplePayPaymentContact`, the fields Apple documents. */
export type ApplePayContactShape = { [K in (typeof CONTACT_FIELDS)[number]]?: string } & { addressLines?: string[] };

/** Apple Pay JS `ApplePayPaymentPass`. */
export type ApplePayPaymentPassShape = { [K in (typeof PAYMENT_PASS_FIELDS)[number]]?: string };

/** Apple Pay JS `ApplePayPaymentMethod`. */
export type ApplePayPaymentMethodShape = { [K in (typeof PAYMENT_METHOD_FIELDS)[number]]?: string } & {
  paymentPass?: ApplePayPaymentPassShape;
  billingContact?: ApplePayContactShape;
};

/** An `ApplePayPayment` rebuilt from its known fields; `paymentData` is still to be checked by {@link cleanPaymentData}. */
export type PaymentEnvelope = {
  token: {
    paymentData: Record<string, unknown>;
    paymentMethod?: ApplePayPaymentMethodShape;
    transactionIdentifier?: string;
  };
  billingContact?: ApplePayContactShape;
  shippingContact?: ApplePayContactShape;
};

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** A field of the client's object, own properties only: JSON may name `__proto__` or `constructor`. */
function own(o: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(o, key) ? o[key] : undefined;
}

function refuse(path: string, rule: string): never {
  // The path and the rule, never the value: it may be whatever a customer typed.
  throw new ProxyError('invalid_request', `\`${path}\` ${rule}`);
}

function optionalString(o: Record<string, unknown>, key: string, path: string, max: number): string | undefined {
  const v = own(o, key);
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || v.length > max)
    refuse(`${path}.${key}`, `must be a string of at most ${max} characters`);
  return v;
}

/** The object at `key`, or undefined when absent or null; anything else is refused. */
function optionalObject(o: Record<string, unknown>, key: string, path: string): Record<string, unknown> | undefined {
  const v = own(o, key);
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) refuse(`${path}.${key}`, 'must be an object');
  return v;
}

function contact(input: Record<string, unknown>, path: string): ApplePayContactShape {
  const out: ApplePayContactShape = {};
  for (const k of CONTACT_FIELDS) {
    const v = optionalString(input, k, path, MAX_CONTACT_FIELD_CHARS);
    if (v !== undefined) out[k] = v;
  }
  const lines = own(input, 'addressLines');
  if (lines !== undefined && lines !== null) {
    if (!Array.isArray(lines) || lines.length > MAX_ADDRESS_LINES) {
      refuse(`${path}.addressLines`, `must be an array of at most ${MAX_ADDRESS_LINES} strings`);
    }
    out.addressLines = lines.map((line: unknown) => {
      if (typeof line !== 'string' || line.length > MAX_CONTACT_FIELD_CHARS) {
        refuse(`${path}.addressLines`, `must hold strings of at most ${MAX_CONTACT_FIELD_CHARS} characters`);
      }
      return line;
    });
  }
  return out;
}

function paymentMethod(input: Record<string, unknown>, path: string): ApplePayPaymentMethodShape {
  const out: ApplePayPaymentMethodShape = {};
  for (const k of PAYMENT_METHOD_FIELDS) {
    const v = optionalString(input, k, path, MAX_METHOD_FIELD_CHARS);
    if (v !== undefined) out[k] = v;
  }
  const pass = optionalObject(input, 'paymentPass', path);
  if (pass) {
    const p: ApplePayPaymentPassShape = {};
    for (const k of PAYMENT_PASS_FIELDS) {
      const v = optionalString(pass, k, `${path}.paymentPass`, MAX_METHOD_FIELD_CHARS);
      if (v !== undefined) p[k] = v;
    }
    out.paymentPass = p;
  }
  const billing = optionalObject(input, 'billingContact', path);
  if (billing) out.billingContact = contact(billing, `${path}.billingContact`);
  return out;
}

/**
 * Checks the `payment` of a `POST /applepay/payments` body around its `paymentData` and rebuilds it from the fields
 * Apple documents: `{ token: { paymentData, paymentMethod?, transactionIdentifier? }, billingContact?, shippingContact? }`.
 * `paymentData` must be an object; its contents are {@link cleanPaymentData}'s.
 *
 * @example
 * ```ts
 * const envelope = cleanPayment(body.payment); // extra keys gone, contacts checked
 * const payment = { ...envelope, token: { ...envelope.token, paymentData: cleanPaymentData(envelope.token.paymentData) } };
 * ```
 * @throws {ProxyError} `invalid_request`, naming the field.
 */
export function cleanPayment(input: unknown): PaymentEnvelope {
  if (!isObject(input)) refuse('payment', 'must be the ApplePayPayment object');
  const token = own(input, 'token');
  if (!isObject(token)) refuse('payment.token', 'must be an object');
  const paymentData = own(token, 'paymentData');
  if (!isObject(paymentData)) refuse('payment.token.paymentData', 'must be an object');

  const out: PaymentEnvelope = { token: { paymentData } };
  const method = optionalObject(token, 'paymentMethod', 'payment.token');
  if (method) out.token.paymentMethod = paymentMethod(method, 'payment.token.paymentMethod');
  const transactionIdentifier = optionalString(
    token,
    'transactionIdentifier',
    'payment.token',
    MAX_TRANSACTION_IDENTIFIER_CHARS,
  );
  if (transactionIdentifier !== undefined) out.token.transactionIdentifier = transactionIdentifier;
  for (const c of ['billingContact', 'shippingContact'] as const) {
    const v = optionalObject(input, c, 'payment');
    if (v) out[c] = contact(v, `payment.${c}`);
  }
  return out;
}

/**
 * Checks an Apple Pay `paymentData` (types, base64 and hex, sizes: the token decoder's rules and limits) and rebuilds
 * it with exactly `version`, `data`, `signature` and the header's key field for that version, `publicKeyHash`,
 * `transactionId` and `applicationData` when there is one: what Apple signs, and nothing else.
 *
 * @example
 * ```ts
 * const paymentData = cleanPaymentData(envelope.token.paymentData);
 * JSON.stringify(paymentData); // safe: strings in a fixed, shallow shape
 * ```
 * @throws {ProxyError} `token_invalid`, naming the check.
 */
export function cleanPaymentData(input: Record<string, unknown>): ApplePayPaymentData {
  // Copied field by field first (own properties only), and that copy is what is checked and passed on.
  const h = own(input, 'header');
  const header = isObject(h)
    ? {
        ephemeralPublicKey: own(h, 'ephemeralPublicKey'),
        wrappedKey: own(h, 'wrappedKey'),
        publicKeyHash: own(h, 'publicKeyHash'),
        transactionId: own(h, 'transactionId'),
        applicationData: own(h, 'applicationData'),
      }
    : h;
  const copy = { version: own(input, 'version'), data: own(input, 'data'), signature: own(input, 'signature'), header };
  let version: ApplePayPaymentData['version'];
  try {
    ({ version } = decodePaymentData(copy));
  } catch (err) {
    if (err instanceof PaymentTokenError) {
      throw new ProxyError('token_invalid', `The Apple Pay token was refused (${err.code})`, { cause: err });
    }
    throw err;
  }
  // decodePaymentData checked each field kept below: a string of the right kind and size.
  const checked = copy.header as Record<string, unknown>;
  const key = version === 'EC_v1' ? 'ephemeralPublicKey' : 'wrappedKey';
  const out: ApplePayPaymentData = {
    version,
    data: copy.data as string,
    signature: copy.signature as string,
    header: {
      [key]: checked[key] as string,
      publicKeyHash: checked.publicKeyHash as string,
      transactionId: checked.transactionId as string,
    },
  };
  // Kept as Apple sent it (an empty one too): the bank checks the signature over it.
  if (typeof checked.applicationData === 'string') out.header.applicationData = checked.applicationData;
  return out;
}

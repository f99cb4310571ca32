/**
 * @module Pure: checks a posted `ApplePayPayment` against the shape Apple documents and rebuilds it from the known
 * fields only, so that nothing the client added is passed on (in passthrough mode `paymentData` goes to the bank as
 * JSON). Unknown keys are dropped at every level: Apple adds optional fields over iOS releases (contacts gained phonetic
 * names and sub-localities), none of them is read here, and inside `paymentData` Apple's signature covers only the
 * named fields, so an extra key carries nothing the bank could trust. A known key of the wrong type, or a string
 * longer than any Apple sends, is refused: Apple never sends one, and guessing what was meant is how a malformed value
 * reaches the bank. `null` is taken as an absent optional field: a client serialising Apple's object may write one.
 */
import * as v from 'valibot';
import { ProxyError } from '../errors.js';
import { FIRST_ISSUE, isPlainObject, plainObject, requestProblem } from '../schema.js';
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

/** A field of the client's object, own properties only: JSON may name `__proto__` or `constructor`. */
function own(o: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(o, key) ? o[key] : undefined;
}

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

/** An optional string field: absent or `null` is no value; anything but a string up to `max` is refused. */
function text(max: number) {
  const rule = `must be a string of at most ${max} characters`;
  return v.nullish(v.pipe(v.string(rule), v.maxLength(max, rule)));
}

/** The same schema for each of `keys`. */
function sameFor<const K extends readonly string[], S>(keys: K, schema: S): { [P in K[number]]: S } {
  return Object.fromEntries(keys.map((k) => [k, schema])) as { [P in K[number]]: S };
}

/** The object without its `null` fields: a client serialising Apple's object may write one for an absent field. */
function withoutNulls<T extends object>(o: T): { [K in keyof T]: Exclude<T[K], null> } {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === null) delete o[k];
  return o as { [K in keyof T]: Exclude<T[K], null> };
}

const CONTACT = v.pipe(
  plainObject(
    {
      ...sameFor(CONTACT_FIELDS, text(MAX_CONTACT_FIELD_CHARS)),
      addressLines: v.nullish(
        v.pipe(
          v.array(
            v.pipe(
              v.string(`must be a string of at most ${MAX_CONTACT_FIELD_CHARS} characters`),
              v.maxLength(MAX_CONTACT_FIELD_CHARS, `must be a string of at most ${MAX_CONTACT_FIELD_CHARS} characters`),
            ),
            `must be an array of at most ${MAX_ADDRESS_LINES} strings`,
          ),
          v.maxLength(MAX_ADDRESS_LINES, `must be an array of at most ${MAX_ADDRESS_LINES} strings`),
        ),
      ),
    },
    { notObject: 'must be an object' },
  ),
  v.transform(withoutNulls),
);

const PAYMENT_METHOD = v.pipe(
  plainObject(
    {
      ...sameFor(PAYMENT_METHOD_FIELDS, text(MAX_METHOD_FIELD_CHARS)),
      paymentPass: v.nullish(
        v.pipe(
          plainObject(sameFor(PAYMENT_PASS_FIELDS, text(MAX_METHOD_FIELD_CHARS)), { notObject: 'must be an object' }),
          v.transform(withoutNulls),
        ),
      ),
      billingContact: v.nullish(CONTACT),
    },
    { notObject: 'must be an object' },
  ),
  v.transform(withoutNulls),
);

/**
 * `ApplePayPayment` around its `paymentData`: unknown keys dropped at every level (valibot's objects keep only the
 * keys they name, read from the object itself), `null` fields dropped, the rest checked.
 */
export const PAYMENT_SCHEMA = v.pipe(
  plainObject(
    {
      token: plainObject(
        {
          // Its contents are cleanPaymentData's, with the token decoder's rules and the token_invalid code.
          paymentData: v.custom<Record<string, unknown>>(isPlainObject, 'must be an object'),
          paymentMethod: v.nullish(PAYMENT_METHOD),
          transactionIdentifier: text(MAX_TRANSACTION_IDENTIFIER_CHARS),
        },
        { notObject: 'must be an object', missing: { paymentData: 'must be an object' } },
      ),
      billingContact: v.nullish(CONTACT),
      shippingContact: v.nullish(CONTACT),
    },
    { notObject: 'must be the ApplePayPayment object', missing: { token: 'must be an object' } },
  ),
  v.transform(({ token, ...rest }) => withoutNulls({ ...rest, token: withoutNulls(token) })),
);

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
  const r = v.safeParse(PAYMENT_SCHEMA, input, FIRST_ISSUE);
  if (!r.success) throw new ProxyError('invalid_request', requestProblem(r.issues[0], 'payment'));
  return r.output;
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
  const header = isPlainObject(h)
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

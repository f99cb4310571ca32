/** @module Pure: checks the decrypted Apple Pay payload and keeps the fields ePay can charge (3-D Secure only). */
import { PaymentTokenError } from './payment-token-error.js';

/**
 * The decrypted `data` of a payment token (Apple's "payment data keys"), as far as ePay can use it. Apple also
 * documents an `EMV` kind (older American Express, China UnionPay) that carries `emvData` instead of a cryptogram;
 * ePay's `cryptopay` takes only a 3-D Secure cryptogram, so {@link parseDecryptedPayload} refuses it.
 */
export interface DecryptedPaymentData {
  /** The device PAN: never log it, never send it to the browser. */
  applicationPrimaryAccountNumber: string;
  /** YYMMDD. */
  applicationExpirationDate: string;
  /** ISO 4217 numeric, e.g. "398" for KZT. */
  currencyCode: string;
  /** In the currency's minor units. */
  transactionAmount: number;
  cardholderName?: string;
  deviceManufacturerIdentifier: string;
  paymentDataType: '3DSecure';
  paymentData: {
    /** Base64 online payment cryptogram; never empty. Never log it. */
    onlinePaymentCryptogram: string;
    eciIndicator?: string;
  };
}

function invalid(what: string): PaymentTokenError {
  // Name the field, never its value: the payload holds the PAN and the cryptogram.
  return new PaymentTokenError('payload_invalid', `The decrypted payload has no valid ${what}.`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalString(record: Record<string, unknown>, key: string, what: string): string | undefined {
  const value = record[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalid(what);
  return value;
}

/** Apple's `paymentDataType` for a payload without a 3-D Secure cryptogram. */
const EMV_PAYMENT_DATA_TYPE = 'EMV';

/**
 * Parses the plaintext of `data`. Throws `PaymentTokenError('payload_invalid')` naming the field at fault, and
 * `PaymentTokenError('unsupported_payment_data_type')` for an `EMV` payload: it has no `onlinePaymentCryptogram`,
 * and ePay would be sent an empty `cryptogramApplePay`.
 *
 * @example
 * const payload = parseDecryptedPayload(plaintext);
 * payload.applicationExpirationDate; // '240930'
 */
export function parseDecryptedPayload(plaintext: Buffer): DecryptedPaymentData {
  let json: unknown;
  try {
    json = JSON.parse(plaintext.toString('utf8'));
  } catch {
    throw invalid('JSON');
  }
  if (!isRecord(json)) throw invalid('JSON object');
  const type = json.paymentDataType;
  if (type === EMV_PAYMENT_DATA_TYPE) {
    // First, so the refusal names the real reason: the payload is genuine, only not one ePay can charge.
    throw new PaymentTokenError(
      'unsupported_payment_data_type',
      'EMV payment data is not supported by ePay; only 3DSecure.',
    );
  }

  const pan = json.applicationPrimaryAccountNumber;
  if (typeof pan !== 'string' || !/^\d{12,19}$/.test(pan)) throw invalid('applicationPrimaryAccountNumber');
  const expiry = json.applicationExpirationDate;
  if (typeof expiry !== 'string' || !/^\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])$/.test(expiry)) {
    throw invalid('applicationExpirationDate');
  }
  const currencyCode = json.currencyCode;
  if (typeof currencyCode !== 'string' || !/^\d{3}$/.test(currencyCode)) throw invalid('currencyCode');
  const amount = json.transactionAmount;
  if (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount < 0) throw invalid('transactionAmount');
  const device = json.deviceManufacturerIdentifier;
  if (typeof device !== 'string') throw invalid('deviceManufacturerIdentifier');
  if (type !== '3DSecure') throw invalid('paymentDataType');
  const details = json.paymentData;
  if (!isRecord(details)) throw invalid('paymentData');

  const cryptogram = optionalString(details, 'onlinePaymentCryptogram', 'onlinePaymentCryptogram');
  // An empty cryptogram would reach the bank as an empty `cryptogramApplePay`.
  if (!cryptogram?.trim()) throw invalid('onlinePaymentCryptogram');
  const paymentData: DecryptedPaymentData['paymentData'] = { onlinePaymentCryptogram: cryptogram };
  const eci = optionalString(details, 'eciIndicator', 'eciIndicator');
  if (eci !== undefined) paymentData.eciIndicator = eci;

  const result: DecryptedPaymentData = {
    applicationPrimaryAccountNumber: pan,
    applicationExpirationDate: expiry,
    currencyCode,
    transactionAmount: amount,
    deviceManufacturerIdentifier: device,
    paymentDataType: type,
    paymentData,
  };
  const cardholderName = optionalString(json, 'cardholderName', 'cardholderName');
  if (cardholderName !== undefined) result.cardholderName = cardholderName;
  return result;
}

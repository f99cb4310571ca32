/** @module Pure: checks the decrypted Apple Pay payload and keeps the fields Apple documents. */
import { PaymentTokenError } from './payment-token-error.js';

/** The decrypted `data` of a payment token (Apple's "payment data keys"). */
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
  paymentDataType: '3DSecure' | 'EMV';
  paymentData: {
    onlinePaymentCryptogram?: string;
    eciIndicator?: string;
    emvData?: string;
    encryptedPINData?: string;
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

/**
 * Parses the plaintext of `data`. Throws `PaymentTokenError('payload_invalid')` naming the field at fault.
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
  const type = json.paymentDataType;
  if (type !== '3DSecure' && type !== 'EMV') throw invalid('paymentDataType');
  const details = json.paymentData;
  if (!isRecord(details)) throw invalid('paymentData');

  const paymentData: DecryptedPaymentData['paymentData'] = {};
  const cryptogram = optionalString(details, 'onlinePaymentCryptogram', 'onlinePaymentCryptogram');
  const eci = optionalString(details, 'eciIndicator', 'eciIndicator');
  const emvData = optionalString(details, 'emvData', 'emvData');
  const pinData = optionalString(details, 'encryptedPINData', 'encryptedPINData');
  if (type === '3DSecure' && !cryptogram) throw invalid('onlinePaymentCryptogram');
  if (type === 'EMV' && !emvData) throw invalid('emvData');
  if (cryptogram !== undefined) paymentData.onlinePaymentCryptogram = cryptogram;
  if (eci !== undefined) paymentData.eciIndicator = eci;
  if (emvData !== undefined) paymentData.emvData = emvData;
  if (pinData !== undefined) paymentData.encryptedPINData = pinData;

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

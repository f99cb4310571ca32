/**
 * @module The one place that maps (order, Apple Pay payment, decrypted token) to ePay's `cryptopay` body, for both
 * token modes (docs/epay-api.md, "The cryptogram"). Nothing else knows which card data goes where.
 */
import type { TokenMode } from '../config.js';
import type { Order } from '../order.js';
import type { ApplePayPayment, DecryptedCard } from '../applepay/payment-types.js';
import type { CryptogramFields } from './cryptogram.js';

/** Halyk's iOS SDK placeholders for passthrough mode (docs/epay-api.md, "The cryptogram"). */
export const PASSTHROUGH_HPAN = 'AppleToken';
export const PASSTHROUGH_EXP = 'expToken';
/** Longest name, email and phone passed on; Apple's contact fields are free text. */
const MAX_CONTACT_FIELD = 256;

/** `cryptopay`'s JSON body less `cryptogram`, plus the structure that `cryptogram` encrypts. */
export interface CryptopayRequest {
  body: Record<string, unknown>;
  card: CryptogramFields;
}

function text(v: unknown): string {
  return typeof v === 'string' ? v.trim().slice(0, MAX_CONTACT_FIELD) : '';
}

/** Apple's contact fields are whatever the customer typed: a value the bank would refuse is left out, not sent. */
const EMAIL_RE = /^[^\s@]{1,64}@[^\s@]+\.[^\s@]{2,}$/;
const PHONE_RE = /^\+?[\d\s()-]{7,20}$/;

function email(v: unknown): string {
  const s = text(v);
  return s.length <= 254 && EMAIL_RE.test(s) ? s : '';
}

function phone(v: unknown): string {
  const s = text(v);
  return PHONE_RE.test(s) && (s.match(/\d/g)?.length ?? 0) >= 7 ? s : '';
}

/** MMYY from Apple's YYMMDD. */
export function expDateFromApple(yymmdd: string): string {
  if (!/^\d{6}$/.test(yymmdd)) throw new Error('applicationExpirationDate is not YYMMDD');
  return yymmdd.slice(2, 4) + yymmdd.slice(0, 2);
}

/** The card holder's name as ePay wants it: given + family name of the billing contact. */
export function holderName(payment: ApplePayPayment): string {
  const b = payment.billingContact ?? {};
  return [text(b.givenName), text(b.familyName)].filter(Boolean).join(' ');
}

/**
 * Builds the `cryptopay` request.
 *
 * @param decrypted the decrypted token in `decrypt` mode; ignored in `passthrough` mode.
 */
export function buildCryptopayRequest(input: {
  order: Order;
  payment: ApplePayPayment;
  mode: TokenMode;
  terminalId: string;
  decrypted?: DecryptedCard;
  /** With `WEBHOOK_URL`: the proxy's own notification link, sent as both `postLink` and `failurePostLink`. */
  notificationLink?: string;
}): CryptopayRequest {
  const { order, payment, mode, terminalId, decrypted, notificationLink } = input;
  let card: CryptogramFields;
  let cryptogramApplePay: string;
  let eci: string | undefined;
  if (mode === 'decrypt') {
    if (!decrypted) throw new Error('decrypt mode needs the decrypted token');
    card = {
      hpan: decrypted.applicationPrimaryAccountNumber,
      expDate: expDateFromApple(decrypted.applicationExpirationDate),
      cvc: '',
      terminalId,
    };
    cryptogramApplePay = decrypted.paymentData.onlinePaymentCryptogram ?? '';
    eci = decrypted.paymentData.eciIndicator;
  } else {
    card = { hpan: PASSTHROUGH_HPAN, expDate: PASSTHROUGH_EXP, cvc: '', terminalId };
    cryptogramApplePay = Buffer.from(JSON.stringify(payment.token.paymentData), 'utf8').toString('base64');
  }
  const shipping = payment.shippingContact ?? {};
  const body: Record<string, unknown> = {
    amount: order.amount,
    currency: order.currency,
    name: holderName(payment),
    cryptogramApplePay,
    invoiceId: order.invoiceId,
  };
  if (eci) body.eci = eci;
  if (order.invoiceIdAlt !== undefined) body.invoiceIdAlt = order.invoiceIdAlt;
  if (order.description !== undefined) body.description = order.description;
  if (order.accountId !== undefined) body.accountId = order.accountId;
  const customerEmail = email(shipping.emailAddress);
  const customerPhone = phone(shipping.phoneNumber);
  if (customerEmail) body.email = customerEmail;
  if (customerPhone) body.phone = customerPhone;
  if (order.backLink !== undefined) body.backLink = order.backLink;
  if (order.failureBackLink !== undefined) body.failureBackLink = order.failureBackLink;
  if (notificationLink !== undefined) {
    body.postLink = notificationLink;
    body.failurePostLink = notificationLink;
  } else {
    if (order.postLink !== undefined) body.postLink = order.postLink;
    if (order.failurePostLink !== undefined) body.failurePostLink = order.failurePostLink;
  }
  body.paymentType = 'applePay';
  body.cardSave = false;
  // In the cryptogram and, as the bank's own SDK sends it, in the body.
  body.terminalId = terminalId;
  return { body, card };
}

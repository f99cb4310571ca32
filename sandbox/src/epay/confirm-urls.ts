/** @module The bank's result pages that `payment/confirm` redirects to (docs/epay-api.md). */
import { BANK_LANGUAGE } from './notifications.js';
import type { PaymentDetails } from './payment-details.js';
import type { Charge } from './types.js';

/** The bank's success page. */
export const CONFIRM_SUCCESS_PAGE = 'https://epay.homebank.kz/payform/success.html';
/** The bank's failure page. */
export const CONFIRM_FAILURE_PAGE = 'https://epay.homebank.kz/payform/';

/**
 * The success page with `amount currency invoiceID accountID description reference language cardid`.
 *
 * @example
 * ```ts
 * confirmSuccessUrl(charge, details); // 'https://epay.homebank.kz/payform/success.html?amount=100.11&…'
 * ```
 */
export function confirmSuccessUrl(charge: Charge, details: PaymentDetails): string {
  const query = new URLSearchParams({
    amount: String(charge.amount),
    currency: charge.currency,
    invoiceID: charge.invoiceId,
    accountID: details.accountId,
    description: details.description,
    reference: charge.reference,
    language: BANK_LANGUAGE,
    cardid: details.cardId,
  });
  return `${CONFIRM_SUCCESS_PAGE}?${query.toString()}`;
}

/**
 * The failure page with `invoiceID code message` (or, as the bank's SDK reads it, `errorCode` for `code`).
 *
 * @example
 * ```ts
 * confirmFailureUrl('000000123456', { code: 455, message: '3-D Secure authentication failed' });
 * ```
 */
export function confirmFailureUrl(
  invoiceId: string,
  failure: { code: number; message: string },
  codeParam: 'code' | 'errorCode' = 'code',
): string {
  const query = new URLSearchParams({
    invoiceID: invoiceId,
    [codeParam]: String(failure.code),
    message: failure.message,
  });
  return `${CONFIRM_FAILURE_PAGE}?${query.toString()}`;
}

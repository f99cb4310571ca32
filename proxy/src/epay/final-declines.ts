/**
 * @module The short list of `cryptopay` refusal codes that are final card declines. The bank publishes no list of
 * final codes, so a refusal is settled by the status call first; this list only decides a refusal whose status the
 * bank cannot tell. See docs/money-rules.md.
 */

/**
 * Issuer refusals (ISO 8583 field 39 response codes, which ePay's codes follow) and the bank's own "not permitted to
 * merchant". Anything else (477 "operation already exists", 458/497/502 payment-system timeouts, 493/494 issuer
 * unavailable, unknown codes) may have charged, and stays `outcome_unknown` without the status call.
 */
export const FINAL_DECLINE_CODES: ReadonlyMap<number, string> = new Map([
  [5, 'ISO 8583 05: do not honor'],
  [51, 'ISO 8583 51: insufficient funds'],
  [54, 'ISO 8583 54: expired card'],
  [57, 'ISO 8583 57: transaction not permitted to cardholder'],
  [61, 'ISO 8583 61: exceeds withdrawal amount limit'],
  [62, 'ISO 8583 62: restricted card'],
  [65, 'ISO 8583 65: exceeds withdrawal frequency limit'],
  [487, 'ePay 487: not permitted to merchant (public integrations of the API)'],
]);

/**
 * Whether a refusal code is a final card decline on its own.
 *
 * @example
 * ```ts
 * isFinalDecline(51); // true
 * isFinalDecline(477); // false: "operation already exists" is answered for payments that went through
 * ```
 */
export function isFinalDecline(code: number | undefined): boolean {
  return code !== undefined && FINAL_DECLINE_CODES.has(code);
}

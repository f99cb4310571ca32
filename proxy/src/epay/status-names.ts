/**
 * @module The bank's transaction status names (`statusName` of the status call) and the rules read from them, in one
 * place. See docs/money-rules.md.
 */

/** Money is held (AUTH, two-stage terminal) or taken (CHARGE): the customer paid. */
const PAID: ReadonlySet<string> = new Set(['AUTH', 'CHARGE']);

/**
 * The customer did not pay: refused by the bank (REJECT) or the issuer (FAILED), a failed 3-D Secure check (`3D`), or
 * an authorization whose funds were released (CANCEL, CANCEL_OLD). NEW (still being processed) is not final, and
 * REFUND (paid, then returned) is neither paid nor unpaid for a payment attempt.
 */
const UNPAID: ReadonlySet<string> = new Set(['FAILED', 'REJECT', '3D', 'CANCEL', 'CANCEL_OLD']);

/**
 * Whether a status name says the customer paid.
 *
 * @example
 * ```ts
 * isPaid('CHARGE'); // true
 * isPaid('NEW'); // false
 * ```
 */
export function isPaid(statusName: string): boolean {
  return PAID.has(statusName.toUpperCase());
}

/**
 * Whether a status name says the customer did not pay, for good.
 *
 * @example
 * ```ts
 * isUnpaid('3D'); // true: the 3-D Secure check failed
 * isUnpaid('NEW'); // false: not final yet
 * ```
 */
export function isUnpaid(statusName: string): boolean {
  return UNPAID.has(statusName.toUpperCase());
}

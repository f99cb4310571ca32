/** @module What the bank may show of a card: a mask and a brand, never the number. */

/** Passthrough payments hide the card inside Apple's still-encrypted token, so the sandbox shows a stand-in mask. */
export const PASSTHROUGH_CARD_MASK = '440043******0000';

/** The sandbox's issuer name in notifications. */
export const SANDBOX_ISSUER = 'SANDBOX BANK';

/**
 * First six and last four digits, the rest as `*`.
 *
 * @example
 * ```ts
 * maskPan('4400430000000001'); // '440043******0001'
 * ```
 */
export function maskPan(pan: string): string {
  return `${pan.slice(0, 6)}${'*'.repeat(Math.max(pan.length - 10, 0))}${pan.slice(-4)}`;
}

/**
 * The brand of a card from its mask or number.
 *
 * @example
 * ```ts
 * cardType('440043******0001'); // 'VISA'
 * ```
 */
export function cardType(maskOrPan: string): string {
  if (maskOrPan.startsWith('4')) return 'VISA';
  if (/^(?:5[1-5]|2[2-7])/.test(maskOrPan)) return 'MASTERCARD';
  return 'UNKNOWN';
}

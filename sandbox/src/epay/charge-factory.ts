/** @module New ledger lines and the bank-side numbers that go with them. */
import { randomInt, randomUUID } from 'node:crypto';
import type { Charge } from './types.js';

/** Retrieval reference numbers are 12 digits (the bank's example: `114537489258`). */
const REFERENCE_DIGITS = 12;
/** Approval codes are 6 digits. */
const APPROVAL_CODE_DIGITS = 6;

/**
 * A new transaction with a fresh id (UUID) and reference.
 *
 * @example
 * ```ts
 * ledger.transactions.push(newCharge({ invoiceId, amount, currency, statusName: 'AUTH', reasonCode: '00', cardMask }));
 * ```
 */
export function newCharge(fields: Omit<Charge, 'id' | 'reference' | 'createdAt'>): Charge {
  // A reference never starts with 0, so it survives being read as a number.
  const reference = String(randomInt(1, 10)) + randomDigits(REFERENCE_DIGITS - 1);
  return { id: randomUUID(), reference, createdAt: new Date(), ...fields };
}

/**
 * A random approval code.
 *
 * @example
 * ```ts
 * newApprovalCode(); // '042917'
 * ```
 */
export function newApprovalCode(): string {
  return randomDigits(APPROVAL_CODE_DIGITS);
}

function randomDigits(count: number): string {
  let digits = '';
  while (digits.length < count) digits += String(randomInt(0, 10));
  return digits;
}

/** @module New ledger lines and the bank-side numbers that go with them. */
import { randomInt, randomUUID } from 'node:crypto';
import type { Charge } from './types.js';

/** Retrieval reference numbers are 12 digits (the bank's example: `114537489258`). */
const REFERENCE_DIGITS = 12;
/** Approval codes are 6 digits. */
const APPROVAL_CODE_DIGITS = 6;

/**
 * A new transaction with a fresh id (UUID) and reference, no operations yet, and the whole amount charged when it is
 * recorded as CHARGE (a single-stage terminal).
 *
 * @example
 * ```ts
 * ledger.transactions.push(newCharge({ invoiceId, amount, currency, statusName: 'AUTH', reasonCode: '00', cardMask }));
 * ```
 */
export function newCharge(
  fields: Omit<Charge, 'id' | 'reference' | 'createdAt' | 'operations' | 'chargedAmount' | 'refundedAmount'>,
): Charge {
  // A reference never starts with 0, so it survives being read as a number.
  const reference = String(randomInt(1, 10)) + randomDigits(REFERENCE_DIGITS - 1);
  return {
    id: randomUUID(),
    reference,
    createdAt: new Date(),
    ...fields,
    operations: [],
    chargedAmount: fields.statusName === 'CHARGE' ? fields.amount : 0,
    refundedAmount: 0,
  };
}

/**
 * Marks a transaction approved: AUTH on a two-stage terminal (the money is held until a charge), CHARGE with the whole
 * amount taken on a single-stage one (docs/sandbox.md).
 *
 * @example
 * ```ts
 * approve(charge, state.config.singleStage);
 * ```
 */
export function approve(charge: Charge, singleStage: boolean): void {
  charge.statusName = approvedStatus(singleStage);
  charge.reasonCode = '00';
  charge.chargedAmount = singleStage ? charge.amount : 0;
}

/**
 * The status of a paid payment on this terminal.
 *
 * @example
 * ```ts
 * approvedStatus(false); // 'AUTH'
 * ```
 */
export function approvedStatus(singleStage: boolean): 'AUTH' | 'CHARGE' {
  return singleStage ? 'CHARGE' : 'AUTH';
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

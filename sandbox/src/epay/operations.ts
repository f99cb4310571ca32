/** @module The rules of the operations on a paid payment: charge (capture) and cancel (void) an AUTH, refund a charge. */
import { fromMinorUnits, toMinorUnits } from './amount.js';
import { BANK_ERRORS, type BankError } from './bank-errors.js';
import type { Charge, ChargeOperation, OperationFaultKind, OperationKind } from './types.js';

/**
 * The smallest refund: 10 KZT per the bank (docs/sandbox.md). The bank names no minimum for other currencies; the
 * sandbox holds them to 10 as well.
 */
export const MIN_REFUND_AMOUNT = 10;

/** Every kind of queued operation fault, in a fixed order. */
export const OPERATION_FAULT_KINDS: readonly OperationFaultKind[] = [
  'hang',
  '5xx',
  'garbage',
  'dropped_after',
  'dropped_before',
];

/** What a valid operation call asks for; `amount` left out means the default (all, or all that is left). */
export interface OperationRequest {
  amount?: number;
  externalId?: string;
}

/** The outcome of an allowed operation, before it is recorded. */
export interface OperationPlan {
  kind: OperationKind;
  amount: number;
  statusName: Charge['statusName'];
}

/** An operation decided: what it does, or why the bank refuses it. */
export type OperationDecision = { ok: true; plan: OperationPlan } | { ok: false; error: BankError; detail: string };

/**
 * Decides an operation on a transaction without changing it. A charge and a cancel need AUTH; a charge takes all or
 * part of the amount. A refund needs CHARGE or PARTIAL_REFUND, gives back at most what is left of the charged amount
 * and at least {@link MIN_REFUND_AMOUNT}, and leaves REFUND when nothing is left.
 *
 * @example
 * ```ts
 * decideOperation(charge, 'refund', { amount: 40 }); // { ok: true, plan: { kind: 'refund', amount: 40, statusName: 'PARTIAL_REFUND' } }
 * ```
 */
export function decideOperation(charge: Charge, kind: OperationKind, request: OperationRequest): OperationDecision {
  const refuse = (error: BankError, detail: string): OperationDecision => ({ ok: false, error, detail });
  const asked = request.amount === undefined ? undefined : toMinorUnits(request.amount);

  if (kind === 'charge' || kind === 'cancel') {
    if (charge.statusName !== 'AUTH') {
      return refuse(BANK_ERRORS.invalidState, `${kind} needs AUTH, the payment is ${charge.statusName}`);
    }
    const authorized = toMinorUnits(charge.amount);
    if (kind === 'cancel') return { ok: true, plan: { kind, amount: charge.amount, statusName: 'CANCEL' } };
    if (asked !== undefined && asked > authorized) {
      return refuse(BANK_ERRORS.amountTooLarge, `charge of at most ${charge.amount}`);
    }
    return { ok: true, plan: { kind, amount: fromMinorUnits(asked ?? authorized), statusName: 'CHARGE' } };
  }

  if (charge.statusName !== 'CHARGE' && charge.statusName !== 'PARTIAL_REFUND') {
    return refuse(
      BANK_ERRORS.invalidState,
      `refund needs CHARGE or PARTIAL_REFUND, the payment is ${charge.statusName}`,
    );
  }
  const left = toMinorUnits(charge.chargedAmount ?? 0) - toMinorUnits(charge.refundedAmount ?? 0);
  const amount = asked ?? left;
  if (amount > left) return refuse(BANK_ERRORS.amountTooLarge, `refund of at most ${fromMinorUnits(left)}`);
  if (amount < toMinorUnits(MIN_REFUND_AMOUNT)) {
    return refuse(BANK_ERRORS.refundBelowMinimum, `refund of at least ${MIN_REFUND_AMOUNT}`);
  }
  return {
    ok: true,
    plan: { kind, amount: fromMinorUnits(amount), statusName: amount === left ? 'REFUND' : 'PARTIAL_REFUND' },
  };
}

/**
 * Records an allowed operation on its transaction: the new status, the totals, and one more entry in `operations`.
 *
 * @example
 * ```ts
 * const decided = decideOperation(charge, 'charge', {});
 * if (decided.ok) recordOperation(charge, decided.plan, undefined, new Date());
 * ```
 */
export function recordOperation(charge: Charge, plan: OperationPlan, externalId: string | undefined, at: Date): void {
  const operation: ChargeOperation = { kind: plan.kind, amount: plan.amount, at: at.toISOString() };
  if (externalId !== undefined) operation.externalId = externalId;
  charge.operations ??= [];
  charge.operations.push(operation);
  charge.statusName = plan.statusName;
  charge.chargedAmount ??= 0;
  charge.refundedAmount ??= 0;
  if (plan.kind === 'charge') charge.chargedAmount = plan.amount;
  if (plan.kind === 'refund') {
    charge.refundedAmount = fromMinorUnits(toMinorUnits(charge.refundedAmount) + toMinorUnits(plan.amount));
  }
}

/**
 * @module Capture, void and refund of a payment, with the payments' money rules: the bank's payment id and state come
 * from the status call, one operation per invoice at a time, an operation without a definite answer is never re-sent
 * blind (the status call settles it where the status shows it), and a refund whose outcome stays unknown blocks
 * further refunds of the invoice until the status call shows it (docs/operations-api.md).
 */
import type { EpayClient, OperationKind, StatusOutcome } from '../epay/client.js';
import { ProxyError } from '../errors.js';
import type { ProxyStore } from '../store.js';
import { isPartlyRefunded, type PaymentView, paymentView, stateOf } from './payment-view.js';

/** Whole budget of one operation, status calls included. */
export const OPERATION_BUDGET_MS = 24_000;
/** Status calls made at most to settle an operation without a clear answer, and the pause between them. */
export const OPERATION_STATUS_ATTEMPTS = 3;
export const OPERATION_STATUS_INTERVAL_MS = 1_000;
/** One operation per invoice at a time; the lock outlives any operation's budget. */
export const OPERATION_LOCK_TTL_MS = 60_000;
/** How long a refund of unknown outcome blocks further refunds unless the status call shows it first. */
export const UNKNOWN_REFUND_BLOCK_MS = 24 * 60 * 60_000;
/** The bank's smallest refund (in KZT; the same figure is applied to every currency). */
export const MIN_REFUND = 10;
/** How long the proxy remembers how much of a payment it refunded. */
export const REFUNDED_TTL_MS = 400 * 24 * 60 * 60_000;

export interface OperationDeps {
  epay: Pick<EpayClient, 'status' | 'operation'>;
  store: ProxyStore;
}

export interface OperationInput {
  kind: OperationKind;
  invoiceId: string;
  /** Major units, at most two decimals; none: all (charge) or all that is left (refund). */
  amount?: number;
  /** The idempotency key's stable id: a refund's `externalID` is derived from it. */
  requestId: string;
}

export type OperationAnswer = { payment: PaymentView; refund?: { amount: number | null; externalId: string } };

/** The state each operation needs, and the bank names that show it done. */
const RULES: Record<
  OperationKind,
  { from: (statusName: string) => boolean; doneWhen: (statusName: string) => boolean; after: string }
> = {
  charge: { from: (n) => n === 'AUTH', doneWhen: (n) => n === 'CHARGE', after: 'CHARGE' },
  cancel: { from: (n) => n === 'AUTH', doneWhen: (n) => n === 'CANCEL' || n === 'CANCEL_OLD', after: 'CANCEL' },
  // Only a full refund shows in the status as done: a partial one leaves a partial-refund name that an earlier
  // refund may have left too, so it proves nothing.
  refund: { from: (n) => n === 'CHARGE' || isPartlyRefunded(n), doneWhen: (n) => n === 'REFUND', after: 'REFUND' },
};

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
type Found = Extract<StatusOutcome, { kind: 'found' }>;

/** The payment as the bank holds it now. @throws {ProxyError} `payment_not_found`, `bank_unavailable`. */
export async function currentPayment(deps: OperationDeps, invoiceId: string, deadline: number): Promise<Found> {
  const s = await deps.epay.status({ invoiceId }, deadline);
  if (s.kind === 'not_found') throw new ProxyError('payment_not_found', 'The bank holds no payment for this invoice');
  if (s.kind === 'no_answer') throw new ProxyError('bank_unavailable', 'The bank could not be asked; nothing was done');
  return s;
}

/**
 * Runs one operation.
 *
 * @example
 * ```ts
 * const { payment, refund } = await operate(deps, { kind: 'refund', invoiceId, amount: 500, requestId });
 * ```
 * @throws {ProxyError} `payment_not_found`, `invalid_state`, `invalid_amount`, `operation_refused`,
 *   `operation_in_progress`, `bank_unavailable`, `outcome_unknown`.
 */
export async function operate(deps: OperationDeps, input: OperationInput): Promise<OperationAnswer> {
  const deadline = Date.now() + OPERATION_BUDGET_MS;
  const lock = `op-lock:${input.invoiceId}`;
  if (!(await deps.store.claim(lock, OPERATION_LOCK_TTL_MS))) {
    throw new ProxyError('operation_in_progress', 'Another operation on this payment is running');
  }
  try {
    const before = await currentPayment(deps, input.invoiceId, deadline);
    const rule = RULES[input.kind];
    if (input.kind === 'refund') await checkNoUnknownRefund(deps, input.invoiceId, before);
    if (!rule.from(before.statusName)) {
      throw new ProxyError(
        'invalid_state',
        `A ${input.kind} needs a payment that is ${input.kind === 'refund' ? 'charged' : 'authorized'}`,
        {
          details: { state: stateOf(before.statusName) },
        },
      );
    }
    const refunded = input.kind === 'refund' ? Number((await deps.store.get(`refunded:${input.invoiceId}`)) ?? 0) : 0;
    checkAmount(input, before, refunded);
    const externalId = input.kind === 'refund' ? `r-${input.requestId}`.slice(0, 64) : undefined;
    const outcome = await deps.epay.operation(
      {
        kind: input.kind,
        id: before.id,
        ...(input.amount !== undefined ? { amount: input.amount } : {}),
        ...(externalId ? { externalId } : {}),
      },
      deadline,
    );
    const done = async (): Promise<OperationAnswer> => {
      if (input.kind === 'refund') {
        const total = input.amount === undefined ? (before.amount ?? refunded) : refunded + input.amount;
        await deps.store.put(`refunded:${input.invoiceId}`, String(Math.round(total * 100) / 100), REFUNDED_TTL_MS);
      }
      return {
        payment: { ...paymentView(input.invoiceId, before), ...afterView(input, before, refunded) },
        ...(externalId ? { refund: { amount: input.amount ?? null, externalId } } : {}),
      };
    };
    switch (outcome.kind) {
      case 'done':
        return done();
      case 'refused':
        throw new ProxyError('operation_refused', outcome.message || 'The bank refused the operation', {
          details: { bankCode: outcome.bankCode ?? null },
        });
      case 'not_sent':
        throw new ProxyError('bank_unavailable', 'The bank could not be reached; nothing was done');
      case 'unknown': {
        const settled = await settleOperation(deps, input, before, { deadline, bankError: outcome.bankError });
        if (settled === 'done') return done();
        if (settled === 'not_done')
          throw new ProxyError('bank_unavailable', 'The bank failed the operation; nothing was done');
        if (input.kind === 'refund') {
          await deps.store.put(
            `op-unknown:${input.invoiceId}`,
            JSON.stringify({ statusName: before.statusName, externalId }),
            UNKNOWN_REFUND_BLOCK_MS,
          );
        }
        throw new ProxyError(
          'outcome_unknown',
          `The bank did not confirm the ${input.kind} in time; check the payment before trying again`,
        );
      }
    }
  } finally {
    await deps.store.release(lock);
  }
}

/** A refund of unknown outcome blocks further refunds until the status shows it (the state moved on since). */
async function checkNoUnknownRefund(deps: OperationDeps, invoiceId: string, now: Found): Promise<void> {
  const raw = await deps.store.get(`op-unknown:${invoiceId}`);
  if (raw === undefined) return;
  const { statusName } = JSON.parse(raw) as { statusName: string };
  if (now.statusName !== statusName) {
    await deps.store.release(`op-unknown:${invoiceId}`);
    return;
  }
  throw new ProxyError(
    'operation_in_progress',
    'An earlier refund of this payment has an unknown outcome; the bank does not show it yet',
  );
}

/**
 * The amount must be within the payment, less what this proxy already refunded of it, and a refund at least the bank's
 * smallest (its form, > 0 with at most two decimals, is checked where the request is read).
 */
function checkAmount(input: OperationInput, payment: Found, refunded: number): void {
  if (input.amount === undefined) return;
  const bad = (why: string) => new ProxyError('invalid_amount', why);
  if (input.kind === 'cancel') throw bad('A cancel takes no amount: it releases the whole authorization');
  const left = payment.amount === undefined ? undefined : Math.round((payment.amount - refunded) * 100) / 100;
  if (left !== undefined && input.amount > left) throw bad(`The amount is more than the payment has left (${left})`);
  if (input.kind === 'refund' && input.amount < MIN_REFUND) throw bad(`A refund is at least ${MIN_REFUND}`);
}

/** The payment after an operation the bank took: the state it now has, in the bank's name for it. */
function afterView(input: OperationInput, before: Found, refunded: number): Pick<PaymentView, 'state' | 'bankStatus'> {
  const partial =
    input.kind === 'refund' &&
    input.amount !== undefined &&
    before.amount !== undefined &&
    refunded + input.amount < before.amount;
  const bankStatus = partial ? 'PARTIAL_REFUND' : RULES[input.kind].after;
  return { state: stateOf(bankStatus), bankStatus };
}

/**
 * What became of an operation without a clear answer: `done` when the status shows it; `not_done` only when the bank
 * itself answered with its own error and twice still shows the payment as before; otherwise `unknown`.
 */
async function settleOperation(
  deps: OperationDeps,
  input: OperationInput,
  before: Found,
  o: { deadline: number; bankError: boolean },
): Promise<'done' | 'not_done' | 'unknown'> {
  let unchanged = 0;
  for (let attempt = 0; attempt < OPERATION_STATUS_ATTEMPTS; attempt++) {
    if (attempt > 0) {
      if (o.deadline - Date.now() < OPERATION_STATUS_INTERVAL_MS * 2) break;
      await sleep(OPERATION_STATUS_INTERVAL_MS);
    }
    const s = await deps.epay.status({ invoiceId: input.invoiceId }, o.deadline);
    if (s.kind !== 'found' || s.id !== before.id) {
      unchanged = 0;
      continue;
    }
    if (RULES[input.kind].doneWhen(s.statusName)) return 'done';
    if (s.statusName === before.statusName && o.bankError && ++unchanged >= 2) return 'not_done';
  }
  return 'unknown';
}

/**
 * @module Capture, void and refund of a payment, with the payments' money rules: the bank's payment id and state come
 * from the status call, one operation per invoice at a time, an operation is written down before it is sent and never
 * re-sent blind, the status call settles an unclear answer where the status shows it, and an operation of unknown
 * outcome blocks the invoice's next operation until the status call shows it (docs/operations-api.md).
 */
import type { EpayClient, OperationKind, StatusOutcome } from '../epay/client.js';
import { ProxyError } from '../errors.js';
import { pollStatus } from '../payment/settle.js';
import type { PaymentEvents } from '../webhooks/event-service.js';
import type { ProxyStore } from '../store.js';
import { isPartlyRefunded, type PaymentView, paymentView, stateOf } from './payment-view.js';

/** Whole budget of one operation, status calls included. */
export const OPERATION_BUDGET_MS = 24_000;
/** Status calls made at most to settle an operation without a clear answer, and the pause between them. */
export const OPERATION_STATUS_ATTEMPTS = 3;
export const OPERATION_STATUS_INTERVAL_MS = 1_000;
/** One operation per invoice at a time; the lock outlives any operation's budget. */
export const OPERATION_LOCK_TTL_MS = 60_000;
/** How long an operation of unknown outcome blocks the invoice unless the status call shows it first. */
export const PENDING_BLOCK_MS = 24 * 60 * 60_000;
/** The bank's smallest refund (in KZT; the same figure is applied to every currency). */
export const MIN_REFUND = 10;
/** How long the proxy remembers what it captured and refunded of a payment. */
export const BOOKS_TTL_MS = 400 * 24 * 60 * 60_000;

export interface OperationDeps {
  epay: Pick<EpayClient, 'status' | 'operation'>;
  store: ProxyStore;
  /** With `WEBHOOK_URL`: each operation the bank did becomes an event (docs/webhooks.md). */
  events?: Pick<PaymentEvents, 'operationDone'>;
}

export interface OperationInput {
  kind: OperationKind;
  invoiceId: string;
  /** Major units, at most two decimals; none: all (charge) or all that is left (refund). */
  amount?: number;
  /** A stable id of the request (from its idempotency key): a refund's `externalID` is derived from it. */
  requestId: string;
}

export type OperationAnswer = { payment: PaymentView; refund?: { amount: number | null; externalId: string } };

/**
 * The state each operation needs, the bank names that show it done, and its name after. Only a full refund shows
 * as done by its name: a partial one leaves a partial-refund name that an earlier refund may have left too.
 */
const RULES: Record<
  OperationKind,
  { from: (statusName: string) => boolean; doneWhen: (statusName: string) => boolean; after: string }
> = {
  charge: { from: (n) => n === 'AUTH', doneWhen: (n) => n === 'CHARGE', after: 'CHARGE' },
  cancel: { from: (n) => n === 'AUTH', doneWhen: (n) => n === 'CANCEL' || n === 'CANCEL_OLD', after: 'CANCEL' },
  refund: { from: (n) => n === 'CHARGE' || isPartlyRefunded(n), doneWhen: (n) => n === 'REFUND', after: 'REFUND' },
};

type Found = Extract<StatusOutcome, { kind: 'found' }>;

/** An operation written down before it was sent, until the bank's answer says what happened. */
interface Pending {
  kind: OperationKind;
  amount: number | null;
  /** The payment's status name before it was sent. */
  statusName: string;
}

/** What this proxy did to the payment: the amount it captured (when it captured part), and what it refunded. */
interface Books {
  captured?: number;
  refunded: number;
  /** A refund of "all that is left" was done: nothing is left to refund. */
  all?: boolean;
}

const invoiceKeys = (invoiceId: string) => ({
  lock: `op-lock:${invoiceId}`,
  pending: `op-pending:${invoiceId}`,
  books: `op-books:${invoiceId}`,
});

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
 * Before anything is sent, the operation is written down as pending for the invoice; it is removed only once the
 * bank's answer says what happened. A crash, a lost answer or a store failure after the send therefore leaves it, and
 * every later operation of the invoice waits (409) until the status call shows what became of it.
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
  const keys = invoiceKeys(input.invoiceId);
  if (!(await deps.store.claim(keys.lock, OPERATION_LOCK_TTL_MS))) {
    throw new ProxyError('operation_in_progress', 'Another operation on this payment is running');
  }
  try {
    const before = await currentPayment(deps, input.invoiceId, deadline);
    await settlePending(deps, input.invoiceId, before);
    if (!RULES[input.kind].from(before.statusName)) {
      const needs = input.kind === 'refund' ? 'charged' : 'authorized';
      throw new ProxyError('invalid_state', `A ${input.kind} needs a payment that is ${needs}`, {
        details: { state: stateOf(before.statusName) },
      });
    }
    const books = await readBooks(deps, input.invoiceId);
    checkAmount(input, before, books);
    const externalId = input.kind === 'refund' ? `r-${input.requestId}`.slice(0, 64) : undefined;
    const pending: Pending = { kind: input.kind, amount: input.amount ?? null, statusName: before.statusName };
    // Written before the send: should anything fail from here on, the invoice stays blocked until the bank shows it.
    await deps.store.put(keys.pending, JSON.stringify(pending), PENDING_BLOCK_MS);
    const outcome = await deps.epay.operation(
      {
        kind: input.kind,
        id: before.id,
        ...(input.amount !== undefined ? { amount: input.amount } : {}),
        ...(externalId ? { externalId } : {}),
      },
      deadline,
    );
    const settled =
      outcome.kind === 'done'
        ? 'done'
        : outcome.kind === 'unknown'
          ? await settleOperation(deps, input, before, { deadline, bankError: outcome.bankError })
          : 'not_done';
    if (settled === 'done') {
      try {
        await book(deps, input.invoiceId, pending, books);
        await deps.store.drop(keys.pending);
      } catch {
        // The bank did it, but the books could not be written: the pending record (if it is still there) keeps the
        // invoice blocked until the status shows it, and this request must never run again under its key.
        throw new ProxyError(
          'outcome_unknown',
          `The bank did the ${input.kind}, but the proxy could not record it; check the payment`,
        );
      }
      const answer: OperationAnswer = {
        payment: { ...paymentView(input.invoiceId, before), ...afterView(input, before, books) },
        ...(externalId ? { refund: { amount: input.amount ?? null, externalId } } : {}),
      };
      if (deps.events) {
        // A refund of "all that is left" is reported with the amount it was: what was captured less earlier refunds.
        const base = books.captured ?? before.amount ?? 0;
        const refunded = input.amount ?? Math.round((base - books.refunded) * 100) / 100;
        deps.events.operationDone(
          input.kind,
          answer.payment,
          externalId ? { amount: refunded, externalId } : undefined,
        );
      }
      return answer;
    }
    if (settled === 'not_done') {
      // Should the store fail here, the record stays and blocks the invoice for a while: safe, never a second send.
      await deps.store.drop(keys.pending).catch(() => undefined);
      if (outcome.kind === 'refused') {
        throw new ProxyError('operation_refused', outcome.message || 'The bank refused the operation', {
          details: { bankCode: outcome.bankCode ?? null },
        });
      }
      throw new ProxyError('bank_unavailable', 'The bank did not do the operation; nothing was done');
    }
    throw new ProxyError(
      'outcome_unknown',
      `The bank did not confirm the ${input.kind} in time; check the payment before trying again`,
    );
  } finally {
    await deps.store.release(keys.lock);
  }
}

async function readBooks(deps: OperationDeps, invoiceId: string): Promise<Books> {
  const raw = await deps.store.get(invoiceKeys(invoiceId).books);
  return raw === undefined ? { refunded: 0 } : (JSON.parse(raw) as Books);
}

/** Adds an operation the bank did to the books. */
async function book(deps: OperationDeps, invoiceId: string, op: Pending, books: Books): Promise<void> {
  const next: Books = { ...books };
  if (op.kind === 'charge' && op.amount !== null) next.captured = op.amount;
  if (op.kind === 'refund' && op.amount === null) next.all = true;
  if (op.kind === 'refund' && op.amount !== null) next.refunded = Math.round((books.refunded + op.amount) * 100) / 100;
  await deps.store.put(invoiceKeys(invoiceId).books, JSON.stringify(next), BOOKS_TTL_MS);
}

/**
 * An operation still pending from before (its answer was lost, or the proxy stopped mid-way): when the status has
 * moved on since, the bank did it (it goes into the books); while the status shows the same, every operation of the
 * invoice waits.
 */
async function settlePending(deps: OperationDeps, invoiceId: string, now: Found): Promise<void> {
  const keys = invoiceKeys(invoiceId);
  const raw = await deps.store.get(keys.pending);
  if (raw === undefined) return;
  const pending = JSON.parse(raw) as Pending;
  if (now.statusName === pending.statusName) {
    throw new ProxyError(
      'operation_in_progress',
      `An earlier ${pending.kind} of this payment has an unknown outcome; the bank does not show it yet`,
    );
  }
  await book(deps, invoiceId, pending, await readBooks(deps, invoiceId));
  await deps.store.drop(keys.pending);
}

/**
 * The amount must be within the payment (what the proxy captured of it, when it captured part), less what this proxy
 * already refunded of it, and a refund at least the bank's smallest (its form, > 0 with at most two decimals, is
 * checked where the request is read).
 */
function checkAmount(input: OperationInput, payment: Found, books: Books): void {
  const bad = (why: string) => new ProxyError('invalid_amount', why);
  if (input.kind === 'refund' && books.all) throw bad('Nothing is left to refund');
  if (input.amount === undefined) return;
  if (input.kind === 'cancel') throw bad('A cancel takes no amount: it releases the whole authorization');
  const base = input.kind === 'refund' ? (books.captured ?? payment.amount) : payment.amount;
  const left =
    base === undefined ? undefined : Math.round((base - (input.kind === 'refund' ? books.refunded : 0)) * 100) / 100;
  if (left !== undefined && input.amount > left) throw bad(`The amount is more than the payment has left (${left})`);
  if (input.kind === 'refund' && input.amount < MIN_REFUND) throw bad(`A refund is at least ${MIN_REFUND}`);
}

/** The payment after an operation the bank took: the state it now has, in the bank's name for it. */
function afterView(input: OperationInput, before: Found, books: Books): Pick<PaymentView, 'state' | 'bankStatus'> {
  const base = books.captured ?? before.amount;
  const partial =
    input.kind === 'refund' &&
    input.amount !== undefined &&
    (base === undefined || books.refunded + input.amount < base);
  const bankStatus = partial ? 'PARTIAL_REFUND' : RULES[input.kind].after;
  return { state: stateOf(bankStatus), bankStatus };
}

/**
 * What became of an operation without a clear answer: `done` when the status shows it; `not_done` only when the bank
 * itself answered with its own error and the status, which would have changed had it been done, twice still shows the
 * payment as before (a partial refund of a partly refunded payment changes no name, so it is never proven); otherwise
 * `unknown`.
 */
async function settleOperation(
  deps: OperationDeps,
  input: OperationInput,
  before: Found,
  o: { deadline: number; bankError: boolean },
): Promise<'done' | 'not_done' | 'unknown'> {
  const provable = input.kind !== 'refund' || before.statusName === 'CHARGE';
  let unchanged = 0;
  const poll = { attempts: OPERATION_STATUS_ATTEMPTS, intervalMs: OPERATION_STATUS_INTERVAL_MS };
  const settled = await pollStatus(deps.epay, { invoiceId: input.invoiceId }, o.deadline, poll, (s) => {
    if (s.kind !== 'found' || s.id !== before.id) {
      unchanged = 0;
      return undefined;
    }
    if (RULES[input.kind].doneWhen(s.statusName)) return 'done' as const;
    if (provable && s.statusName === before.statusName && o.bankError && ++unchanged >= 2) return 'not_done' as const;
    return undefined;
  });
  return settled ?? 'unknown';
}

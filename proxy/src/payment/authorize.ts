/**
 * @module Authorizing a payment: one Apple Pay authorization taken to one definite answer (paid, 3-D Secure,
 * declined) or a typed error: order → Apple's token → ePay token → cryptogram → `cryptopay` → answer. Money safety
 * lives here: one payment per invoice at a time, and a `cryptopay` without a clear answer is settled by the status
 * call and never re-sent blind. See docs/money-rules.md.
 */
import type { ApplePayPayment, DecryptedCard } from '../applepay/payment-types.js';
import type { CryptopayOutcome } from '../epay/client.js';
import { encryptCryptogram } from '../epay/cryptogram.js';
import { buildCryptopayRequest, type CryptopayRequest } from '../epay/cryptopay-request.js';
import { isFinalDecline } from '../epay/final-declines.js';
import { isPaid, isUnpaid } from '../epay/status-names.js';
import { ProxyError } from '../errors.js';
import { currencyOf, toMinorUnits } from '../order.js';
import { mdDigest, type PaymentAnswer, THREE_DS_CONTEXT_TTL_MS, type ThreeDsContext } from './answer.js';
import type { PaymentAttempt } from './attempt.js';
import type { PaymentDeps } from './deps.js';
import { invoiceGuard } from './invoice-guard.js';
import { ANY_FAILURE, settle } from './settle.js';

/** Kept back from `cryptopay`'s own timeout so the status call can still settle within the budget. */
export const SETTLE_RESERVE_MS = 8_000;
/** Status calls made at most to settle one payment, and the pause between them. */
export const STATUS_ATTEMPTS = 3;
export const STATUS_POLL_INTERVAL_MS = 1_000;
/**
 * Errors after which this attempt left nothing at the bank (refused before cryptopay, or proven uncharged): the mark may
 * go, unless an earlier attempt's mark was there (the bank may hold that attempt's records).
 */
const NOTHING_OPEN_CODES: ReadonlySet<string> = new Set([
  'token_invalid',
  'token_expired',
  'amount_mismatch',
  'bank_unavailable',
]);
/** How the payment path polls the status call. */
const SETTLE_POLL = { attempts: STATUS_ATTEMPTS, intervalMs: STATUS_POLL_INTERVAL_MS } as const;

/** A bank answer that says the cryptogram could not be read: the bank may have rotated its key. */
function isCryptogramRejection(o: CryptopayOutcome): boolean {
  return o.kind === 'refused' && /cryptogram|криптограмм|decrypt/i.test(o.message);
}

/**
 * Takes one payment through ePay. The attempt's `log` holds what the request's log line says about it.
 *
 * @example
 * ```ts
 * const attempt = new PaymentAttempt(order, payment);
 * try {
 *   const answer = await takePayment(deps, attempt);
 * } finally {
 *   Object.assign(logLine, attempt.log);
 * }
 * ```
 * @throws {ProxyError} `payment_in_progress`, `token_invalid`, `token_expired`, `amount_mismatch`, `bank_unavailable`,
 *   `outcome_unknown`.
 */
export async function takePayment(deps: PaymentDeps, attempt: PaymentAttempt): Promise<PaymentAnswer> {
  const guard = invoiceGuard(deps.store, attempt.order);
  if (!(await guard.lock())) throw new ProxyError('payment_in_progress', 'This order is already being paid');
  let keepMark = true;
  let freshMark = false;
  try {
    freshMark = await guard.markMayHaveCharged();
    if (!freshMark) {
      const earlier = await earlierAttempt(deps, attempt, guard);
      if (earlier) return earlier;
    }
    const request = await readAppleToken(deps, attempt);
    if (!(await guard.claimAppleToken(appleTransactionId(attempt.payment), deps.config.apple.tokenMaxAgeS))) {
      throw new ProxyError('token_invalid', 'This Apple Pay token was already used');
    }
    let outcome = await sendOnce(deps, attempt, request);
    if (isCryptogramRejection(outcome) && (await deps.epay.refreshPublicKey(attempt.deadline))) {
      // The bank could not read the cryptogram and its key has changed: nothing was charged, so sending once
      // more under the new key is safe. Any other refusal is final. Should the second send need the status call,
      // a failed record may be the first send's, so none is taken as this one's outcome.
      attempt.staleFailures.add(ANY_FAILURE);
      outcome = await sendOnce(deps, attempt, request);
    }
    // Whatever the answer, the bank now holds a record of this invoice (paid, waiting for 3-D Secure, or failed): the
    // mark stays, so a retry asks the status call first and never takes this attempt's failure for its own.
    return await answer(deps, attempt, outcome);
  } catch (err) {
    // The mark goes only when this attempt set it and our own refusal before any bank call, or the bank's word, says
    // nothing of it is at the bank. An unknown outcome, an earlier attempt's mark (payment_in_progress included) or a
    // store failure keep it.
    keepMark = !(freshMark && err instanceof ProxyError && NOTHING_OPEN_CODES.has(err.code));
    if (err instanceof ProxyError && err.code === 'outcome_unknown') await guard.openSettlingWindow();
    throw err;
  } finally {
    await guard.release(keepMark);
  }
}

/**
 * An earlier attempt on this invoice may have charged or may be waiting for 3-D Secure: the status call decides
 * whether this one may go on (undefined), is answered from the bank's record, or must wait.
 */
async function earlierAttempt(
  deps: PaymentDeps,
  attempt: PaymentAttempt,
  guard: ReturnType<typeof invoiceGuard>,
): Promise<PaymentAnswer | undefined> {
  const s = await deps.epay.status(attempt.scope, attempt.deadline);
  if (s.kind === 'found' && isPaid(s.statusName)) {
    attempt.note('paid by an earlier attempt');
    return attempt.paid(s.id, s.reference);
  }
  // Declined earlier, or the bank holds nothing for it: this attempt may go on, unless an earlier attempt's outcome
  // was unknown a short while ago (its payment may still be on its way: "not found" or an older failure proves
  // nothing yet). The bank also refuses a reused invoice it charged, a second guard against a second charge.
  const settled = s.kind === 'not_found' || (s.kind === 'found' && isUnpaid(s.statusName));
  if (settled && (await guard.outsideSettlingWindow())) {
    attempt.staleFailures.add(s.kind === 'found' ? s.id : '');
    return undefined;
  }
  return attempt.fail('payment_in_progress', 'An earlier payment of this order is still open at the bank');
}

/** Apple's `transactionId`: unique per token, hex. */
function appleTransactionId(payment: ApplePayPayment): string {
  const header = payment.token.paymentData.header as { transactionId?: unknown } | undefined;
  const txId = typeof header?.transactionId === 'string' ? header.transactionId : '';
  if (!/^(?:[0-9a-fA-F]{2})+$/.test(txId))
    throw new ProxyError('token_invalid', 'The Apple Pay token has no valid transactionId');
  return txId;
}

/** Verifies and decrypts Apple's token (decrypt mode: the amount must be the order's), or checks its shape. */
async function readAppleToken(deps: PaymentDeps, attempt: PaymentAttempt): Promise<CryptopayRequest> {
  const { config } = deps;
  const { order, payment } = attempt;
  let decrypted: DecryptedCard | undefined;
  if (config.epay.tokenMode === 'decrypt') {
    const d = await deps.appleTokens.decrypt(payment.token.paymentData);
    const numeric = currencyOf(order.currency)?.numeric;
    if (d.transactionAmount !== toMinorUnits(order.amount, order.currency) || d.currencyCode !== numeric) {
      throw new ProxyError('amount_mismatch', 'The Apple Pay token is for another amount or currency than the order');
    }
    decrypted = d;
  } else {
    await deps.appleTokens.checkShape(payment.token.paymentData);
  }
  return buildCryptopayRequest({
    order,
    payment,
    mode: config.epay.tokenMode,
    terminalId: config.epay.terminalId,
    decrypted,
    ...(deps.events ? { notificationLink: deps.events.notificationLink(order) } : {}),
  });
}

/** One `cryptopay`: a payment token and the bank's key, the cryptogram, the call. Never re-sent by the caller blind. */
async function sendOnce(
  deps: PaymentDeps,
  attempt: PaymentAttempt,
  request: CryptopayRequest,
): Promise<CryptopayOutcome> {
  const { epay } = deps;
  const [token, key] = await Promise.all([
    epay.getPaymentToken(attempt.scope, attempt.deadline),
    epay.getPublicKey(attempt.deadline),
  ]);
  if (!token.ok) {
    attempt.note(token.reason);
    return { kind: 'not_sent', reason: 'no bank token' };
  }
  if (!key) return { kind: 'not_sent', reason: 'no bank public key' };
  const body = { ...request.body, cryptogram: encryptCryptogram(request.card, key) };
  return epay.cryptopay(body, token.token, attempt.deadline - SETTLE_RESERVE_MS);
}

/** The answer for `cryptopay`'s outcome: at once where it is clear, else through the status call. */
async function answer(deps: PaymentDeps, attempt: PaymentAttempt, outcome: CryptopayOutcome): Promise<PaymentAnswer> {
  const { scope, deadline, staleFailures } = attempt;
  switch (outcome.kind) {
    case 'paid':
      return attempt.paid(outcome.id, outcome.reference);
    case '3ds':
      return threeDsAnswer(deps, attempt, outcome);
    case 'refused': {
      // A refusal is a decline only on the bank's proof: the status call shows the payment unpaid or the invoice not
      // found (the bank answered, so nothing is on its way). Should the status call be unable to tell, a known final
      // card decline is one; any other code may have charged (477 "operation already exists").
      attempt.log.bankCode = outcome.bankCode;
      attempt.note(`refused: ${outcome.bankCode ?? 'no code'}`);
      const s = await settle(deps.epay, scope, deadline, { ...SETTLE_POLL, notFoundProofs: 1, staleFailures });
      if (s.kind === 'paid') return attempt.paid(s.id, s.reference);
      if (s.kind === 'unpaid' || s.kind === 'not_found' || (!s.open && isFinalDecline(outcome.bankCode))) {
        return attempt.declined(outcome.bankCode, outcome.message);
      }
      attempt.note(s.reason);
      return attempt.fail('outcome_unknown', OUTCOME_UNKNOWN_MESSAGE);
    }
    case 'not_sent':
      attempt.log.reason ??= outcome.reason;
      return attempt.fail('bank_unavailable', 'The bank could not be reached; nothing was charged');
    case 'token_refused':
      attempt.note(`cryptopay refused the access token (HTTP ${outcome.status})`);
      return attempt.fail('bank_unavailable', 'The bank refused the request; nothing was charged');
    case 'not_final':
    case 'unknown': {
      if (outcome.kind === 'not_final') attempt.log.bankCode = outcome.bankCode;
      attempt.note(outcome.kind === 'not_final' ? `not final: ${outcome.bankCode}` : outcome.reason);
      // The bank itself answered cryptopay with an error: twice in a row "not found" proves nothing was charged. After
      // a timeout, a dropped connection, garbage or a not-final code, "not found" proves nothing (the payment may
      // still be on its way), so those stay unknown.
      const bankError = outcome.kind === 'unknown' && outcome.bankError;
      const s = await settle(deps.epay, scope, deadline, {
        ...SETTLE_POLL,
        notFoundProofs: bankError ? 2 : 0,
        staleFailures,
      });
      if (s.kind === 'paid') return attempt.paid(s.id, s.reference);
      if (s.kind === 'unpaid')
        return attempt.declined(/^\d+$/.test(s.reasonCode) ? Number(s.reasonCode) : undefined, s.message);
      if (s.kind === 'not_found')
        return attempt.fail('bank_unavailable', 'The bank failed to take the payment; nothing was charged');
      attempt.note(s.reason);
      return attempt.fail('outcome_unknown', OUTCOME_UNKNOWN_MESSAGE);
    }
  }
}

const OUTCOME_UNKNOWN_MESSAGE =
  'The bank did not confirm the outcome in time; check the order before asking the customer to pay again';

/** The bank asks for 3-D Secure: the form for the customer's browser, with its context sealed into the `TermUrl`. */
function threeDsAnswer(
  deps: PaymentDeps,
  attempt: PaymentAttempt,
  outcome: Extract<CryptopayOutcome, { kind: '3ds' }>,
): PaymentAnswer {
  attempt.log.outcome = '3ds';
  const { order } = attempt;
  const ctx: ThreeDsContext = {
    id: outcome.id,
    invoiceId: order.invoiceId,
    amount: order.amount,
    currency: order.currency,
    mdHash: mdDigest(outcome.md),
  };
  if (order.backLink) ctx.backLink = order.backLink;
  if (order.failureBackLink) ctx.failureBackLink = order.failureBackLink;
  const sealed = deps.sealer.seal(ctx, THREE_DS_CONTEXT_TTL_MS);
  return {
    status: '3ds',
    form: {
      action: outcome.action,
      fields: { PaReq: outcome.paReq, MD: outcome.md, TermUrl: `${deps.config.publicUrl}/3ds/callback?ctx=${sealed}` },
    },
  };
}

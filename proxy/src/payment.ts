/**
 * @module The payment: one Apple Pay authorization taken to one definite answer (paid, 3-D Secure, declined) or a
 * typed error. Money safety lives here: one payment per invoice at a time, a `cryptopay` without a clear answer is
 * settled by the status call and never retried blind.
 */
import { createHash } from 'node:crypto';
import type { ProxyConfig } from './config.js';
import { ProxyError } from './errors.js';
import type { EpayClient, CryptopayOutcome, TokenScope } from './epay/client.js';
import { encryptCryptogram } from './epay/cryptogram.js';
import { buildCryptopayRequest, type ApplePayPayment, type DecryptedCard } from './epay/cryptopay-request.js';
import { isFinalDecline } from './epay/final-declines.js';
import { isPaid, isUnpaid } from './epay/status-names.js';
import { CURRENCIES, toMinorUnits, type Order } from './order.js';
import type { Sealer } from './seal.js';
import { ANY_FAILURE, settle, type Settlement } from './settle.js';
import type { ProxyStore } from './store.js';

/** Whole budget of one payment: the answer must reach the element before Apple's 30 s (interface.md: 25 s). */
export const PAYMENT_BUDGET_MS = 24_000; // + RELEASE_WAIT_MS: under interface.md's 25 s
/** Kept back from `cryptopay`'s own timeout so the status call can still settle within the budget. */
export const SETTLE_RESERVE_MS = 8_000;
/** Status calls made at most to settle one payment, and the pause between them. */
export const STATUS_ATTEMPTS = 3;
export const STATUS_POLL_INTERVAL_MS = 1_000;
/** The in-flight lock outlives any payment's budget, in case an instance dies holding it. */
export const INVOICE_LOCK_TTL_MS = 60_000;
/**
 * After an unknown outcome, how long a retry of the order is answered only from the bank's "paid" (else 409): a late
 * payment shows up at the bank within this, and "not found" or an older failure before it proves nothing.
 */
export const SETTLING_WINDOW_MS = 2 * 60_000;
/** Longest the answer waits for the store to release its keys. */
export const RELEASE_WAIT_MS = 500;
/** Errors after which this attempt left nothing open at the bank (refused before cryptopay, or proven uncharged). */
const NOTHING_OPEN_CODES: ReadonlySet<string> = new Set(['token_invalid', 'token_expired', 'amount_mismatch', 'bank_unavailable']);
/** Longest an invoice stays marked as possibly charged (beyond the 3-D Secure window). */
export const MAX_OPEN_MARK_MS = 24 * 60 * 60_000;
/** How long the bank's 3-D Secure step may take before the callback is refused. */
export const THREE_DS_CONTEXT_TTL_MS = 30 * 60_000;
/** Apple's clock and ours may differ this much. */
export const REPLAY_SKEW_MS = 60_000;

/** What the proxy answers for a payment. */
export type PaymentAnswer =
  | { status: 'paid'; payment: { id: string; invoiceId: string; amount: number; currency: string; reference: string } }
  | { status: '3ds'; form: { action: string; fields: { PaReq: string; MD: string; TermUrl: string } } }
  | { status: 'declined'; error: { code: 'declined'; bankCode: number | null; message: string } };

/** The 3-D Secure context sealed into the `TermUrl`. */
export interface ThreeDsContext {
  /** The bank's payment id. */
  id: string;
  invoiceId: string;
  amount: number;
  currency: string;
  backLink?: string;
  failureBackLink?: string;
  /** {@link mdDigest} of the bank's `MD`: a callback post with another `MD` is refused before the bank is called. */
  mdHash?: string;
}
/**
 * The digest of a 3-D Secure `MD` that the sealed context carries, so a post with another payment's `MD` is refused
 * before the bank is called (a fixed size, whatever the bank's `MD`).
 *
 * @example
 * ```ts
 * const ctx = { ...context, mdHash: mdDigest(bankAnswer.md) };
 * ```
 */
export function mdDigest(md: string): string {
  return createHash('sha256').update(md).digest('base64url');
}


/** Verifies and decrypts `paymentData` (decrypt mode), or checks its shape (passthrough mode: the bank decrypts). */
export interface TokenOpener {
  decrypt(paymentData: unknown): Promise<DecryptedCard & { transactionAmount: number; currencyCode: string }>;
  checkShape(paymentData: unknown): Promise<void>;
}

export interface PaymentDeps {
  config: ProxyConfig;
  epay: EpayClient;
  store: ProxyStore;
  sealer: Sealer;
  tokens: TokenOpener;
}

/** Facts about the attempt for the request's log line; never card data. */
export interface PaymentTrace {
  outcome?: string;
  bankCode?: number;
  reason?: string;
}

/** A bank answer that says the cryptogram could not be read: the bank may have rotated its key. */
function isCryptogramRejection(o: CryptopayOutcome): boolean {
  return o.kind === 'refused' && /cryptogram|криптограмм|decrypt/i.test(o.message);
}

function declined(bankCode: number | undefined, message: string): PaymentAnswer {
  return { status: 'declined', error: { code: 'declined', bankCode: bankCode ?? null, message: message || 'Declined by the bank' } };
}

/**
 * Takes one payment through ePay.
 *
 * @throws {ProxyError} `payment_in_progress`, `token_invalid`, `token_expired`, `amount_mismatch`, `bank_unavailable`,
 *   `outcome_unknown`.
 */
export async function takePayment(
  deps: PaymentDeps,
  order: Order,
  payment: ApplePayPayment,
  trace: PaymentTrace = {},
): Promise<PaymentAnswer> {
  const { config, epay, store } = deps;
  const deadline = Date.now() + PAYMENT_BUDGET_MS;
  const lock = `lock:${order.invoiceId}`;
  if (!(await store.claim(lock, INVOICE_LOCK_TTL_MS))) {
    throw new ProxyError('payment_in_progress', 'This order is already being paid');
  }
  const scope: TokenScope = { invoiceId: order.invoiceId, amount: order.amount, currency: order.currency };
  // The invoice stays marked while an attempt may have charged (paid, 3-D Secure pending, outcome unknown), so that
  // a new authorization for the same order asks the bank before it can send cryptopay again.
  const openKey = `open:${order.invoiceId}`;
  const openTtl = Math.min(MAX_OPEN_MARK_MS, Math.max(0, order.exp * 1000 - Date.now())) + THREE_DS_CONTEXT_TTL_MS;
  let keepOpenMark = false;
  /** Failed transactions of earlier attempts: a status answer naming one of them says nothing about this attempt. */
  const staleFailures = new Set<string>();
  try {
    if (!(await store.claim(openKey, openTtl))) {
      const earlier = await earlierAttempt(deps, order, scope, deadline, trace);
      if ('answer' in earlier) {
        keepOpenMark = true;
        return earlier.answer;
      }
      staleFailures.add(earlier.failedId);
    }
    let decrypted: DecryptedCard | undefined;
    if (config.epay.tokenMode === 'decrypt') {
      const d = await deps.tokens.decrypt(payment.token.paymentData);
      const numeric = CURRENCIES[order.currency]?.numeric;
      if (d.transactionAmount !== toMinorUnits(order.amount, order.currency) || d.currencyCode !== numeric) {
        throw new ProxyError('amount_mismatch', 'The Apple Pay token is for another amount or currency than the order');
      }
      decrypted = d;
    } else {
      await deps.tokens.checkShape(payment.token.paymentData);
    }
    // Apple's transactionId is unique per token: a token is accepted once within its max age. The key is the
    // canonical (lower-case) hex of the signed bytes, so another spelling of the same id is the same token.
    const header = payment.token.paymentData.header as { transactionId?: unknown } | undefined;
    const txId = typeof header?.transactionId === 'string' ? header.transactionId : '';
    if (!/^(?:[0-9a-fA-F]{2})+$/.test(txId)) throw new ProxyError('token_invalid', 'The Apple Pay token has no valid transactionId');
    if (!(await store.claim(`apple-tx:${txId.toLowerCase()}`, config.apple.tokenMaxAgeS * 1000 + REPLAY_SKEW_MS))) {
      throw new ProxyError('token_invalid', 'This Apple Pay token was already used');
    }

    const request = buildCryptopayRequest({
      order,
      payment,
      mode: config.epay.tokenMode,
      terminalId: config.epay.terminalId,
      decrypted,
    });
    const send = async (): Promise<CryptopayOutcome> => {
      const [token, key] = await Promise.all([epay.getToken(scope, deadline), epay.getPublicKey(deadline)]);
      if (!token.ok) {
        trace.reason = token.reason;
        return { kind: 'not_sent', reason: 'no bank token' };
      }
      if (!key) return { kind: 'not_sent', reason: 'no bank public key' };
      const body = { ...request.body, cryptogram: encryptCryptogram(request.card, key) };
      return epay.cryptopay(body, token.token, deadline - SETTLE_RESERVE_MS);
    };

    let outcome = await send();
    if (isCryptogramRejection(outcome) && (await epay.refreshPublicKey(deadline))) {
      // The bank could not read the cryptogram and its key has changed: nothing was charged, so sending once
      // more under the new key is safe. Any other refusal is final. Should the second send need the status call,
      // a failed record may be the first send's, so none is taken as this one's outcome.
      staleFailures.add(ANY_FAILURE);
      outcome = await send();
    }
    const result = await answer(deps, order, scope, outcome, deadline, trace, staleFailures);
    keepOpenMark = result.status !== 'declined';
    return result;
  } catch (err) {
    // The mark goes only when the bank's word or our own refusal before any bank call says nothing is open: an
    // unknown outcome, an earlier attempt still open (payment_in_progress) or a store failure keep it.
    keepOpenMark = !(err instanceof ProxyError && NOTHING_OPEN_CODES.has(err.code));
    if (err instanceof ProxyError && err.code === 'outcome_unknown') {
      // The payment may still land at the bank: for a while, only the bank's "paid" answers a retry of this order.
      await store.claim(`settling:${order.invoiceId}`, SETTLING_WINDOW_MS).catch(() => false);
    }
    throw err;
  } finally {
    // Bounded, so a stalled shared store cannot push the answer past its budget; a release never throws, and the
    // keys expire by themselves.
    const releases = Promise.all([keepOpenMark ? undefined : store.release(openKey), store.release(lock)]);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([releases, new Promise<void>((r) => (timer = setTimeout(r, RELEASE_WAIT_MS)))]);
    clearTimeout(timer);
  }
}

/**
 * An earlier attempt on this invoice may have charged or may be waiting for 3-D Secure: the status call decides
 * whether this one may go on (undefined), is answered from the bank's record, or must wait.
 */
async function earlierAttempt(
  deps: PaymentDeps,
  order: Order,
  scope: TokenScope,
  deadline: number,
  trace: PaymentTrace,
): Promise<{ answer: PaymentAnswer } | { failedId: string }> {
  const s = await deps.epay.status(scope, deadline);
  if (s.kind === 'found' && isPaid(s.statusName)) {
    trace.outcome = 'paid';
    trace.reason = 'paid by an earlier attempt';
    return { answer: paidAnswer(order, s.id, s.reference) };
  }
  // Declined earlier, or the bank holds nothing for it: this attempt may go on, unless an earlier attempt's outcome
  // was unknown a short while ago (its payment may still be on its way: "not found" or an older failure proves
  // nothing yet). The bank also refuses a reused invoice it charged, a second guard against a second charge.
  const settled = s.kind === 'not_found' || (s.kind === 'found' && isUnpaid(s.statusName));
  if (settled && (await deps.store.claim(`settling:${order.invoiceId}`, 1))) {
    return { failedId: s.kind === 'found' ? s.id : '' };
  }
  trace.outcome = 'payment_in_progress';
  throw new ProxyError('payment_in_progress', 'An earlier payment of this order is still open at the bank');
}

function paidAnswer(order: Order, id: string, reference: string): PaymentAnswer {
  return { status: 'paid', payment: { id, invoiceId: order.invoiceId, amount: order.amount, currency: order.currency, reference } };
}

async function answer(
  deps: PaymentDeps,
  order: Order,
  scope: TokenScope,
  outcome: CryptopayOutcome,
  deadline: number,
  trace: PaymentTrace,
  staleFailures: ReadonlySet<string>,
): Promise<PaymentAnswer> {
  switch (outcome.kind) {
    case 'paid':
      trace.outcome = 'paid';
      return paidAnswer(order, outcome.id, outcome.reference);
    case '3ds': {
      trace.outcome = '3ds';
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
    case 'refused': {
      // A refusal is a decline only on the bank's proof: the status call shows the payment unpaid or the invoice not
      // found (the bank answered, so nothing is on its way). Should the status call be unable to tell, a known final
      // card decline is one; any other code may have charged (477 "operation already exists").
      trace.bankCode = outcome.bankCode;
      trace.reason = `refused: ${outcome.bankCode ?? 'no code'}`;
      const s = await settle(deps.epay, scope, deadline, { ...SETTLE_POLL, notFoundProofs: 1, staleFailures });
      if (s.kind === 'paid') return paidFromStatus(order, s, trace);
      if (s.kind === 'unpaid' || s.kind === 'not_found' || (!s.open && isFinalDecline(outcome.bankCode))) {
        trace.outcome = 'declined';
        return declined(outcome.bankCode, outcome.message);
      }
      return unknownOutcome(trace, s.reason);
    }
    case 'not_sent':
      trace.outcome = 'bank_unavailable';
      trace.reason ??= outcome.reason;
      throw new ProxyError('bank_unavailable', 'The bank could not be reached; nothing was charged');
    case 'token_refused':
      trace.outcome = 'bank_unavailable';
      trace.reason = `cryptopay refused the access token (HTTP ${outcome.status})`;
      throw new ProxyError('bank_unavailable', 'The bank refused the request; nothing was charged');
    case 'not_final':
    case 'unknown': {
      trace.reason = outcome.kind === 'not_final' ? `not final: ${outcome.bankCode}` : outcome.reason;
      if (outcome.kind === 'not_final') trace.bankCode = outcome.bankCode;
      // The bank itself answered cryptopay with an error: twice in a row "not found" proves nothing was charged. After
      // a timeout, a dropped connection, garbage or a not-final code, "not found" proves nothing (the payment may
      // still be on its way), so those stay unknown.
      const bankError = outcome.kind === 'unknown' && outcome.bankError;
      const s = await settle(deps.epay, scope, deadline, { ...SETTLE_POLL, notFoundProofs: bankError ? 2 : 0, staleFailures });
      if (s.kind === 'paid') return paidFromStatus(order, s, trace);
      if (s.kind === 'unpaid') {
        const code = /^\d+$/.test(s.reasonCode) ? Number(s.reasonCode) : undefined;
        trace.outcome = 'declined';
        trace.bankCode = code;
        return declined(code, s.message);
      }
      if (s.kind === 'not_found') {
        trace.outcome = 'bank_unavailable';
        throw new ProxyError('bank_unavailable', 'The bank failed to take the payment; nothing was charged');
      }
      return unknownOutcome(trace, s.reason);
    }
  }
}

/** How the payment path polls the status call. */
const SETTLE_POLL = { attempts: STATUS_ATTEMPTS, intervalMs: STATUS_POLL_INTERVAL_MS } as const;

function paidFromStatus(order: Order, s: Extract<Settlement, { kind: 'paid' }>, trace: PaymentTrace): PaymentAnswer {
  trace.outcome = 'paid';
  return paidAnswer(order, s.id, s.reference);
}

function unknownOutcome(trace: PaymentTrace, reason: string): never {
  trace.outcome = 'outcome_unknown';
  trace.reason = trace.reason ? `${trace.reason}; ${reason}` : reason;
  throw new ProxyError(
    'outcome_unknown',
    'The bank did not confirm the outcome in time; check the order before asking the customer to pay again',
  );
}

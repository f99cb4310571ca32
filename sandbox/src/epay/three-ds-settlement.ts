/**
 * @module Settling a 3-D Secure payment once: by the merchant's first valid `payment/confirm`, or by the bank itself when
 * no confirm came within `threeDsSelfCompleteMs` of the customer's decision (the customer closed the tab).
 */
import { approve } from './charge-factory.js';
import { confirmFailureUrl, confirmSuccessUrl } from './confirm-urls.js';
import { buildNotification } from './notifications.js';
import type { PaymentDetails } from './payment-details.js';
import { THREE_DS_FAILED } from './scenarios.js';
import type { FakeEpayState } from './state.js';
import type { ThreeDsResult, ThreeDsSession } from './three-ds-store.js';
import type { Charge } from './types.js';

/**
 * Settles the payment as the customer's result says, unless it is settled already: AUTH (CHARGE with `singleStage`)
 * and a postLink for `Y`; `3D` with 455 and a failurePostLink for `N`. Synchronous, so a confirm and the bank's own
 * timer can never both get past the `settledBy` check. Returns whether it settled.
 *
 * @example
 * ```ts
 * settleThreeDs(state, { charge, details, session, result: 'Y', by: 'confirm' }); // true the first time, then false
 * ```
 */
export function settleThreeDs(
  state: FakeEpayState,
  settlement: {
    charge: Charge;
    details: PaymentDetails;
    session: ThreeDsSession;
    result: ThreeDsResult;
    by: 'confirm' | 'bank';
  },
): boolean {
  const { charge, details, session, result, by } = settlement;
  if (session.settledBy) return false;
  session.settledBy = by;
  session.selfCompletion?.abort();
  if (result === 'Y') {
    approve(charge, state.config.singleStage);
    state.notify(
      buildNotification(charge, details, state.config.terminalId, { ok: true, reason: 'success', reasonCode: '00' }),
    );
  } else {
    charge.statusName = '3D';
    charge.reasonCode = String(THREE_DS_FAILED.code);
    state.notify(
      buildNotification(charge, details, state.config.terminalId, {
        ok: false,
        reason: THREE_DS_FAILED.message,
        reasonCode: charge.reasonCode,
      }),
    );
  }
  return true;
}

/**
 * The bank's result page for a 3-D Secure result: the success page, or the failure page with 455. The same whether
 * the confirm settled the payment or came after the bank had.
 *
 * @example
 * ```ts
 * threeDsResultUrl(state, charge, details, 'N'); // 'https://epay.homebank.kz/payform/?invoiceID=…&code=455&message=…'
 * ```
 */
export function threeDsResultUrl(
  state: FakeEpayState,
  charge: Charge,
  details: PaymentDetails,
  result: ThreeDsResult,
): string {
  return result === 'Y'
    ? confirmSuccessUrl(charge, details)
    : confirmFailureUrl(charge.invoiceId, THREE_DS_FAILED, state.config.failureCodeParam);
}

/**
 * Starts the bank's clock once the customer has decided: unless a confirm settles the payment first, the bank stops
 * waiting after `threeDsSelfCompleteMs` and settles it itself. Nothing with `threeDsSelfCompleteMs: false`, a second
 * time for the same session, or for a payment no longer in the ledger; the bank's shutdown calls it off.
 *
 * @example
 * ```ts
 * session.result = 'Y';
 * scheduleThreeDsSelfCompletion(state, session);
 * ```
 */
export function scheduleThreeDsSelfCompletion(state: FakeEpayState, session: ThreeDsSession): void {
  const waitMs = state.config.threeDsSelfCompleteMs;
  if (waitMs === false || session.selfCompletion || session.settledBy || !session.result) return;
  const result = session.result;
  const cancel = new AbortController();
  session.selfCompletion = cancel;
  void state.sleep(waitMs, cancel.signal).then((elapsed) => {
    if (!elapsed || session.settledBy) return;
    // A ledger reset meanwhile forgets the payment: there is nothing left to settle.
    const charge = state.ledger.transactions.find((t) => t.id === session.chargeId);
    const details = charge ? state.payments.get(charge.id) : undefined;
    if (!charge || !details || charge.statusName !== 'NEW') return;
    settleThreeDs(state, { charge, details, session, result, by: 'bank' });
  });
}

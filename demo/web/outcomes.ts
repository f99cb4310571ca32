/**
 * @module The pages' shared half: the element's availability and outcome events in the page's log and its outcome line,
 * the ledger refreshed after each payment, and a new order when the one on the page is paid or has expired.
 */
import type { EpayApplePayButton, EpaySuccessDetail } from '@epay-applepay/widget';
import { money } from './basket.js';
import type { eventLog } from './event-log.js';
import { refreshLedger } from './ledger-panel.js';

/** What the outcome listeners touch on the page. */
export interface OutcomeView {
  log: ReturnType<typeof eventLog>;
  /** The `role=status` line that tells the customer what happened. */
  outcome: HTMLElement;
  /** Says why Apple Pay is not offered, when it is not. */
  unavailable: HTMLElement;
  ledger: HTMLTableSectionElement;
  /** Signs a new order for the page (after a payment, or when the order expired). */
  newOrder(reason: string): Promise<void>;
  /** Extra words after the amount of a paid order (the express page names the delivery). */
  paidExtra?(detail: EpaySuccessDetail): string;
}

/** An event's detail on one line, for the log. */
export const detailText = (e: Event) => JSON.stringify((e as CustomEvent).detail, null, 1).replace(/\n\s*/g, ' ');

/**
 * Listens for `epay-ready`, `epay-click` and the five outcomes of `button`, and returns the page's outcome setter.
 *
 * @example
 * const showOutcome = listenForOutcomes(button, { log, outcome, unavailable, ledger, newOrder });
 */
export function listenForOutcomes(button: EpayApplePayButton, view: OutcomeView) {
  const { log, outcome, unavailable, ledger, newOrder } = view;
  const showOutcome = (text: string, tone?: 'ok' | 'fail') => {
    outcome.textContent = text;
    outcome.className = `outcome${tone ? ` ${tone}` : ''}`;
  };
  button.addEventListener('epay-ready', (e) => {
    log.add('event', 'epay-ready', detailText(e));
    unavailable.hidden = e.detail.available;
    unavailable.textContent = e.detail.available
      ? ''
      : `Apple Pay is not offered here (${e.detail.reason ?? 'unknown'}).`;
  });
  button.addEventListener('epay-click', (e) => {
    showOutcome('');
    log.add('event', 'epay-click', detailText(e));
  });
  button.addEventListener('epay-success', (e) => {
    const p = e.detail.payment;
    log.add('event', 'epay-success', detailText(e), 'ok');
    showOutcome(
      `Paid: order ${p.invoiceId}, ${money(p.amount, p.currency)}${view.paidExtra?.(e.detail) ?? ''}, ` +
        `reference ${p.reference}. A new order is ready.`,
      'ok',
    );
    void refreshLedger(ledger);
    // The invoice is paid: the next payment needs a new order.
    void newOrder('after a payment');
  });
  button.addEventListener('epay-3ds', (e) => {
    log.add('event', 'epay-3ds', `${e.detail.action} (the element now posts the bank's form)`);
    showOutcome('The bank asks for 3-D Secure: going to its page…');
  });
  button.addEventListener('epay-declined', (e) => {
    log.add('event', 'epay-declined', detailText(e), 'fail');
    showOutcome(
      `Declined by the bank: ${e.detail.message} (code ${String(e.detail.bankCode)}). Nothing was charged; try another card.`,
      'fail',
    );
    void refreshLedger(ledger);
  });
  button.addEventListener('epay-cancel', (e) => {
    log.add('event', 'epay-cancel', detailText(e));
    showOutcome('You closed the sheet. Nothing was charged.');
  });
  button.addEventListener('epay-error', (e) => {
    log.add('event', 'epay-error', detailText(e), 'fail');
    showOutcome(`Error: ${e.detail.message} (${e.detail.code})`, 'fail');
    void refreshLedger(ledger);
    if (e.detail.code === 'invalid_order' || e.detail.code === 'order_expired') void newOrder('the order had expired');
  });
  return showOutcome;
}

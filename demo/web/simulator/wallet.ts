/**
 * @module The customer's side of the simulated Apple Pay: for each session of the shared fake `ApplePaySession`, the
 * sheet drawn in the page (sheet.ts) with the wallet's cards, a token minted by the sandbox Apple for the chosen card,
 * and a line in the page's log for every step. The session's rules (gesture, order of calls, Apple's 30 s per step)
 * are the fake's; this file only draws, reports, and passes the customer's choices to `authorize()` and `cancel()`.
 */
import { FakeSession, type FakeSheetView } from '../../../widget/test-support/fake-apple-pay-session.js';
import { mintToken, simulatorConfig } from './config.js';
import { openSheet, type SheetRequest } from './sheet.js';

/** How long the check mark or the failure stays on the sheet before it closes, as in Safari. */
const RESULT_SHOWN_MS = 700;

/** What the sheet reads of the payment request, beyond what it shows. */
interface WalletRequest extends SheetRequest {
  requiredBillingContactFields?: string[];
  requiredShippingContactFields?: string[];
}

/** Tells the page's event log what the simulated wallet is doing. */
function report(message: string): void {
  window.dispatchEvent(new CustomEvent('epay-demo-simulator', { detail: { message } }));
}

/**
 * What Apple checks of a merchant session before the customer may pay: signed, for this page's domain, not expired.
 *
 * @example
 * merchantSessionProblem({ merchantSessionIdentifier: 'x' }); // "the merchant session is not signed"
 */
export function merchantSessionProblem(s: unknown): string | undefined {
  const m = s as Record<string, unknown> | null;
  if (!m || typeof m !== 'object') return 'the merchant session is not an object';
  if (typeof m['merchantSessionIdentifier'] !== 'string' || typeof m['signature'] !== 'string')
    return 'the merchant session is not signed';
  if (m['domainName'] !== location.hostname)
    return `the merchant session is for ${String(m['domainName'])}, not ${location.hostname}`;
  if (typeof m['expiresAt'] !== 'number' || m['expiresAt'] < Date.now()) return 'the merchant session has expired';
  return undefined;
}

/**
 * Opens the sheet for a session that has just begun; the fake calls it (its `sheet` option) and reports to it.
 *
 * @example
 * installFakeApplePay({ sheet: openWallet });
 */
export function openWallet(session: FakeSession): FakeSheetView {
  const request = session.request as WalletRequest;
  let card = '';
  const sheet = openSheet(request, {
    pay: (chosen) => void pay(chosen),
    cancel: () => session.step !== 'ended' && session.cancel(),
  });
  report(`sheet opened: ${request.total.amount} ${request.currencyCode}`);
  // When the demo server cannot be reached the fake gets no validation URL either, and closes the sheet itself.
  simulatorConfig().then(
    (config) => {
      const { givenName = '', familyName = '' } = config.contact.billingContact;
      sheet.setCards(config.cards, `${givenName} ${familyName}`.trim());
    },
    () => undefined,
  );

  async function pay(chosen: string): Promise<void> {
    if (session.step !== 'waiting') return;
    card = chosen;
    sheet.lock();
    sheet.setStatus('Processing…', 'busy');
    let payment: { token: unknown; billingContact?: unknown; shippingContact?: unknown };
    try {
      const [token, config] = await Promise.all([
        mintToken(chosen, request.total.amount, request.currencyCode),
        simulatorConfig(),
      ]);
      payment = { token };
      if (request.requiredBillingContactFields?.length) payment.billingContact = config.contact.billingContact;
      if (request.requiredShippingContactFields?.length) payment.shippingContact = config.contact.shippingContact;
    } catch (err) {
      // No token: the customer may try again or cancel.
      sheet.unlock();
      sheet.setStatus(err instanceof Error ? err.message : 'No token', 'fail');
      return;
    }
    // The page or Apple may have closed the sheet while the token was minted.
    if (session.step === 'waiting') session.authorize(payment);
  }

  const closeLater = () => setTimeout(() => sheet.close(), RESULT_SHOWN_MS);
  return {
    validating: (validationURL) => report(`onvalidatemerchant: ${validationURL}`),
    merchantValidated(merchantSession) {
      const m = merchantSession as { displayName?: string; domainName: string };
      sheet.merchantVerified(m.displayName ?? request.total.label, m.domainName);
      report(`completeMerchantValidation: a session for ${m.domainName} from the sandbox Apple`);
    },
    authorized: () => report(`onpaymentauthorized: a token from the sandbox Apple for ${card}`),
    ended(reason) {
      if (session.endedBy === 'payment') {
        const ok = session.paymentStatus === FakeSession.STATUS_SUCCESS;
        sheet.setStatus(ok ? '\u2713 Done' : 'Payment not completed', ok ? 'ok' : 'fail');
        report(reason);
        closeLater();
      } else if (session.endedBy === 'failed') {
        sheet.setStatus(reason, 'fail');
        report(`oncancel: ${reason}`);
        closeLater();
      } else {
        report(session.endedBy === 'abort' ? reason : `oncancel: ${reason}`);
        sheet.close();
      }
    },
  };
}

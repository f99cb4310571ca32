/**
 * @module The customer's side of the simulated Apple Pay: for each session of the shared fake `ApplePaySession`, the
 * sheet drawn in the page (sheet.ts) with the wallet's cards and addresses, a token minted by the sandbox Apple for the
 * chosen card and the sheet's current total, and a line in the page's log for every step. The session's rules
 * (gesture, order of calls, Apple's 30 s per step, one update at a time, no payment while one is pending or errors
 * show) are the fake's; this file only draws, reports, and passes the customer's choices to `authorize()`,
 * `cancel()`, `selectShippingContact()`, `selectShippingMethod()` and `changeCouponCode()`.
 */
import {
  FakeSession,
  type FakeSheetView,
  type FakeUpdateKind,
} from '../../../widget/test-support/fake-apple-pay-session.js';
import { mintToken, simulatorConfig, type SimulatorConfig, type WalletAddress } from './config.js';
import { openSheet, type SheetRequest, type SheetState } from './sheet.js';

/** How long the check mark or the failure stays on the sheet before it closes, as in Safari. */
const RESULT_SHOWN_MS = 700;

/** What the sheet reads of the payment request, beyond what it shows. */
interface WalletRequest extends SheetRequest {
  requiredBillingContactFields?: string[];
  requiredShippingContactFields?: string[];
}

/** The session's handler each kind of update fires, and the page's call that answers it, as the log names them. */
const UPDATE_CALLS: Record<FakeUpdateKind, [fires: string, completes: string]> = {
  shippingContact: ['onshippingcontactselected', 'completeShippingContactSelection'],
  shippingMethod: ['onshippingmethodselected', 'completeShippingMethodSelection'],
  couponCode: ['oncouponcodechanged', 'completeCouponCodeChange'],
};

/** What Apple hands the page of an address before the customer authorizes: no street, no name (a redacted contact). */
function redacted(address: WalletAddress['address']): Record<string, unknown> {
  const { locality, administrativeArea, postalCode, countryCode, country } = address;
  return { locality, administrativeArea, postalCode, countryCode, country };
}

/** The contacts Apple returns with the payment: only the fields the request asked for. */
function paymentContacts(
  request: WalletRequest,
  config: SimulatorConfig,
  address: WalletAddress | undefined,
): { billingContact?: unknown; shippingContact?: unknown } {
  const contacts: { billingContact?: unknown; shippingContact?: unknown } = {};
  if (request.requiredBillingContactFields?.length) contacts.billingContact = config.contact.billingContact;
  const shipping = request.requiredShippingContactFields ?? [];
  if (shipping.length === 0) return contacts;
  const { emailAddress, phoneNumber } = config.contact.shippingContact;
  contacts.shippingContact = {
    ...(shipping.includes('name') ? config.contact.billingContact : {}),
    ...(shipping.includes('email') ? { emailAddress } : {}),
    ...(shipping.includes('phone') ? { phoneNumber } : {}),
    ...(shipping.includes('postalAddress') && address ? address.address : {}),
  };
  return contacts;
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
  const asksAddress = request.requiredShippingContactFields?.includes('postalAddress') ?? false;
  let card = '';
  let addresses: WalletAddress[] = [];
  let address: WalletAddress | undefined;
  const state = (): SheetState => ({
    total: session.total,
    lineItems: session.lineItems,
    shippingMethods: session.shippingMethods,
    ...(session.shippingMethod ? { shippingMethod: session.shippingMethod.identifier } : {}),
    couponOffered: session.couponOffered,
    couponCode: session.couponCode,
    errors: session.errors.map((e) => ({
      code: e.code,
      message: e.message,
      ...(e.contactField ? { contactField: e.contactField } : {}),
    })),
    ...(session.pending ? { pending: session.pending } : {}),
  });
  /** A change of the customer's, when the sheet takes one now; the sheet then shows the wait (and the choice). */
  const change = (what: string, act: () => void) => {
    if (session.step !== 'waiting' || session.pending) return;
    report(what);
    try {
      act();
    } catch (err) {
      sheet.setStatus(err instanceof Error ? err.message : String(err), 'fail');
    }
    sheet.show(state());
  };
  const sheet = openSheet(request, {
    pay: (chosen) => void pay(chosen),
    cancel: () => session.step !== 'ended' && session.cancel(),
    selectShippingMethod: (identifier) =>
      change(`the customer picked the shipping method ${identifier}`, () => session.selectShippingMethod(identifier)),
    applyCoupon: (code) =>
      change(`the customer entered the coupon code "${code}"`, () => session.changeCouponCode(code)),
    selectAddress: (id) => {
      const chosen = addresses.find((a) => a.id === id);
      if (!chosen) return;
      address = chosen;
      change(`the customer picked the address ${chosen.label}`, () =>
        session.selectShippingContact(redacted(chosen.address)),
      );
    },
  });
  sheet.show(state());
  report(`sheet opened: ${request.total.amount} ${request.currencyCode}`);
  // When the demo server cannot be reached the fake gets no validation URL either, and closes the sheet itself.
  simulatorConfig().then(
    (config) => {
      const { givenName = '', familyName = '' } = config.contact.billingContact;
      sheet.setCards(config.cards, `${givenName} ${familyName}`.trim());
      if (asksAddress) {
        addresses = config.addresses;
        address ??= addresses[0];
        sheet.setAddresses(addresses);
      }
    },
    () => undefined,
  );

  async function pay(chosen: string): Promise<void> {
    // Apple's sheet pays neither while it waits for the merchant's update nor while that update's errors show.
    if (session.step !== 'waiting' || session.pending || session.errors.length > 0) return;
    card = chosen;
    sheet.lock();
    sheet.setStatus('Processing…', 'busy');
    let payment: { token: unknown; billingContact?: unknown; shippingContact?: unknown };
    try {
      // The token is for what the sheet shows now: the last update's total, not the request's first one.
      const [token, config] = await Promise.all([
        mintToken(chosen, session.total.amount, request.currencyCode),
        simulatorConfig(),
      ]);
      payment = { token, ...paymentContacts(request, config, address) };
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
    authorized: () =>
      report(
        `onpaymentauthorized: a token from the sandbox Apple for ${card}, ${session.total.amount} ${request.currencyCode}`,
      ),
    updating(kind) {
      report(`${UPDATE_CALLS[kind][0]}: the sheet waits for the merchant`);
      sheet.show(state());
    },
    updated(kind, update) {
      const errors = update.errors?.length ? `, errors: ${update.errors.map((e) => e.code).join(', ')}` : '';
      report(`${UPDATE_CALLS[kind][1]}: total ${update.newTotal.amount}${errors}`);
      sheet.show(state());
    },
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

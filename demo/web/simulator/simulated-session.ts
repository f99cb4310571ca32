/**
 * @module A simulated `ApplePaySession` for browsers without Apple Pay: the subset of Apple Pay JS the element uses,
 * with Safari's rules (a user gesture to create it, one sheet at a time, each `complete*` once and in order, 30 s per
 * step). `onvalidatemerchant` gets the sandbox Apple gateway's URL, so the proxy's merchant validation is real;
 * `onpaymentauthorized` gets a token minted by the sandbox Apple for the chosen card.
 */
import { mintToken, simulatorConfig, type SimulatorConfig } from './config.js';
import { openSheet, type Sheet } from './sheet.js';

/** Safari's newest Apple Pay JS version. */
const MAX_VERSION = 14;
/** Apple cancels the sheet when the page takes longer than this over a step (validation, payment). */
const STEP_TIMEOUT_MS = 30_000;
/** How long the check mark or the failure stays on the sheet before it closes, as in Safari. */
const RESULT_SHOWN_MS = 700;

type State = 'new' | 'validating' | 'ready' | 'authorizing' | 'done';

/** Tells the page's event log what the simulated wallet is doing. */
function report(message: string): void {
  window.dispatchEvent(new CustomEvent('epay-demo-simulator', { detail: { message } }));
}

function invalidAccess(message: string): DOMException {
  return new DOMException(message, 'InvalidAccessError');
}

/** The payment request fields Safari insists on. */
interface Request {
  countryCode: string;
  currencyCode: string;
  supportedNetworks: string[];
  merchantCapabilities: string[];
  total: { label: string; amount: string };
  requiredBillingContactFields?: string[];
  requiredShippingContactFields?: string[];
}

function checkRequest(r: Partial<Request> | undefined): Request {
  if (!r || typeof r !== 'object') throw new TypeError('A payment request is required');
  if (!/^[A-Z]{2}$/.test(r.countryCode ?? '')) throw new TypeError('"countryCode" must be an ISO 3166 country code');
  if (!/^[A-Z]{3}$/.test(r.currencyCode ?? '')) throw new TypeError('"currencyCode" must be an ISO 4217 currency code');
  if (!Array.isArray(r.supportedNetworks) || r.supportedNetworks.length === 0) throw new TypeError('"supportedNetworks" is empty');
  if (!Array.isArray(r.merchantCapabilities) || !r.merchantCapabilities.includes('supports3DS')) {
    throw new TypeError('"merchantCapabilities" must include "supports3DS"');
  }
  if (!r.total || typeof r.total.label !== 'string' || !/^\d+(\.\d+)?$/.test(r.total.amount ?? '')) {
    throw new TypeError('"total" must have a label and a decimal amount');
  }
  return r as Request;
}

/** What Safari checks of a merchant session before it lets the customer pay. */
function sessionProblem(s: unknown): string | undefined {
  const m = s as Record<string, unknown> | null;
  if (!m || typeof m !== 'object') return 'the merchant session is not an object';
  if (typeof m['merchantSessionIdentifier'] !== 'string' || typeof m['signature'] !== 'string') return 'the merchant session is not signed';
  if (m['domainName'] !== location.hostname) return `the merchant session is for ${String(m['domainName'])}, not ${location.hostname}`;
  if (typeof m['expiresAt'] !== 'number' || m['expiresAt'] < Date.now()) return 'the merchant session has expired';
  return undefined;
}

let active: SimulatedApplePaySession | undefined;

/** The simulated `window.ApplePaySession`. */
export class SimulatedApplePaySession {
  static readonly STATUS_SUCCESS = 0;
  static readonly STATUS_FAILURE = 1;
  /** Marks the simulation, for the page (a real ApplePaySession has no such field). */
  static readonly simulated = true;

  static supportsVersion(version: number): boolean {
    return Number.isInteger(version) && version >= 1 && version <= MAX_VERSION;
  }

  static canMakePayments(): boolean {
    return true;
  }

  static canMakePaymentsWithActiveCard(_merchantIdentifier: string): Promise<boolean> {
    return Promise.resolve(true);
  }

  onvalidatemerchant: ((event: { validationURL: string }) => void) | null = null;
  onpaymentauthorized: ((event: { payment: unknown }) => void) | null = null;
  oncancel: ((event: { sessionError?: { code: string } }) => void) | null = null;

  private state: State = 'new';
  private readonly request: Request;
  private sheet: Sheet | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(version: number, request: Request) {
    // Safari: "Must create a new ApplePaySession from a user gesture handler."
    if (navigator.userActivation && !navigator.userActivation.isActive) {
      throw invalidAccess('Must create a new ApplePaySession from a user gesture handler.');
    }
    if (!SimulatedApplePaySession.supportsVersion(version)) throw invalidAccess(`Apple Pay JS version ${version} is not supported`);
    this.request = checkRequest(request);
  }

  begin(): void {
    if (this.state !== 'new') throw invalidAccess('This session has already begun');
    if (active) throw invalidAccess('Another Apple Pay sheet is already open');
    active = this;
    this.state = 'validating';
    this.sheet = openSheet(this.request, { pay: (card) => void this.pay(card), cancel: () => this.cancel('the customer cancelled') });
    report(`sheet opened: ${this.request.total.amount} ${this.request.currencyCode}`);
    this.arm('merchant validation');
    void simulatorConfig().then(
      (config) => this.startValidation(config),
      () => this.cancel('the simulator could not reach the demo server'),
    );
  }

  completeMerchantValidation(merchantSession: unknown): void {
    if (this.state !== 'validating') throw invalidAccess('completeMerchantValidation is not expected now');
    const problem = sessionProblem(merchantSession);
    if (problem) {
      // Safari closes the sheet on a session it cannot verify.
      this.sheet?.setStatus(`Merchant validation failed: ${problem}`, 'fail');
      report(`merchant session refused: ${problem}`);
      setTimeout(() => this.cancel('the merchant session was refused'), RESULT_SHOWN_MS);
      this.state = 'done';
      return;
    }
    const session = merchantSession as { displayName?: string; domainName: string };
    this.state = 'ready';
    clearTimeout(this.timer);
    this.sheet?.merchantVerified(session.displayName ?? this.request.total.label, session.domainName);
    report(`completeMerchantValidation: a session for ${session.domainName} from the sandbox Apple`);
  }

  completePayment(result: number | { status: number }): void {
    if (this.state !== 'authorizing') throw invalidAccess('completePayment is not expected now');
    const status = typeof result === 'number' ? result : result?.status;
    const ok = status === SimulatedApplePaySession.STATUS_SUCCESS;
    this.state = 'done';
    clearTimeout(this.timer);
    this.sheet?.setStatus(ok ? '\u2713 Done' : 'Payment not completed', ok ? 'ok' : 'fail');
    report(`completePayment(${ok ? 'STATUS_SUCCESS' : 'STATUS_FAILURE'})`);
    setTimeout(() => this.end(), RESULT_SHOWN_MS);
  }

  abort(): void {
    if (this.state === 'done' || this.state === 'new') throw invalidAccess('There is no sheet to abort');
    report('abort(): the page closed the sheet');
    this.state = 'done';
    this.end();
  }

  private startValidation(config: SimulatorConfig): void {
    if (this.state !== 'validating') return;
    const { givenName = '', familyName = '' } = config.contact.billingContact;
    this.sheet?.setCards(config.cards, `${givenName} ${familyName}`.trim());
    report(`onvalidatemerchant: ${config.validationURL}`);
    this.onvalidatemerchant?.({ validationURL: config.validationURL });
  }

  private async pay(card: string): Promise<void> {
    if (this.state !== 'ready') return;
    this.state = 'authorizing';
    this.sheet?.lock();
    this.sheet?.setStatus('Processing…', 'busy');
    let token: unknown;
    try {
      token = await mintToken(card, this.request.total.amount, this.request.currencyCode);
    } catch (err) {
      this.state = 'ready';
      this.sheet?.setStatus(err instanceof Error ? err.message : 'No token', 'fail');
      return;
    }
    if (this.state !== 'authorizing') return;
    const config = await simulatorConfig();
    const payment: { token: unknown; billingContact?: unknown; shippingContact?: unknown } = { token };
    if (this.request.requiredBillingContactFields?.length) payment.billingContact = config.contact.billingContact;
    if (this.request.requiredShippingContactFields?.length) payment.shippingContact = config.contact.shippingContact;
    report(`onpaymentauthorized: a token from the sandbox Apple for ${card}`);
    this.arm('payment');
    this.onpaymentauthorized?.({ payment });
  }

  /** Apple's clock on a step: past it, the sheet closes as cancelled. */
  private arm(step: string): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.cancel(`the page took over ${STEP_TIMEOUT_MS / 1000} s on ${step}`), STEP_TIMEOUT_MS);
  }

  private cancel(why: string): void {
    if (this.state === 'new' || (this.state === 'done' && !this.sheet)) return;
    report(`oncancel: ${why}`);
    this.state = 'done';
    this.end();
    this.oncancel?.({ sessionError: { code: 'unknown' } });
  }

  private end(): void {
    clearTimeout(this.timer);
    this.sheet?.close();
    this.sheet = undefined;
    if (active === this) active = undefined;
  }
}

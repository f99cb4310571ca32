/**
 * @module A stand-in for Safari's `ApplePaySession` that enforces what Safari enforces: a session
 * is created and begun only inside a user's gesture, one at a time; `begin()` once; each
 * `complete*()`/`abort()` at most once, in the right step, never after the session ended
 * (`InvalidAccessError`, as Safari throws); and a step the page does not complete within
 * `stepTimeoutMs` (Apple's 30 s, shortened for tests) ends the sheet with `oncancel`.
 */

/** Apple's gateway URL the fake hands to `onvalidatemerchant`. */
export const VALIDATION_URL = 'https://apple-pay-gateway.apple.com/paymentservices/paymentSession';

/** Apple's 30 seconds per step. */
export const APPLE_STEP_TIMEOUT_MS = 30_000;

/** What the customer authorizes with Touch ID: a token shaped like Apple's, with fake contents. */
/** A merchant session as Safari accepts it (any object, for the fake). */
export const MERCHANT_SESSION_STUB = { merchantSessionIdentifier: "SSH01" };

export const FAKE_PAYMENT = {
  token: {
    paymentData: { version: 'EC_v1', data: 'ZmFrZQ==', signature: 'c2ln', header: { ephemeralPublicKey: 'a2V5', publicKeyHash: 'aGFzaA==', transactionId: '01' } },
    paymentMethod: { displayName: 'Visa 0492', network: 'Visa', type: 'debit' },
    transactionIdentifier: '01',
  },
  billingContact: { givenName: 'Arman', familyName: 'Ali' },
  shippingContact: { emailAddress: 'arman@example.kz', phoneNumber: '+77771232380' },
};

export interface FakeApplePayOptions {
  /** How long Apple waits for the page in each step; 30 s in Safari. */
  stepTimeoutMs?: number;
  /** `supportsVersion(v)` is true up to this version. */
  maxVersion?: number;
  /** What `canMakePayments()` answers; 'throw' throws like Safari on an insecure page. */
  canMakePayments?: boolean | 'throw';
  /** Makes `completeMerchantValidation` throw, as Safari does for a session it rejects. */
  refuseMerchantSession?: boolean;
}

type Step = 'created' | 'validating' | 'waiting' | 'authorizing' | 'ended';

function invalidAccess(message: string): DOMException {
  return new DOMException(message, 'InvalidAccessError');
}

// User activation: Chromium exposes navigator.userActivation; WebKit may not. There, a trusted
// click counts only while it is being dispatched: set in the window's capture phase, cleared in
// its bubble phase (or on the next task if a listener stopped propagation).
let trustedClickInProgress = false;
function onClickCapture(event: Event) {
  trustedClickInProgress = event.isTrusted;
  setTimeout(() => (trustedClickInProgress = false));
}
function onClickBubble() {
  trustedClickInProgress = false;
}

/** True while the page may open a payment sheet: inside a trusted click that is being dispatched. */
export function inUserGesture(): boolean {
  const activation = (navigator as { userActivation?: { isActive: boolean } }).userActivation;
  return trustedClickInProgress && (activation ? activation.isActive : true);
}

/** The fake's installation on `window`, with every session it created. */
export interface FakeApplePay {
  sessions: FakeSession[];
  readonly last: FakeSession | undefined;
  options: Required<FakeApplePayOptions>;
  uninstall(): void;
}

let active: FakeApplePay | null = null;

/** One payment sheet. Tests drive the customer's side with `authorize()` and `cancel()`. */
export class FakeSession {
  static readonly STATUS_SUCCESS = 0;
  static readonly STATUS_FAILURE = 1;

  onvalidatemerchant: ((event: { validationURL: string }) => void) | null = null;
  onpaymentauthorized: ((event: { payment: unknown }) => void) | null = null;
  oncancel: ((event: unknown) => void) | null = null;

  /** Every call the page made, in order, e.g. `completeMerchantValidation`, `completePayment:0`. */
  readonly calls: string[] = [];
  step: Step = 'created';
  merchantSession: unknown;
  paymentStatus: number | undefined;
  /** Why the sheet ended: 'payment', 'abort', 'cancel' (the customer) or 'expired'. */
  endedBy: string | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private begun = false;

  static supportsVersion(version: number): boolean {
    if (!Number.isInteger(version) || version < 1) throw new TypeError('bad version');
    return version <= fake().options.maxVersion;
  }

  static canMakePayments(): boolean {
    const answer = fake().options.canMakePayments;
    if (answer === 'throw') throw invalidAccess('Trying to call an ApplePaySession API from an insecure document.');
    return answer;
  }

  constructor(
    readonly version: number,
    readonly request: Record<string, any>,
  ) {
    const installation = fake();
    if (!inUserGesture()) throw invalidAccess('Must create a new ApplePaySession from a user gesture handler.');
    if (installation.sessions.some((s) => s.step !== 'ended')) throw invalidAccess('Page already has an active payment session.');
    if (!FakeSession.supportsVersion(version)) throw invalidAccess(`"${version}" is not a supported version.`);
    validateRequest(request);
    installation.sessions.push(this);
  }

  begin(): void {
    this.calls.push('begin');
    if (this.begun) throw invalidAccess('The session has already begun.');
    if (!inUserGesture()) throw invalidAccess('Must call ApplePaySession.begin() from a user gesture handler.');
    this.begun = true;
    this.step = 'validating';
    setTimeout(() => {
      if (this.step !== 'validating') return;
      this.startTimer();
      this.onvalidatemerchant?.({ validationURL: VALIDATION_URL });
    });
  }

  completeMerchantValidation(merchantSession: unknown): void {
    this.calls.push('completeMerchantValidation');
    if (this.step !== 'validating') throw invalidAccess('completeMerchantValidation in the wrong state.');
    if (typeof merchantSession !== 'object' || merchantSession === null) throw new TypeError('Type error');
    if (fake().options.refuseMerchantSession) throw invalidAccess('The merchant session is not valid.');
    this.stopTimer();
    this.merchantSession = merchantSession;
    this.step = 'waiting';
  }

  completePayment(result: number | { status: number }): void {
    const status = typeof result === 'number' ? result : result?.status;
    this.calls.push(`completePayment:${status}`);
    if (this.step !== 'authorizing') throw invalidAccess('completePayment in the wrong state.');
    if (status !== 0 && status !== 1) throw new TypeError('Type error');
    this.paymentStatus = status;
    this.end('payment');
  }

  abort(): void {
    this.calls.push('abort');
    if (this.step === 'ended') throw invalidAccess('The session has ended.');
    this.end('abort');
  }

  /** The customer authorizes (Touch ID): only once the merchant is validated and the sheet shows. */
  authorize(payment: unknown = FAKE_PAYMENT): void {
    if (this.step !== 'waiting') throw new Error(`cannot authorize in step ${this.step}`);
    this.step = 'authorizing';
    this.startTimer();
    this.onpaymentauthorized?.({ payment });
  }

  /** The customer closes the sheet. */
  cancel(): void {
    if (this.step === 'ended') throw new Error('the sheet is already closed');
    this.end('cancel');
    this.oncancel?.({ sessionError: { code: 'unknown' } });
  }

  private startTimer(): void {
    this.stopTimer();
    this.timer = setTimeout(() => {
      // Apple gave up on the page: the sheet shows an error and the page hears a cancel.
      this.end('expired');
      this.oncancel?.({ sessionError: { code: 'unknown' } });
    }, fake().options.stepTimeoutMs);
  }

  private stopTimer(): void {
    clearTimeout(this.timer);
  }

  private end(by: string): void {
    this.stopTimer();
    this.step = 'ended';
    this.endedBy = by;
  }
}

/** What Safari checks of the request before it opens a sheet (a TypeError otherwise). */
function validateRequest(r: Record<string, any>): void {
  const fail = (what: string) => {
    throw new TypeError(`"${what}" is invalid`);
  };
  if (!/^[A-Z]{2}$/.test(r['countryCode'])) fail('countryCode');
  if (!/^[A-Z]{3}$/.test(r['currencyCode'])) fail('currencyCode');
  if (!Array.isArray(r['supportedNetworks']) || r['supportedNetworks'].length === 0) fail('supportedNetworks');
  if (!Array.isArray(r['merchantCapabilities']) || !r['merchantCapabilities'].includes('supports3DS')) fail('merchantCapabilities');
  if (typeof r['total']?.label !== 'string' || !/^\d+(\.\d{1,2})?$/.test(r['total']?.amount)) fail('total');
}

function fake(): FakeApplePay {
  if (!active) throw new Error('the fake ApplePaySession is not installed');
  return active;
}

/**
 * Puts the fake on `window.ApplePaySession` until `uninstall()`.
 *
 * @example
 * const applePay = installFakeApplePay({ stepTimeoutMs: 500 });
 * // … click, then applePay.last!.authorize()
 * applePay.uninstall();
 */
export function installFakeApplePay(options: FakeApplePayOptions = {}): FakeApplePay {
  active?.uninstall();
  addEventListener('click', onClickCapture, true);
  addEventListener('click', onClickBubble);
  const installation: FakeApplePay = {
    sessions: [],
    get last() {
      return this.sessions.at(-1);
    },
    options: { stepTimeoutMs: APPLE_STEP_TIMEOUT_MS, maxVersion: 14, canMakePayments: true, refuseMerchantSession: false, ...options },
    uninstall() {
      for (const s of this.sessions) if (s.step !== 'ended') (s as unknown as { end(by: string): void }).end('uninstalled');
      removeEventListener('click', onClickCapture, true);
      removeEventListener('click', onClickBubble);
      delete (window as { ApplePaySession?: unknown }).ApplePaySession;
      if (active === this) active = null;
    },
  };
  active = installation;
  (window as { ApplePaySession?: unknown }).ApplePaySession = FakeSession;
  return installation;
}

/**
 * @module The one fake `ApplePaySession`, shared by the element's browser tests and the demo's simulated Apple Pay
 * sheet. It enforces what Safari enforces: a session is created and begun only inside a user's gesture, one at a
 * time; `begin()` once; each `complete*()`/`abort()` at most once, in the right step, never after the session ended
 * (`InvalidAccessError`, as Safari throws); and a step the page does not complete within `stepTimeoutMs` (Apple's
 * 30 s, shortened in tests) ends the sheet with `oncancel`. Tests drive the customer's side with `authorize()` and
 * `cancel()`; the demo draws a sheet through the `sheet` option and calls the same two methods from its buttons.
 * Never imported by the element's source: it ships in no build of the widget.
 */

/** Apple's gateway URL the fake hands to `onvalidatemerchant` unless told another. */
export const VALIDATION_URL = 'https://apple-pay-gateway.apple.com/paymentservices/paymentSession';

/** Apple's 30 seconds per step. */
export const APPLE_STEP_TIMEOUT_MS = 30_000;

/** The newest Apple Pay JS version Safari supports. */
export const MAX_APPLE_PAY_JS_VERSION = 14;

/** A merchant session as Safari accepts it (any object, for the fake). */
export const MERCHANT_SESSION_STUB = { merchantSessionIdentifier: 'SSH01' };

/** What the customer authorizes with Touch ID: a token shaped like Apple's, with fake contents. */
export const FAKE_PAYMENT = {
  token: {
    paymentData: {
      version: 'EC_v1',
      data: 'ZmFrZQ==',
      signature: 'c2ln',
      header: { ephemeralPublicKey: 'a2V5', publicKeyHash: 'aGFzaA==', transactionId: '01' },
    },
    paymentMethod: { displayName: 'Visa 0492', network: 'Visa', type: 'debit' },
    transactionIdentifier: '01',
  },
  billingContact: { givenName: 'Arman', familyName: 'Ali' },
  shippingContact: { emailAddress: 'arman@example.kz', phoneNumber: '+77771232380' },
};

/**
 * A drawn sheet for one session (the demo's overlay). The session tells it what happened; the sheet reports the
 * customer's choices back through `session.authorize()` and `session.cancel()`.
 */
export interface FakeSheetView {
  /** `onvalidatemerchant` is about to fire with this URL. */
  validating?(validationURL: string): void;
  /** `completeMerchantValidation` accepted this session: the customer may pay now. */
  merchantValidated?(merchantSession: unknown): void;
  /** `onpaymentauthorized` is about to fire with this payment. */
  authorized?(payment: unknown): void;
  /** The customer changed something and the sheet waits for the page's update (`onshipping…`/`oncouponcodechanged`). */
  updating?(kind: FakeUpdateKind): void;
  /** The page completed an update: the sheet now shows `session.total`, `lineItems`, `shippingMethods`, `errors`. */
  updated?(kind: FakeUpdateKind, update: FakeSheetUpdate): void;
  /** The sheet is over; `session.endedBy` says how, `reason` says it in words. */
  ended(reason: string): void;
}

export interface FakeApplePayOptions {
  /** How long Apple waits for the page in each step; 30 s in Safari. */
  stepTimeoutMs?: number;
  /** `supportsVersion(v)` is true up to this version. */
  maxVersion?: number;
  /** What `canMakePayments()` answers; 'throw' throws like Safari on an insecure page. */
  canMakePayments?: boolean | 'throw';
  /** Makes `completeMerchantValidation` throw, as Safari does for a session it cannot read. */
  refuseMerchantSession?: boolean;
  /**
   * The URL `onvalidatemerchant` gets, or a function that finds it (the demo asks its server for the sandbox
   * Apple's). A function that throws or rejects closes the sheet with `oncancel`, as when Apple cannot be reached.
   */
  validationURL?: string | (() => string | Promise<string>);
  /**
   * Apple's verdict on a merchant session Safari accepted (its signature, domain, expiry): a reason closes the sheet
   * with `oncancel`, as Safari does when Apple rejects the session. Every session passes when absent.
   */
  verifyMerchantSession?: (merchantSession: unknown) => string | undefined;
  /** Draws a sheet for each session at `begin()` (the demo's overlay); tests need none. */
  sheet?: (session: FakeSession) => FakeSheetView;
}

type Step = 'created' | 'validating' | 'waiting' | 'authorizing' | 'ended';

/** What the customer changed on the sheet: each waits for its own `complete…` call. */
export type FakeUpdateKind = 'shippingContact' | 'shippingMethod' | 'couponCode';

/** Apple's `ApplePayLineItem` (amounts are decimal strings; a discount line is negative). */
export interface FakeLineItem {
  label: string;
  amount: string;
  type?: 'final' | 'pending';
}

/** Apple's `ApplePayShippingMethod`. */
export interface FakeShippingMethod {
  label: string;
  detail?: string;
  amount: string;
  identifier: string;
}

/** Apple's `ApplePayShippingContactUpdate`, `ApplePayShippingMethodUpdate` and `ApplePayCouponCodeUpdate` in one. */
export interface FakeSheetUpdate {
  newTotal: FakeLineItem;
  newLineItems?: FakeLineItem[];
  newShippingMethods?: FakeShippingMethod[];
  errors?: FakeApplePayError[];
}

/** The `complete…` call that answers each kind of update. */
const COMPLETION: Record<FakeUpdateKind, string> = {
  shippingContact: 'completeShippingContactSelection',
  shippingMethod: 'completeShippingMethodSelection',
  couponCode: 'completeCouponCodeChange',
};

/** Apple's `ApplePayErrorCode` values. */
const APPLE_PAY_ERROR_CODES = [
  'shippingContactInvalid',
  'billingContactInvalid',
  'addressUnserviceable',
  'couponCodeInvalid',
  'couponCodeExpired',
  'unknown',
];

/** Apple's `ApplePayErrorContactField` values. */
const APPLE_PAY_CONTACT_FIELDS = [
  'phoneNumber',
  'emailAddress',
  'name',
  'phoneticName',
  'postalAddress',
  'addressLines',
  'locality',
  'subLocality',
  'postalCode',
  'administrativeArea',
  'subAdministrativeArea',
  'country',
  'countryCode',
];

/**
 * Safari's `ApplePayError`: the only kind of error an update may carry (a plain object with the same fields is a
 * TypeError). Installed on `window` with the fake.
 */
export class FakeApplePayError {
  constructor(
    readonly code: string,
    readonly contactField?: string,
    readonly message: string = '',
  ) {
    if (!APPLE_PAY_ERROR_CODES.includes(code)) throw new TypeError(`"${code}" is not a valid ApplePayErrorCode`);
    if (contactField !== undefined && !APPLE_PAY_CONTACT_FIELDS.includes(contactField))
      throw new TypeError(`"${contactField}" is not a valid ApplePayErrorContactField`);
  }
}

/** The redacted shipping contact Safari hands to `onshippingcontactselected` before the customer authorizes. */
export const REDACTED_SHIPPING_CONTACT = {
  locality: 'Almaty',
  administrativeArea: '',
  postalCode: '050000',
  countryCode: 'KZ',
  country: 'Kazakhstan',
};

/**
 * Why the sheet ended: 'payment' (`completePayment`), 'abort' (the page), 'cancel' (the customer), 'expired'
 * (Apple's step timeout), 'failed' (Apple refused the merchant session or could not be reached), 'uninstalled'.
 */
export type FakeSessionEnd = 'payment' | 'abort' | 'cancel' | 'expired' | 'failed' | 'uninstalled';

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
  options: FakeApplePayOptions &
    Required<
      Pick<
        FakeApplePayOptions,
        'stepTimeoutMs' | 'maxVersion' | 'canMakePayments' | 'refuseMerchantSession' | 'validationURL'
      >
    >;
  uninstall(): void;
}

let active: FakeApplePay | null = null;

/** One payment sheet. Tests (or the demo's sheet) drive the customer's side with `authorize()` and `cancel()`. */
export class FakeSession {
  static readonly STATUS_SUCCESS = 0;
  static readonly STATUS_FAILURE = 1;
  /** Marks the fake: a real `ApplePaySession` has no such field. */
  static readonly simulated = true;

  onvalidatemerchant: ((event: { validationURL: string }) => void) | null = null;
  onpaymentauthorized: ((event: { payment: unknown }) => void) | null = null;
  oncancel: ((event: { sessionError?: { code: string } }) => void) | null = null;
  onshippingcontactselected: ((event: { shippingContact: unknown }) => void) | null = null;
  onshippingmethodselected: ((event: { shippingMethod: FakeShippingMethod }) => void) | null = null;
  oncouponcodechanged: ((event: { couponCode: string }) => void) | null = null;

  /** What the sheet shows now: the request's, then each completed update's. */
  total: FakeLineItem;
  lineItems: FakeLineItem[];
  shippingMethods: FakeShippingMethod[];
  /** The method the sheet has selected (the first one, until the customer picks another). */
  shippingMethod: FakeShippingMethod | undefined;
  /** The errors of the last completed update. */
  errors: FakeApplePayError[] = [];
  /** True when the sheet offers a coupon field: `supportsCouponCode` at version 12 or more (older versions ignore it). */
  readonly couponOffered: boolean;
  couponCode: string;
  /** The update the sheet waits for, if any: the customer can neither pay nor change anything else meanwhile. */
  pending: FakeUpdateKind | undefined;
  /** Every completed update, in order. */
  readonly updates: Array<{ kind: FakeUpdateKind; update: FakeSheetUpdate }> = [];

  /** Every call the page made, in order, e.g. `completeMerchantValidation`, `completePayment:0`. */
  readonly calls: string[] = [];
  step: Step = 'created';
  merchantSession: unknown;
  paymentStatus: number | undefined;
  /** Why the sheet ended. */
  endedBy: FakeSessionEnd | undefined;
  private readonly installation: FakeApplePay;
  private view: FakeSheetView | undefined;
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

  static canMakePaymentsWithActiveCard(_merchantIdentifier: string): Promise<boolean> {
    return Promise.resolve(FakeSession.canMakePayments());
  }

  constructor(
    readonly version: number,
    readonly request: Record<string, any>,
  ) {
    const installation = (this.installation = fake());
    if (!inUserGesture()) throw invalidAccess('Must create a new ApplePaySession from a user gesture handler.');
    if (installation.sessions.some((s) => s.step !== 'ended'))
      throw invalidAccess('Page already has an active payment session.');
    if (!FakeSession.supportsVersion(version)) throw invalidAccess(`"${version}" is not a supported version.`);
    validateRequest(request);
    this.total = request['total'];
    this.lineItems = request['lineItems'] ?? [];
    this.shippingMethods = request['shippingMethods'] ?? [];
    this.shippingMethod = this.shippingMethods[0];
    // ApplePayPaymentRequest is a dictionary: members a version does not know are ignored, as Safari does.
    this.couponOffered = version >= 12 && request['supportsCouponCode'] === true;
    this.couponCode = this.couponOffered && typeof request['couponCode'] === 'string' ? request['couponCode'] : '';
    installation.sessions.push(this);
  }

  begin(): void {
    this.calls.push('begin');
    if (this.begun) throw invalidAccess('The session has already begun.');
    if (!inUserGesture()) throw invalidAccess('Must call ApplePaySession.begin() from a user gesture handler.');
    this.begun = true;
    this.step = 'validating';
    this.view = this.installation.options.sheet?.(this);
    this.startTimer();
    const source = this.installation.options.validationURL;
    const deliver = (validationURL: string) => {
      if (this.step !== 'validating') return;
      this.view?.validating?.(validationURL);
      this.onvalidatemerchant?.({ validationURL });
    };
    setTimeout(() => {
      if (this.step !== 'validating') return;
      if (typeof source === 'string') return deliver(source);
      Promise.resolve()
        .then(source)
        .then(deliver, (error: unknown) => {
          if (this.step === 'validating')
            this.fail(`Apple could not be reached (${error instanceof Error ? error.message : String(error)})`);
        });
    });
  }

  completeMerchantValidation(merchantSession: unknown): void {
    this.calls.push('completeMerchantValidation');
    if (this.step !== 'validating') throw invalidAccess('completeMerchantValidation in the wrong state.');
    if (typeof merchantSession !== 'object' || merchantSession === null) throw new TypeError('Type error');
    const { refuseMerchantSession, verifyMerchantSession } = this.installation.options;
    if (refuseMerchantSession) throw invalidAccess('The merchant session is not valid.');
    this.merchantSession = merchantSession;
    const problem = verifyMerchantSession?.(merchantSession);
    if (problem) {
      this.fail(`Apple refused the merchant session: ${problem}`);
      return;
    }
    this.stopTimer();
    this.step = 'waiting';
    this.view?.merchantValidated?.(merchantSession);
    // Safari asks for the price at the default address as soon as the sheet shows, where it needs one: an event of
    // its own, in a later task (never inside the page's completeMerchantValidation call).
    if ((this.request['requiredShippingContactFields'] ?? []).includes('postalAddress'))
      setTimeout(
        () => this.step === 'waiting' && !this.pending && this.selectShippingContact(REDACTED_SHIPPING_CONTACT),
      );
  }

  completeShippingContactSelection(update: FakeSheetUpdate): void {
    this.complete('shippingContact', update);
  }

  completeShippingMethodSelection(update: FakeSheetUpdate): void {
    this.complete('shippingMethod', update);
  }

  completeCouponCodeChange(update: FakeSheetUpdate): void {
    this.complete('couponCode', update);
  }

  /** The customer picks a delivery address: the page hears a redacted contact and must complete within the step. */
  selectShippingContact(contact: unknown = REDACTED_SHIPPING_CONTACT): void {
    this.startUpdate('shippingContact', () => this.onshippingcontactselected?.({ shippingContact: contact }));
  }

  /** The customer picks one of the shown shipping methods, by identifier. */
  selectShippingMethod(identifier: string): void {
    const method = this.shippingMethods.find((m) => m.identifier === identifier);
    if (!method) throw new Error(`the sheet shows no shipping method ${identifier}`);
    this.startUpdate('shippingMethod', () => {
      this.shippingMethod = method;
      this.onshippingmethodselected?.({ shippingMethod: method });
    });
  }

  /** The customer enters a coupon code (only where the sheet offers the field). */
  changeCouponCode(code: string): void {
    if (!this.couponOffered) throw new Error('the sheet offers no coupon field');
    this.startUpdate('couponCode', () => {
      this.couponCode = code;
      this.oncouponcodechanged?.({ couponCode: code });
    });
  }

  private startUpdate(kind: FakeUpdateKind, fire: () => void): void {
    if (this.step !== 'waiting') throw new Error(`cannot change the sheet in step ${this.step}`);
    if (this.pending) throw new Error(`the sheet still waits for the ${this.pending} update`);
    this.pending = kind;
    this.startTimer();
    this.view?.updating?.(kind);
    fire();
  }

  private complete(kind: FakeUpdateKind, update: FakeSheetUpdate): void {
    this.calls.push(COMPLETION[kind]);
    if (this.step !== 'waiting' || this.pending !== kind)
      throw invalidAccess(`${COMPLETION[kind]} in the wrong state.`);
    validateUpdate(kind, update);
    this.stopTimer();
    this.pending = undefined;
    this.total = update.newTotal;
    if (update.newLineItems) this.lineItems = update.newLineItems;
    if (update.newShippingMethods && kind !== 'shippingMethod') {
      this.shippingMethods = update.newShippingMethods;
      this.shippingMethod = update.newShippingMethods[0];
    }
    // Apple's shipping-method update has no errors member: Safari ignores one.
    this.errors = kind === 'shippingMethod' ? [] : (update.errors ?? []);
    this.updates.push({ kind, update });
    this.view?.updated?.(kind, update);
  }

  completePayment(result: number | { status: number }): void {
    const status = typeof result === 'number' ? result : result?.status;
    this.calls.push(`completePayment:${status}`);
    if (this.step !== 'authorizing') throw invalidAccess('completePayment in the wrong state.');
    if (status !== 0 && status !== 1) throw new TypeError('Type error');
    this.paymentStatus = status;
    this.end('payment', `completePayment(${status === 0 ? 'STATUS_SUCCESS' : 'STATUS_FAILURE'})`);
  }

  abort(): void {
    this.calls.push('abort');
    if (this.step === 'ended') throw invalidAccess('The session has ended.');
    this.end('abort', 'abort(): the page closed the sheet');
  }

  /** The customer authorizes (Touch ID): only once the merchant is validated and the sheet shows. */
  authorize(payment: unknown = FAKE_PAYMENT): void {
    if (this.step !== 'waiting') throw new Error(`cannot authorize in step ${this.step}`);
    if (this.pending) throw new Error(`cannot authorize while the sheet waits for the ${this.pending} update`);
    if (this.errors.length > 0) throw new Error('cannot authorize while the sheet shows errors');
    this.step = 'authorizing';
    this.startTimer();
    this.view?.authorized?.(payment);
    this.onpaymentauthorized?.({ payment });
  }

  /** The customer closes the sheet. */
  cancel(): void {
    if (this.step === 'ended') throw new Error('the sheet is already closed');
    this.end('cancel', 'the customer closed the sheet');
    this.oncancel?.({ sessionError: { code: 'unknown' } });
  }

  /** Ends the sheet on Apple's side; the page hears a cancel, as from Safari, in a later task. */
  private fail(reason: string): void {
    this.end('failed', reason);
    setTimeout(() => this.oncancel?.({ sessionError: { code: 'unknown' } }));
  }

  private startTimer(): void {
    this.stopTimer();
    const ms = this.installation.options.stepTimeoutMs;
    const step = this.step === 'authorizing' ? 'the payment' : (this.pending ?? 'merchant validation');
    this.timer = setTimeout(() => {
      // Apple gave up on the page: the sheet shows an error and the page hears a cancel.
      this.end('expired', `the page took over ${ms / 1000} s on ${step}`);
      this.oncancel?.({ sessionError: { code: 'unknown' } });
    }, ms);
  }

  private stopTimer(): void {
    clearTimeout(this.timer);
  }

  private end(by: FakeSessionEnd, reason: string): void {
    this.stopTimer();
    this.step = 'ended';
    this.endedBy = by;
    const view = this.view;
    this.view = undefined;
    view?.ended(reason);
  }
}

/** What Safari checks of the request before it opens a sheet (a TypeError otherwise). */
function validateRequest(r: Record<string, any>): void {
  const fail = (what: string) => {
    throw new TypeError(`"${what}" is invalid`);
  };
  if (!r || typeof r !== 'object') throw new TypeError('A payment request is required');
  if (!/^[A-Z]{2}$/.test(r['countryCode'])) fail('countryCode');
  if (!/^[A-Z]{3}$/.test(r['currencyCode'])) fail('currencyCode');
  if (!Array.isArray(r['supportedNetworks']) || r['supportedNetworks'].length === 0) fail('supportedNetworks');
  if (!Array.isArray(r['merchantCapabilities']) || !r['merchantCapabilities'].includes('supports3DS'))
    fail('merchantCapabilities');
  if (!isLineItem(r['total']) || r['total'].amount.startsWith('-')) fail('total');
  if (r['lineItems'] !== undefined && !(Array.isArray(r['lineItems']) && r['lineItems'].every(isLineItem)))
    fail('lineItems');
  if (r['shippingMethods'] !== undefined && !isShippingMethods(r['shippingMethods'])) fail('shippingMethods');
  if (
    r['shippingType'] !== undefined &&
    !['shipping', 'delivery', 'storePickup', 'servicePickup'].includes(r['shippingType'])
  )
    fail('shippingType');
  for (const key of ['requiredBillingContactFields', 'requiredShippingContactFields'])
    if (
      r[key] !== undefined &&
      !(
        Array.isArray(r[key]) &&
        r[key].every((f: unknown) => ['postalAddress', 'name', 'phoneticName', 'phone', 'email'].includes(f as string))
      )
    )
      fail(key);
}

const AMOUNT = /^-?\d+(\.\d{1,2})?$/;

function isLineItem(item: any): item is FakeLineItem {
  return (
    typeof item?.label === 'string' &&
    typeof item.amount === 'string' &&
    AMOUNT.test(item.amount) &&
    (item.type === undefined || item.type === 'final' || item.type === 'pending')
  );
}

function isShippingMethods(methods: any): methods is FakeShippingMethod[] {
  return (
    Array.isArray(methods) &&
    methods.every(
      (m) =>
        typeof m?.identifier === 'string' &&
        typeof m.label === 'string' &&
        (m.detail === undefined || typeof m.detail === 'string') &&
        typeof m.amount === 'string' &&
        AMOUNT.test(m.amount) &&
        !m.amount.startsWith('-'),
    )
  );
}

/** What Safari checks of an update: `newTotal` always, real `ApplePayError`s only (a TypeError otherwise). */
function validateUpdate(kind: FakeUpdateKind, u: FakeSheetUpdate): void {
  if (!u || typeof u !== 'object') throw new TypeError('An update is required');
  if (!isLineItem(u.newTotal) || u.newTotal.amount.startsWith('-')) throw new TypeError('"newTotal" is invalid');
  if (u.newLineItems !== undefined && !(Array.isArray(u.newLineItems) && u.newLineItems.every(isLineItem)))
    throw new TypeError('"newLineItems" is invalid');
  if (kind !== 'shippingMethod' && u.newShippingMethods !== undefined && !isShippingMethods(u.newShippingMethods))
    throw new TypeError('"newShippingMethods" is invalid');
  if (
    kind !== 'shippingMethod' &&
    u.errors !== undefined &&
    !(Array.isArray(u.errors) && u.errors.every((e) => e instanceof FakeApplePayError))
  )
    throw new TypeError('"errors" must be ApplePayError objects');
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
    options: {
      stepTimeoutMs: APPLE_STEP_TIMEOUT_MS,
      maxVersion: MAX_APPLE_PAY_JS_VERSION,
      canMakePayments: true,
      refuseMerchantSession: false,
      validationURL: VALIDATION_URL,
      ...options,
    },
    uninstall() {
      for (const s of this.sessions)
        if (s.step !== 'ended')
          (s as unknown as { end(by: FakeSessionEnd, reason: string): void }).end(
            'uninstalled',
            'the fake was uninstalled',
          );
      removeEventListener('click', onClickCapture, true);
      removeEventListener('click', onClickBubble);
      delete (window as { ApplePaySession?: unknown }).ApplePaySession;
      delete (window as { ApplePayError?: unknown }).ApplePayError;
      if (active === this) active = null;
    },
  };
  active = installation;
  (window as { ApplePaySession?: unknown }).ApplePaySession = FakeSession;
  (window as { ApplePayError?: unknown }).ApplePayError = FakeApplePayError;
  return installation;
}

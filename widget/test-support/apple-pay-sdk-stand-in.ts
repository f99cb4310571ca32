/**
 * @module A stand-in of Apple's Apple Pay JS SDK (`apple-pay-sdk.js`) for engines without Apple Pay, shared by the
 * element's browser tests and the demo's "Chrome with Apple's SDK". What Apple documents, and what its script does:
 * it defines `ApplePaySession` (the shared fake session, test-support/fake-apple-pay-session.ts, with Safari's rules,
 * plus `applePayCapabilities(merchantIdentifier)`) and the `<apple-pay-button>` custom element (attributes
 * `buttonstyle`, `type`, `locale`; sized by `--apple-pay-button-width`, `-height`, `-border-radius`, `-padding`,
 * `-box-sizing`; an inner `<button>` in an open shadow root, labelled from the type; clicks stopped at the element,
 * as Apple's are). Its loaders (test-support/apple-pay-sdk.ts for the tests, the demo's simulator) install it some
 * time after their script ran, as Apple's script may. Never imported by the element's source: it ships in no build.
 */
import {
  type FakeApplePay,
  type FakeApplePayOptions,
  FakeSession,
  installFakeApplePay,
} from './fake-apple-pay-session.js';

/** Apple's `paymentCredentialStatus` values. */
export type PaymentCredentialStatus =
  | 'paymentCredentialsAvailable'
  | 'paymentCredentialStatusUnknown'
  | 'paymentCredentialsUnavailable'
  | 'applePayUnsupported';

export interface SdkStandInOptions extends FakeApplePayOptions {
  /**
   * What `applePayCapabilities` answers; `reject` rejects (Apple's servers not reached), `hang` never answers. By
   * default `paymentCredentialStatusUnknown`: a browser other than Safari cannot see the iPhone's Wallet.
   */
  capability?: PaymentCredentialStatus | 'reject' | 'hang';
}

/** The stand-in's installation: the fake's, plus every merchant identifier `applePayCapabilities` was asked about. */
export interface SdkStandIn extends FakeApplePay {
  capability: NonNullable<SdkStandInOptions['capability']>;
  capabilityCalls: string[];
}

let current: SdkStandIn | null = null;

/** The SDK's `ApplePaySession`: the shared fake, with the method Apple Pay JS `1.latest` adds. */
export class SdkSession extends FakeSession {
  static applePayCapabilities(
    merchantIdentifier: string,
  ): Promise<{ paymentCredentialStatus: PaymentCredentialStatus }> {
    if (!current) return Promise.reject(new Error('the SDK stand-in is not installed'));
    current.capabilityCalls.push(merchantIdentifier);
    const answer = current.capability;
    if (answer === 'hang') return new Promise(() => undefined);
    if (answer === 'reject')
      return Promise.reject(new DOMException('Apple Pay servers could not be reached', 'NetworkError'));
    return Promise.resolve({ paymentCredentialStatus: answer });
  }
}

/** Apple's button types, with the words its English label puts before "Apple Pay". */
const TYPES: Readonly<Record<string, string>> = {
  'add-money': 'Add Money with',
  book: 'Book with',
  buy: 'Buy with',
  'check-out': 'Check out with',
  continue: 'Continue with',
  contribute: 'Contribute with',
  donate: 'Donate with',
  order: 'Order with',
  pay: 'Pay with',
  plain: '',
  reload: 'Reload with',
  rent: 'Rent with',
  'set-up': 'Set up',
  subscribe: 'Subscribe with',
  support: 'Support with',
  tip: 'Tip with',
  'top-up': 'Top Up with',
};
const STYLES = ['black', 'white', 'white-outline'];

// Apple's own rules for its button, in its shadow root: the documented custom properties with Apple's defaults.
const BUTTON_CSS = `
:host{display:inline-block;min-width:140px;min-height:30px}
:host([data-type=plain]){min-width:100px}
:host([aria-hidden=true]){display:none}
button{display:flex;gap:.25em;align-items:center;justify-content:center;margin:0;cursor:pointer;border:0;
  font:500 15px -apple-system,system-ui,sans-serif;white-space:nowrap;overflow:hidden;
  background:#000;color:#fff;min-height:30px;min-width:var(--apple-pay-button-width-default,140px);
  width:var(--apple-pay-button-width,auto);height:var(--apple-pay-button-height,30px);
  border-radius:var(--apple-pay-button-border-radius,4px);padding:var(--apple-pay-button-padding,0);
  box-sizing:var(--apple-pay-button-box-sizing,content-box)}
button.white,button.white-outline{background:#fff;color:#000}
button.white-outline{border:1px solid #000}
.logo{font-weight:600}`;

/** The stand-in's `<apple-pay-button>`. */
class StandInApplePayButton extends HTMLElement {
  static readonly observedAttributes = ['buttonstyle', 'type', 'locale'];
  /** Marks the stand-in: Apple's element has no such field. */
  static readonly simulated = true;
  private readonly button = document.createElement('button');

  constructor() {
    super();
    const root = this.attachShadow({ mode: 'open' });
    const style = document.createElement('style');
    style.textContent = BUTTON_CSS;
    root.append(style, this.button);
    // Apple's element keeps its clicks to itself: a page listens on the element, not on an ancestor.
    this.addEventListener('click', (event) => event.stopPropagation());
  }

  connectedCallback(): void {
    this.render();
  }

  attributeChangedCallback(): void {
    this.render();
  }

  private render(): void {
    const type = (this.getAttribute('type') ?? '').trim();
    const known = type in TYPES ? type : 'buy';
    const style = (this.getAttribute('buttonstyle') ?? '').trim();
    const words = TYPES[known]!;
    const label = words ? `${words} Apple Pay` : 'Apple Pay';
    this.button.className = STYLES.includes(style) ? style : 'black';
    this.button.setAttribute('aria-label', label);
    this.button.replaceChildren(
      words,
      Object.assign(document.createElement('span'), { className: 'logo', textContent: 'Apple Pay' }),
    );
    this.dataset['type'] = known;
    const locale = this.getAttribute('locale');
    if (locale) this.lang = locale;
    else this.removeAttribute('lang');
    // Apple's button hides itself where the session says the device cannot pay.
    let canPay = false;
    try {
      canPay = !!(window as { ApplePaySession?: { canMakePayments(): boolean } }).ApplePaySession?.canMakePayments();
    } catch {}
    if (canPay) this.removeAttribute('aria-hidden');
    else this.setAttribute('aria-hidden', 'true');
  }
}

/** Defines `<apple-pay-button>` once per page (a custom element cannot be defined twice, nor undefined). */
export function defineStandInApplePayButton(): void {
  if (!customElements.get('apple-pay-button')) customElements.define('apple-pay-button', StandInApplePayButton);
}

/**
 * Does what Apple's SDK script does once it has run: `window.ApplePaySession` (the fake, with
 * `applePayCapabilities`) and `<apple-pay-button>`. Replaces an earlier installation; `uninstall()` removes the session
 * (the element stays defined).
 *
 * @example
 * const sdk = installApplePaySdkStandIn({ capability: 'paymentCredentialsAvailable', stepTimeoutMs: 2000 });
 * // … a real click on the element's <apple-pay-button>, then sdk.last!.authorize()
 */
export function installApplePaySdkStandIn(options: SdkStandInOptions = {}): SdkStandIn {
  const { capability = 'paymentCredentialStatusUnknown', ...fakeOptions } = options;
  const installation = installFakeApplePay(fakeOptions);
  const uninstall = installation.uninstall.bind(installation);
  const standIn: SdkStandIn = Object.assign(installation, {
    capability,
    capabilityCalls: [] as string[],
    uninstall() {
      uninstall();
      if (current === standIn) current = null;
    },
  });
  current = standIn;
  (window as { ApplePaySession?: unknown }).ApplePaySession = SdkSession;
  defineStandInApplePayButton();
  return standIn;
}

/** The installed stand-in, if any. */
export function sdkStandIn(): SdkStandIn | null {
  return current;
}

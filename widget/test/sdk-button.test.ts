/**
 * @module Beyond Safari: the element with Apple's Apple Pay JS SDK, here its stand-in (test-support/apple-pay-sdk.ts,
 * served by the test server as a classic script that defines `ApplePaySession` and `<apple-pay-button>` some time
 * after it loaded). Loading once per page, never where a session exists, Apple's button in the shadow root with the
 * element's attributes and size, real clicks and keys on it opening the sheet inside that gesture, and each answer of
 * `applePayCapabilities`. Failing SDKs are in sdk-unavailable.test.ts and sdk-csp.test.html.
 */
import { a11ySnapshot } from '@web/test-runner-commands';
import '../src/index.js';
import { APPLE_PAY_SDK_URL } from '../src/apple-pay-sdk.js';
import type { EpayApplePayButton } from '../src/epay-applepay-button.js';
import type { EpayReadyDetail } from '../src/events.js';
import { deepEqual, equal, ok } from './helpers/assert.js';
import { type FakeProxy, PAID, installFakeProxy } from './helpers/fake-proxy.js';
import { catchPageErrors, makeOrder, nextEvent, realClick, realKey, waitFor } from './helpers/page.js';
import { installSafariApplePay } from './helpers/safari.js';
import { FAKE_PAYMENT } from '../test-support/fake-apple-pay-session.js';
import {
  type PaymentCredentialStatus,
  SdkSession,
  type SdkStandInOptions,
  installApplePaySdkStandIn,
  sdkStandIn,
} from '../test-support/apple-pay-sdk-stand-in.js';

const MERCHANT_ID = 'merchant.kz.example.shop';
let loads = 0;
/** A fresh address of the stand-in: the element loads each address once per page, as it would Apple's. */
const standInUrl = () => `/test-support/apple-pay-sdk.ts?load=${++loads}`;
const absolute = (src: string) => new URL(src, location.href).href;
const scriptsOf = (src: string) => [...document.scripts].filter((s) => s.src === absolute(src));

let elements: EpayApplePayButton[] = [];
let proxy: FakeProxy | undefined;
let pageErrors: ReturnType<typeof catchPageErrors>;
let restoreSafari: (() => void) | undefined;

/** The options the stand-in installs with once its script has run. */
function standInOptions(options: SdkStandInOptions = {}) {
  (window as { appleSdkStandInOptions?: SdkStandInOptions }).appleSdkStandInOptions = {
    stepTimeoutMs: 2000,
    ...options,
  };
}

/** Creates and appends an element; resolves with it and its `epay-ready` detail. */
async function mountReady(attributes: Record<string, string | boolean> = {}, timeoutMs = 4000) {
  const el = document.createElement('epay-applepay-button');
  el.setAttribute('proxy', 'https://pay.example.kz');
  el.setAttribute('order', makeOrder());
  for (const [name, value] of Object.entries(attributes)) {
    if (value === true) el.setAttribute(name, '');
    else if (value !== false) el.setAttribute(name, value);
  }
  const ready = nextEvent<EpayReadyDetail>(el, 'epay-ready', timeoutMs);
  document.body.append(el);
  elements.push(el);
  return { el, detail: (await ready).detail };
}

/** Apple's `<apple-pay-button>` in the element's shadow root. */
function sdkButtonOf(el: EpayApplePayButton): HTMLElement {
  const button = el.shadowRoot!.querySelector<HTMLElement>('apple-pay-button');
  ok(button, "Apple's <apple-pay-button> in the shadow root");
  return button;
}

/** The `<button>` Apple's element draws in its own shadow root. */
function innerButtonOf(el: EpayApplePayButton): HTMLButtonElement {
  const inner = sdkButtonOf(el).shadowRoot!.querySelector('button');
  ok(inner, "Apple's inner <button>");
  return inner;
}

beforeEach(() => {
  pageErrors = catchPageErrors();
  standInOptions();
});

afterEach(() => {
  for (const el of elements) el.remove();
  elements = [];
  sdkStandIn()?.uninstall();
  proxy?.uninstall();
  proxy = undefined;
  restoreSafari?.();
  restoreSafari = undefined;
  for (const s of [...document.scripts]) if (s.src.includes('apple-pay-sdk')) s.remove();
  delete (window as { appleSdkStandInOptions?: unknown }).appleSdkStandInOptions;
  pageErrors.stop();
  deepEqual(pageErrors.errors.map(String), [], 'nothing thrown into the page');
});

describe('loading the SDK', () => {
  it('adds the script once for three elements, with crossorigin="anonymous", and waits for what it defines later', async () => {
    const src = standInUrl();
    let definedAtLoad: boolean | undefined;
    const watch = new MutationObserver(() => {
      for (const script of scriptsOf(src))
        script.addEventListener('load', () => (definedAtLoad ??= 'ApplePaySession' in window), { once: true });
    });
    watch.observe(document.head, { childList: true });
    try {
      const ready = await Promise.all([mountReady({ sdk: src }), mountReady({ sdk: src }), mountReady({ sdk: src })]);
      for (const { detail } of ready) deepEqual(detail, { available: true });
      const scripts = scriptsOf(src);
      equal(scripts.length, 1, 'one script for three elements');
      equal(scripts[0]!.getAttribute('crossorigin'), 'anonymous');
      equal(scripts[0]!.parentNode, document.head);
      equal(definedAtLoad, false, 'the SDK defined ApplePaySession only after its script loaded');
      equal((window as { ApplePaySession?: unknown }).ApplePaySession, SdkSession, "the stand-in's session");
      for (const { el } of ready) {
        equal(sdkButtonOf(el).getAttribute('part'), 'button');
        equal(el.shadowRoot!.querySelectorAll('[part=button]').length, 1, 'one button');
        equal(el.shadowRoot!.querySelector('button'), null, 'no button drawn by the element');
        ok(el.available && el.hasAttribute('available'));
      }
      // A fourth element later: the same script, not a second one.
      await mountReady({ sdk: src });
      equal(scriptsOf(src).length, 1);
    } finally {
      watch.disconnect();
    }
  });

  it('loads nothing where the browser has its own ApplePaySession (Safari): its native button', async () => {
    restoreSafari = installSafariApplePay().uninstall;
    const before = document.scripts.length;
    const src = standInUrl();
    const [apple, own] = await Promise.all([mountReady({ sdk: 'apple' }), mountReady({ sdk: src })]);
    deepEqual(apple.detail, { available: true });
    deepEqual(own.detail, { available: true });
    equal(document.scripts.length, before, 'no script added');
    equal(scriptsOf(APPLE_PAY_SDK_URL).length + scriptsOf(src).length, 0);
    equal(apple.el.shadowRoot!.querySelector('[part=button]')!.tagName, 'BUTTON', "Safari's native button");
    equal(apple.el.shadowRoot!.querySelector('apple-pay-button'), null);
  });

  it('loads nothing where the page loaded the SDK itself, and shows its <apple-pay-button> (sdk none or apple)', async () => {
    installApplePaySdkStandIn({ stepTimeoutMs: 2000 });
    const before = document.scripts.length;
    const [none, apple] = await Promise.all([mountReady(), mountReady({ sdk: 'apple' })]);
    deepEqual(none.detail, { available: true });
    deepEqual(apple.detail, { available: true });
    equal(document.scripts.length, before, 'no script added');
    sdkButtonOf(none.el);
    sdkButtonOf(apple.el);
  });

  it('loads nothing with sdk="none" in a browser without ApplePaySession: unsupported_browser', async () => {
    const before = document.scripts.length;
    const { el, detail } = await mountReady({ sdk: 'none' });
    deepEqual(detail, { available: false, reason: 'unsupported_browser' });
    equal(document.scripts.length, before);
    equal(el.shadowRoot!.querySelector('[part=button]'), null, 'nothing drawn');
    equal(getComputedStyle(el).display, 'none');
  });

  it('reads sdk and merchant-id set right after the element was added, and fires epay-ready once per element', async () => {
    standInOptions({ capability: 'paymentCredentialsAvailable' });
    const el = document.createElement('epay-applepay-button');
    const events: EpayReadyDetail[] = [];
    el.addEventListener('epay-ready', (e) => events.push(e.detail));
    document.body.append(el);
    elements.push(el);
    el.sdk = standInUrl();
    el.merchantId = MERCHANT_ID;
    await waitFor(() => events.length === 1, 'epay-ready');
    deepEqual(events, [{ available: true, capability: 'paymentCredentialsAvailable' }]);
    el.remove();
    document.body.append(el);
    await new Promise((r) => setTimeout(r, 200));
    equal(events.length, 1, 'moved in the page: no second epay-ready');
    sdkButtonOf(el);
  });
});

describe("Apple's <apple-pay-button>", () => {
  it('carries button-type, button-style and locale, and follows their changes', async () => {
    const { el } = await mountReady({
      sdk: standInUrl(),
      'button-type': 'check-out',
      'button-style': 'white-outline',
      locale: 'ru-RU',
    });
    const button = sdkButtonOf(el);
    equal(button.getAttribute('type'), 'check-out');
    equal(button.getAttribute('buttonstyle'), 'white-outline');
    equal(button.getAttribute('locale'), 'ru-RU');
    el.buttonType = 'donate';
    el.buttonStyle = 'white';
    el.locale = 'kk-KZ';
    await el.updateComplete;
    equal(button.getAttribute('type'), 'donate');
    equal(button.getAttribute('buttonstyle'), 'white');
    equal(button.getAttribute('locale'), 'kk-KZ');
    el.locale = '';
    await el.updateComplete;
    equal(button.hasAttribute('locale'), false, "no locale: Apple's button follows the page language");
    equal(innerButtonOf(el).getAttribute('aria-label'), 'Donate with Apple Pay');
  });

  it('is sized by the custom properties (through Apple’s), kept in step, and styled through ::part(button)', async () => {
    const { el } = await mountReady({ sdk: standInUrl() });
    const inner = innerButtonOf(el);
    let rect = inner.getBoundingClientRect();
    equal(Math.round(rect.width), 240);
    equal(Math.round(rect.height), 44);
    equal(getComputedStyle(inner).borderTopLeftRadius, '6px');
    el.style.setProperty('--epay-applepay-button-width', '300px');
    el.style.setProperty('--epay-applepay-button-height', '50px');
    el.style.setProperty('--epay-applepay-button-border-radius', '10px');
    rect = inner.getBoundingClientRect();
    equal(Math.round(rect.width), 300);
    equal(Math.round(rect.height), 50);
    equal(getComputedStyle(inner).borderTopLeftRadius, '10px');
    const host = el.getBoundingClientRect();
    equal(Math.round(host.width), 300, 'the host is as wide as the button');
    equal(Math.round(host.height), 50, 'and as high: no line gap under it');
    const style = document.createElement('style');
    style.textContent = 'epay-applepay-button::part(button){outline:3px solid rgb(255, 0, 0)}';
    document.head.append(style);
    try {
      equal(getComputedStyle(sdkButtonOf(el)).outlineColor, 'rgb(255, 0, 0)');
    } finally {
      style.remove();
    }
    // What a pointer at the centre hits is Apple's button, through both shadow roots.
    const centre = [rect.left + rect.width / 2, rect.top + rect.height / 2] as const;
    equal(el.shadowRoot!.elementFromPoint(...centre), sdkButtonOf(el));
    ok(inner.contains(sdkButtonOf(el).shadowRoot!.elementFromPoint(...centre)), "inside Apple's inner button");
    // A full-width button, as a checkout column has it.
    el.style.display = 'block';
    el.style.width = '400px';
    el.style.setProperty('--epay-applepay-button-width', '100%');
    equal(Math.round(inner.getBoundingClientRect().width), 400, '100% of the host');
  });

  it('a real click creates and begins the session inside that click, and pays end to end', async () => {
    proxy = installFakeProxy();
    const { el } = await mountReady({ sdk: standInUrl(), label: 'Example Shop' });
    const sdk = sdkStandIn()!;
    let stepInClick: string | undefined;
    // Added after the element's own listener on Apple's button: it runs later in the same click.
    sdkButtonOf(el).addEventListener('click', () => (stepInClick = sdk.last?.step));
    const events: string[] = [];
    const record = (e: Event) => events.push(e.type);
    for (const name of ['epay-click', 'epay-success', 'epay-error', 'epay-cancel']) el.addEventListener(name, record);
    const success = nextEvent(el, 'epay-success');
    await realClick(el);
    equal(stepInClick, 'validating', 'created and begun before the click was over');
    const session = sdk.last!;
    await waitFor(() => session.step === 'waiting', 'merchant validation');
    session.authorize();
    deepEqual((await success).detail, { payment: PAID.payment, billingContact: FAKE_PAYMENT.billingContact });
    deepEqual(session.calls, ['begin', 'completeMerchantValidation', 'completePayment:0']);
    deepEqual(events, ['epay-click', 'epay-success']);
    equal(proxy.requests[0]!.url, 'https://pay.example.kz/applepay/session');
    equal(session.version, 14);
  });

  it('is reached with Tab, named "Buy with Apple Pay", and opens the sheet with Enter', async () => {
    proxy = installFakeProxy({ session: 'hang' });
    const { el } = await mountReady({ sdk: standInUrl() });
    const before = document.createElement('input');
    before.setAttribute('aria-label', 'before');
    el.before(before);
    try {
      before.focus();
      await realKey('Tab');
      const inner = innerButtonOf(el);
      equal(document.activeElement, el, 'focus moved into the element');
      equal(el.shadowRoot!.activeElement, sdkButtonOf(el));
      equal(sdkButtonOf(el).shadowRoot!.activeElement, inner, "Apple's button has the focus");
      equal(inner.getAttribute('aria-label'), 'Buy with Apple Pay');
      if (navigator.userAgent.includes('Chrome')) {
        // The accessibility tree as a screen reader gets it: one focused button, with that name.
        interface A11yNode {
          role?: string;
          name?: string;
          focused?: boolean;
          children?: A11yNode[];
        }
        // Typed void by @web/test-runner-commands; it resolves with puppeteer's snapshot.
        const tree = (await a11ySnapshot({})) as unknown as A11yNode;
        const nodes: A11yNode[] = [];
        const walk = (n: A11yNode) => {
          nodes.push(n);
          for (const c of n.children ?? []) walk(c);
        };
        walk(tree);
        deepEqual(
          nodes.filter((n) => n.focused).map((n) => [n.role, n.name]),
          [['button', 'Buy with Apple Pay']],
        );
      }
      await realKey('Enter');
      const session = sdkStandIn()!.last;
      ok(session, 'a session from the key press');
      equal(session.step, 'validating');
      const cancel = nextEvent(el, 'epay-cancel');
      session.cancel();
      await cancel;
    } finally {
      before.remove();
    }
  });

  it('disabled: out of reach (inert) and dimmed; enabled again, it opens the sheet', async () => {
    const { el } = await mountReady({ sdk: standInUrl(), disabled: true });
    const button = sdkButtonOf(el);
    ok(button.inert, 'inert');
    equal(getComputedStyle(button).opacity, '0.5');
    let clicks = 0;
    el.addEventListener('epay-click', () => clicks++);
    await realClick(el);
    innerButtonOf(el).focus();
    ok(sdkButtonOf(el).shadowRoot!.activeElement !== innerButtonOf(el), 'takes no focus');
    equal(clicks, 0);
    equal(sdkStandIn()!.sessions.length, 0, 'no sheet');
    el.disabled = false;
    await el.updateComplete;
    equal(button.inert, false);
    proxy = installFakeProxy({ session: 'hang' });
    const cancel = nextEvent(el, 'epay-cancel');
    await realClick(el);
    equal(clicks, 1);
    ok(sdkStandIn()!.last, 'a session');
    sdkStandIn()!.last!.cancel();
    await cancel;
  });
});

describe('applePayCapabilities(merchant-id)', () => {
  const answers: [PaymentCredentialStatus, boolean][] = [
    ['paymentCredentialsAvailable', true],
    ['paymentCredentialStatusUnknown', true],
    ['paymentCredentialsUnavailable', true],
    ['applePayUnsupported', false],
  ];
  for (const [capability, shown] of answers) {
    it(`${capability}: ${shown ? 'shown' : 'hidden, cannot_make_payments'}, with Apple's answer in epay-ready`, async () => {
      standInOptions({ capability });
      const { el, detail } = await mountReady({ sdk: standInUrl(), 'merchant-id': MERCHANT_ID });
      deepEqual(
        detail,
        shown ? { available: true, capability } : { available: false, reason: 'cannot_make_payments', capability },
      );
      deepEqual(sdkStandIn()!.capabilityCalls, [MERCHANT_ID], 'asked once, with merchant-id');
      equal(el.available, shown);
      equal(getComputedStyle(el).display, shown ? 'inline-block' : 'none');
      equal(!!el.shadowRoot!.querySelector('apple-pay-button'), shown);
    });
  }

  it('without merchant-id it is not asked: canMakePayments() decides', async () => {
    standInOptions({ capability: 'applePayUnsupported' });
    deepEqual((await mountReady({ sdk: standInUrl() })).detail, { available: true });
    deepEqual(sdkStandIn()!.capabilityCalls, []);
    sdkStandIn()!.uninstall();
    standInOptions({ canMakePayments: false });
    deepEqual((await mountReady({ sdk: standInUrl() })).detail, {
      available: false,
      reason: 'cannot_make_payments',
    });
  });

  it('rejected (Apple not reached): canMakePayments() decides, no capability', async () => {
    standInOptions({ capability: 'reject' });
    deepEqual((await mountReady({ sdk: standInUrl(), 'merchant-id': MERCHANT_ID })).detail, { available: true });
    deepEqual(sdkStandIn()!.capabilityCalls, [MERCHANT_ID]);
  });
});

/**
 * @module Apple's SDK failing, on a page where `<apple-pay-button>` is never defined: a 404, a script that never
 * arrives, one that loads and defines nothing, an `sdk` value that is not allowed, and a session with no Apple button
 * outside Safari. Each ends in `epay-ready` `{ available: false, reason: "sdk_unavailable" }` within 10 seconds (the
 * real wait, once, for the three slow cases together), with nothing thrown and nothing left in the page. The failing
 * scripts come from test-support/apple-pay-sdk-routes.mjs. Blocked by a Content-Security-Policy: sdk-csp.test.html.
 */
import '../src/index.js';
import { SDK_TIMEOUT_MS, loadApplePaySdk, sdkScriptUrl } from '../src/apple-pay-sdk.js';
import { detectAvailability } from '../src/availability.js';
import type { EpayApplePayButton } from '../src/epay-applepay-button.js';
import type { EpayReadyDetail } from '../src/events.js';
import { deepEqual, equal, ok } from './helpers/assert.js';
import { type FakeApplePay, installFakeApplePay } from '../test-support/fake-apple-pay-session.js';
import { catchPageErrors, makeOrder, nextEvent } from './helpers/page.js';
import { engineHasNativeButton } from './helpers/safari.js';

const ROUTES = '/__apple-pay-sdk/';
/** The contract: `sdk_unavailable` within 10 seconds. */
const PROMISED_MS = 10_000;
const SDK_SCRIPT = /apple-pay-sdk/;

let elements: EpayApplePayButton[] = [];
let applePay: FakeApplePay | undefined;
let pageErrors: ReturnType<typeof catchPageErrors>;
let bodyBefore: string;

/** Creates and appends an element; resolves with `epay-ready`'s detail and the milliseconds it took. */
async function ready(attributes: Record<string, string>, timeoutMs = 4000) {
  const el = document.createElement('epay-applepay-button');
  el.setAttribute('proxy', 'https://pay.example.kz');
  el.setAttribute('order', makeOrder());
  for (const [name, value] of Object.entries(attributes)) el.setAttribute(name, value);
  const started = performance.now();
  const event = nextEvent<EpayReadyDetail>(el, 'epay-ready', timeoutMs);
  document.body.append(el);
  elements.push(el);
  const { detail } = await event;
  return { el, detail, ms: performance.now() - started };
}

/** What a failed SDK leaves: a hidden element with nothing drawn, and no script of the SDK in the document. */
function assertUntouched(el: EpayApplePayButton) {
  equal(getComputedStyle(el).display, 'none', 'hidden');
  equal(el.available, false);
  equal(el.shadowRoot!.querySelector('[part=button]'), null, 'nothing drawn');
  deepEqual(
    [...document.scripts].filter((s) => SDK_SCRIPT.test(s.src)).map((s) => s.src),
    [],
    'the failed script taken out again',
  );
}

beforeEach(() => {
  pageErrors = catchPageErrors();
  bodyBefore = [...document.body.children].map((c) => c.outerHTML).join('');
});

afterEach(() => {
  for (const el of elements) el.remove();
  elements = [];
  applePay?.uninstall();
  applePay = undefined;
  pageErrors.stop();
  deepEqual(pageErrors.errors.map(String), [], 'nothing thrown into the page');
  equal([...document.body.children].map((c) => c.outerHTML).join(''), bodyBefore, 'the page as it was');
});

describe('the sdk value', () => {
  it('none, apple, https, a same-origin path; anything else is refused', () => {
    const base = 'https://shop.example.kz/cart/';
    const origin = 'https://shop.example.kz';
    const cases: [string | null, string | null | false][] = [
      [null, null],
      ['', null],
      [' none ', null],
      ['NONE', null],
      ['apple', 'https://applepay.cdn-apple.com/jsapi/1.latest/apple-pay-sdk.js'],
      [' Apple ', 'https://applepay.cdn-apple.com/jsapi/1.latest/apple-pay-sdk.js'],
      [
        'https://applepay.cdn-apple.com/jsapi/v1.3.8/apple-pay-sdk.js',
        'https://applepay.cdn-apple.com/jsapi/v1.3.8/apple-pay-sdk.js',
      ],
      ['/js/apple-pay-sdk.js', 'https://shop.example.kz/js/apple-pay-sdk.js'],
      ['vendor/sdk.js', 'https://shop.example.kz/cart/vendor/sdk.js'],
      ['http://cdn.example.com/sdk.js', false],
      ['//cdn.example.com/sdk.js', 'https://cdn.example.com/sdk.js'],
      ['javascript:alert(1)', false],
      ['data:text/javascript,alert(1)', false],
      ['https://', false],
    ];
    for (const [value, expected] of cases) equal(sdkScriptUrl(value, base, origin), expected, String(value));
    // On a plain-http page (a local test server) a same-origin path is allowed, plain http elsewhere is not.
    equal(sdkScriptUrl('/sdk.js', 'http://localhost:8000/', 'http://localhost:8000'), 'http://localhost:8000/sdk.js');
    equal(sdkScriptUrl('http://other:8000/sdk.js', 'http://localhost:8000/', 'http://localhost:8000'), false);
  });

  it('a value that is refused: sdk_unavailable at once, nothing added to the page', async () => {
    const before = document.scripts.length;
    for (const sdk of ['http://cdn.example.com/apple-pay-sdk.js', 'javascript:alert(1)', 'data:text/javascript,1']) {
      const { el, detail, ms } = await ready({ sdk });
      deepEqual(detail, { available: false, reason: 'sdk_unavailable' }, sdk);
      ok(ms < 1000, `at once (${Math.round(ms)} ms)`);
      assertUntouched(el);
    }
    equal(document.scripts.length, before);
  });
});

describe('an SDK that fails', () => {
  it('404: sdk_unavailable as soon as the script fails', async () => {
    const { el, detail, ms } = await ready({ sdk: `${ROUTES}404.js` });
    deepEqual(detail, { available: false, reason: 'sdk_unavailable' });
    ok(ms < 2000, `without waiting for the timeout (${Math.round(ms)} ms)`);
    assertUntouched(el);
  });

  it('the loader on its own: false for a 404, a hung script and one that defines nothing, after its timeout', async () => {
    const started = performance.now();
    const [missing, hung, empty] = await Promise.all([
      loadApplePaySdk(absolute(`${ROUTES}404.js?loader`), 300),
      loadApplePaySdk(absolute(`${ROUTES}hang.js?loader`), 300),
      loadApplePaySdk(absolute(`${ROUTES}empty.js?loader`), 300),
    ]);
    deepEqual([missing, hung, empty], [false, false, false]);
    const ms = performance.now() - started;
    ok(ms >= 290 && ms < 2000, `after the 300 ms given (${Math.round(ms)} ms)`);
    // Asked again: the same answer, and no second script.
    const again = loadApplePaySdk(absolute(`${ROUTES}empty.js?loader`), 300);
    equal(await again, false);
    deepEqual(
      [...document.scripts].filter((s) => SDK_SCRIPT.test(s.src)),
      [],
      'no second try',
    );
  });

  it(`a hung script, one that defines nothing, and a session with no <apple-pay-button>: sdk_unavailable within ${PROMISED_MS / 1000} s`, async function () {
    this.timeout(PROMISED_MS + 5000);
    ok(!engineHasNativeButton(), 'an engine without Safari’s native button');
    const hung = ready({ sdk: `${ROUTES}hang.js` }, PROMISED_MS + 2000);
    const empty = ready({ sdk: `${ROUTES}empty.js` }, PROMISED_MS + 2000);
    // Both scripts are on their way before a session exists (which would keep the element from loading any).
    await new Promise((r) => setTimeout(r, 100));
    equal([...document.scripts].filter((s) => SDK_SCRIPT.test(s.src)).length, 2, 'both scripts added');
    equal(
      [...document.scripts]
        .filter((s) => SDK_SCRIPT.test(s.src))
        .every((s) => s.getAttribute('crossorigin') === 'anonymous'),
      true,
    );
    // A page's own ApplePaySession outside Safari, with Apple's button never defined: nothing to show.
    applePay = installFakeApplePay();
    const noButton = ready({ sdk: 'none' }, PROMISED_MS + 2000);
    for (const [name, result] of [
      ['hung', await hung],
      ['empty', await empty],
      ['no <apple-pay-button>', await noButton],
    ] as const) {
      deepEqual(result.detail, { available: false, reason: 'sdk_unavailable' }, name);
      ok(result.ms < PROMISED_MS, `${name}: within ${PROMISED_MS} ms (${Math.round(result.ms)} ms)`);
      ok(result.ms >= SDK_TIMEOUT_MS - 200, `${name}: not before the SDK had its time (${Math.round(result.ms)} ms)`);
      assertUntouched(result.el);
    }
    ok(!customElements.get('apple-pay-button'), 'no <apple-pay-button> on this page');
  });
});

describe('the rule: Apple’s capability answer or canMakePayments()', () => {
  const Session = (canMakePayments: () => boolean) =>
    Object.assign(() => undefined, { canMakePayments, supportsVersion: (v: number) => v <= 14 });
  const secure = { isSecureContext: true };

  it('a capability decides instead of canMakePayments(); applePayUnsupported is cannot_make_payments', () => {
    const refuses = Session(() => {
      throw new Error('canMakePayments must not be asked');
    });
    for (const capability of [
      'paymentCredentialsAvailable',
      'paymentCredentialStatusUnknown',
      'paymentCredentialsUnavailable',
    ])
      equal(detectAvailability({ ...secure, ApplePaySession: refuses }, capability).available, true, capability);
    deepEqual(detectAvailability({ ...secure, ApplePaySession: refuses }, 'applePayUnsupported'), {
      available: false,
      reason: 'cannot_make_payments',
    });
  });

  it('without a capability canMakePayments() decides, as before', () => {
    equal(detectAvailability({ ...secure, ApplePaySession: Session(() => true) }).available, true);
    deepEqual(detectAvailability({ ...secure, ApplePaySession: Session(() => false) }), {
      available: false,
      reason: 'cannot_make_payments',
    });
    // An empty answer is no answer.
    equal(detectAvailability({ ...secure, ApplePaySession: Session(() => false) }, '').available, false);
  });
});

function absolute(path: string): string {
  return new URL(path, location.href).href;
}

/**
 * @module The button itself: a real `<button part="button">`, labelled, sized by the custom
 * properties, black/white/white-outline where it is drawn in CSS, Apple's native button where the
 * engine has one. Engine-agnostic: the native path is forced on or off through a faked
 * `CSS.supports`, so both paths run in Chromium and WebKitGTK (neither has Apple's button).
 */
import '../src/index.js';
import type { EpayApplePayButton } from '../src/epay-applepay-button.js';
import { equal, ok } from './helpers/assert.js';
import { type FakeApplePay, installFakeApplePay } from '../test-support/fake-apple-pay-session.js';
import { buttonOf, makeOrder, mount } from './helpers/page.js';

const NATIVE_QUERY = ['-webkit-appearance', '-apple-pay-button'];
let applePay: FakeApplePay;
let el: EpayApplePayButton | undefined;
const realSupports = CSS.supports;

/** Makes `CSS.supports` answer the Apple Pay button query as Safari (true) or every other engine (false). */
function nativeButton(supported: boolean) {
  Object.defineProperty(CSS, 'supports', {
    configurable: true,
    writable: true,
    value: (...args: string[]) =>
      args[0] === NATIVE_QUERY[0] && args[1] === NATIVE_QUERY[1]
        ? supported
        : (realSupports as (...a: string[]) => boolean).apply(CSS, args),
  });
}

beforeEach(() => (applePay = installFakeApplePay()));
afterEach(() => {
  el?.remove();
  el = undefined;
  applePay.uninstall();
  Object.defineProperty(CSS, 'supports', { configurable: true, writable: true, value: realSupports });
  document.getElementById('outer-style')?.remove();
});

async function show(attributes: Record<string, string> = {}) {
  el = await mount({ proxy: '/pay', order: makeOrder(), ...attributes });
  return buttonOf(el);
}

describe("the fallback button (engines without Apple's native button)", () => {
  beforeEach(() => nativeButton(false));

  it('is a real, visible, labelled <button> exposed as part="button"', async () => {
    const button = await show();
    equal(button.tagName, 'BUTTON');
    equal(button.getAttribute('part'), 'button');
    equal(button.getAttribute('aria-label'), 'Buy with Apple Pay');
    equal(button.textContent, 'Buy with Apple Pay');
    const rect = button.getBoundingClientRect();
    equal(Math.round(rect.width), 240);
    equal(Math.round(rect.height), 44);
    const style = getComputedStyle(button);
    equal(style.backgroundColor, 'rgb(0, 0, 0)');
    equal(style.color, 'rgb(255, 255, 255)');
    // Visible: the button itself is what a pointer at its centre hits, through the shadow root.
    const centre = [rect.left + rect.width / 2, rect.top + rect.height / 2] as const;
    equal(document.elementFromPoint(...centre), el, 'the host is hit at the centre');
    equal(el!.shadowRoot!.elementFromPoint(...centre), button, 'the button is hit inside the shadow root');
    equal(style.visibility, 'visible');
    ok(Number(style.opacity) === 1, 'fully opaque');
  });

  it('follows button-type', async () => {
    const button = await show({ 'button-type': 'check-out' });
    equal(button.getAttribute('aria-label'), 'Check out with Apple Pay');
    el!.buttonType = 'plain';
    await el!.updateComplete;
    equal(button.textContent, 'Apple Pay');
  });

  it('draws white and white-outline; an unknown style is black', async () => {
    const button = await show({ 'button-style': 'white' });
    equal(getComputedStyle(button).backgroundColor, 'rgb(255, 255, 255)');
    equal(getComputedStyle(button).color, 'rgb(0, 0, 0)');
    equal(getComputedStyle(button).borderTopWidth, '0px');
    el!.buttonStyle = 'white-outline';
    await el!.updateComplete;
    equal(getComputedStyle(button).backgroundColor, 'rgb(255, 255, 255)');
    equal(getComputedStyle(button).borderTopWidth, '1px');
    equal(getComputedStyle(button).borderTopStyle, 'solid');
    el!.buttonStyle = 'purple';
    await el!.updateComplete;
    equal(getComputedStyle(button).backgroundColor, 'rgb(0, 0, 0)');
  });

  it('is sized by the custom properties and styled through ::part(button)', async () => {
    const button = await show();
    el!.style.setProperty('--epay-applepay-button-width', '300px');
    el!.style.setProperty('--epay-applepay-button-height', '50px');
    el!.style.setProperty('--epay-applepay-button-border-radius', '10px');
    const style = document.createElement('style');
    style.id = 'outer-style';
    style.textContent = 'epay-applepay-button::part(button){outline:3px solid rgb(255, 0, 0)}';
    document.head.append(style);
    const rect = button.getBoundingClientRect();
    equal(Math.round(rect.width), 300);
    equal(Math.round(rect.height), 50);
    equal(getComputedStyle(button).borderTopLeftRadius, '10px');
    equal(getComputedStyle(button).outlineColor, 'rgb(255, 0, 0)');
  });

  it('sets the language from locale, and inherits the page language without it', async () => {
    const button = await show({ locale: 'kk-KZ' });
    equal(button.lang, 'kk-KZ');
    el!.locale = '';
    await el!.updateComplete;
    equal(button.hasAttribute('lang'), false);
  });

  it('reflects disabled and is not focusable then', async () => {
    const button = await show();
    el!.disabled = true;
    await el!.updateComplete;
    ok(button.disabled);
    ok(el!.hasAttribute('disabled'), 'reflected');
    button.focus();
    ok(el!.shadowRoot!.activeElement !== button, 'a disabled button takes no focus');
  });

  it('is hidden by the hidden attribute like any element', async () => {
    await show();
    el!.hidden = true;
    equal(getComputedStyle(el!).display, 'none');
  });
});

describe("this engine's own answer (no stub)", () => {
  it('follows what the engine says of -apple-pay-button (Chromium and WebKitGTK: no, so the look-alike)', async () => {
    const native = (realSupports as (p: string, v: string) => boolean).call(CSS, NATIVE_QUERY[0]!, NATIVE_QUERY[1]!);
    const button = await show({ 'button-type': 'pay' });
    equal(button.className, native ? 'native' : 'black');
    equal(button.getAttribute('aria-label'), 'Pay with Apple Pay');
  });
});

/**
 * Records `style.setProperty` calls for Apple's button properties. The engines the tests run in drop properties
 * they do not know, so reading them back from `button.style` would say nothing outside Safari.
 */
function recordApplePayProperties() {
  const real = CSSStyleDeclaration.prototype.setProperty;
  const calls: { style: CSSStyleDeclaration; name: string; value: string }[] = [];
  CSSStyleDeclaration.prototype.setProperty = function (
    this: CSSStyleDeclaration,
    name: string,
    value: string | null,
    priority?: string,
  ) {
    if (name.startsWith('-apple-pay-button-')) calls.push({ style: this, name, value: String(value) });
    return real.call(this, name, value, priority);
  };
  return {
    /** The last value set for `name` on that element's inline style. */
    last: (target: HTMLElement, name: string) =>
      calls.filter((c) => c.style === target.style && c.name === name).at(-1)?.value,
    restore: () => (CSSStyleDeclaration.prototype.setProperty = real),
  };
}

describe("Apple's native button (Safari)", () => {
  let recorded: ReturnType<typeof recordApplePayProperties> | undefined;
  beforeEach(() => nativeButton(true));
  afterEach(() => recorded?.restore());

  it('uses -apple-pay-button with the language, and keeps the label for screen readers', async () => {
    const button = await show({ 'button-type': 'donate', 'button-style': 'white-outline', locale: 'ru-RU' });
    equal(button.className, 'native');
    equal(button.textContent, '', 'Safari draws the text itself');
    equal(button.getAttribute('aria-label'), 'Donate with Apple Pay');
    equal(button.lang, 'ru-RU');
  });

  it('hands button-type and button-style to Safari through the CSSOM, and follows their changes', async () => {
    recorded = recordApplePayProperties();
    const button = await show({ 'button-type': 'donate', 'button-style': 'white-outline' });
    equal(recorded.last(button, '-apple-pay-button-type'), 'donate');
    equal(recorded.last(button, '-apple-pay-button-style'), 'white-outline');
    el!.buttonType = 'check-out';
    el!.buttonStyle = 'white';
    await el!.updateComplete;
    equal(recorded.last(button, '-apple-pay-button-type'), 'check-out');
    equal(recorded.last(button, '-apple-pay-button-style'), 'white');
  });

  it("carries none of the look-alike's colours, border, font or layout (author styles switch Safari's drawing off)", async () => {
    const button = await show({ 'button-style': 'white-outline' });
    const plain = document.createElement('button');
    document.body.append(plain);
    try {
      const [ours, engine] = [getComputedStyle(button), getComputedStyle(plain)];
      for (const property of [
        'background-color',
        'color',
        'border-top-width',
        'border-top-style',
        'font-weight',
        'font-size',
        'padding-left',
        'display',
      ]) {
        equal(ours.getPropertyValue(property), engine.getPropertyValue(property), `${property} as on any <button>`);
      }
    } finally {
      plain.remove();
    }
  });
});

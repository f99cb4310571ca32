/**
 * @module Safari's button: a real `<button part="button">`, labelled, sized by the custom properties, drawn by Safari
 * as Apple's native button. Engine-agnostic: Safari is the fake session with `CSS.supports` answering as Safari
 * (test/helpers/safari.ts), so the native path runs in Chromium and WebKitGTK (neither has Apple's button). Apple's
 * SDK button, the one every other browser gets, is in sdk-button.test.ts.
 */
import '../src/index.js';
import type { EpayApplePayButton } from '../src/epay-applepay-button.js';
import { equal, ok } from './helpers/assert.js';
import type { FakeApplePay } from '../test-support/fake-apple-pay-session.js';
import { buttonOf, makeOrder, mount } from './helpers/page.js';
import { installSafariApplePay } from './helpers/safari.js';

let applePay: FakeApplePay;
let el: EpayApplePayButton | undefined;

beforeEach(() => (applePay = installSafariApplePay()));
afterEach(() => {
  el?.remove();
  el = undefined;
  applePay.uninstall();
  document.getElementById('outer-style')?.remove();
});

async function show(attributes: Record<string, string> = {}) {
  el = await mount({ proxy: '/pay', order: makeOrder(), ...attributes });
  return buttonOf(el);
}

describe("Safari's button", () => {
  it('is a real, visible, labelled <button> exposed as part="button", with no text of its own', async () => {
    const button = await show();
    equal(button.tagName, 'BUTTON');
    equal(button.getAttribute('part'), 'button');
    equal(button.getAttribute('aria-label'), 'Buy with Apple Pay');
    equal(button.textContent, '', 'Safari draws the text itself');
    const rect = button.getBoundingClientRect();
    equal(Math.round(rect.width), 240);
    equal(Math.round(rect.height), 44);
    // Visible: the button itself is what a pointer at its centre hits, through the shadow root.
    const centre = [rect.left + rect.width / 2, rect.top + rect.height / 2] as const;
    equal(document.elementFromPoint(...centre), el, 'the host is hit at the centre');
    equal(el!.shadowRoot!.elementFromPoint(...centre), button, 'the button is hit inside the shadow root');
    equal(getComputedStyle(button).visibility, 'visible');
    equal(el!.shadowRoot!.querySelectorAll('[part=button]').length, 1, 'one button');
  });

  it('follows button-type in its label', async () => {
    const button = await show({ 'button-type': 'check-out' });
    equal(button.getAttribute('aria-label'), 'Check out with Apple Pay');
    el!.buttonType = 'plain';
    await el!.updateComplete;
    equal(button.getAttribute('aria-label'), 'Apple Pay');
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

describe("Apple's native button: what Safari is handed", () => {
  let recorded: ReturnType<typeof recordApplePayProperties> | undefined;
  afterEach(() => recorded?.restore());

  it('uses -apple-pay-button with the language, and keeps the label for screen readers', async () => {
    const button = await show({ 'button-type': 'donate', 'button-style': 'white-outline', locale: 'ru-RU' });
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

  it("carries no colours, border, font or layout of its own (author styles switch Safari's drawing off)", async () => {
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

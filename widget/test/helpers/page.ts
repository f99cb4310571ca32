/** @module Test helpers for the page: order tokens, real clicks and keys, waiting for events, and catching anything thrown into the page. */
import { sendKeys, sendMouse, resetMouse } from '@web/test-runner-commands';
import type { EpayApplePayButton } from '../../src/epay-applepay-button.js';

/** Base64url of a string's UTF-8 bytes, as a JWT segment (labels in Kazakh or Russian included). */
function b64url(value: string): string {
  return btoa(String.fromCharCode(...new TextEncoder().encode(value)))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}

/**
 * An order token as the merchant's backend signs it; the signature is fake (the element never checks it).
 *
 * @example
 * makeOrder({ amount: 1500 }); // expires in 10 minutes
 */
export function makeOrder(claims: Record<string, unknown> = {}): string {
  const payload = {
    invoiceId: '000123456',
    amount: 1500,
    currency: 'KZT',
    exp: Math.floor(Date.now() / 1000) + 600,
    ...claims,
  };
  return `${b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${b64url(JSON.stringify(payload))}.${b64url('not-a-real-signature')}`;
}

/** Every event the element fires, in order, with its detail. */
export interface EventLog {
  events: { type: string; detail: any }[];
  /** The outcome events only: each attempt must end in exactly one. */
  outcomes(): string[];
}

const EVENT_NAMES = [
  'epay-ready',
  'epay-click',
  'epay-success',
  'epay-3ds',
  'epay-declined',
  'epay-cancel',
  'epay-error',
  'epay-shipping-contact',
  'epay-shipping-method',
  'epay-coupon-code',
];
const OUTCOMES = ['epay-success', 'epay-3ds', 'epay-declined', 'epay-cancel', 'epay-error'];

/** Records the element's events, as a merchant's listener on the document would hear them. */
export function recordEvents(target: EventTarget = document): EventLog & { stop(): void } {
  const log = {
    events: [] as { type: string; detail: any }[],
    outcomes() {
      return this.events.filter((e) => OUTCOMES.includes(e.type)).map((e) => e.type);
    },
    stop() {
      for (const name of EVENT_NAMES) target.removeEventListener(name, listener);
    },
  };
  const listener = (e: Event) => log.events.push({ type: e.type, detail: (e as CustomEvent).detail });
  for (const name of EVENT_NAMES) target.addEventListener(name, listener);
  return log;
}

/**
 * Creates the element with the given attributes, appends it, and waits for `epay-ready`.
 *
 * @example
 * const el = await mount({ proxy: '/pay', order: makeOrder() });
 */
export async function mount(attributes: Record<string, string | boolean> = {}): Promise<EpayApplePayButton> {
  const el = document.createElement('epay-applepay-button');
  for (const [name, value] of Object.entries(attributes)) {
    if (value === true) el.setAttribute(name, '');
    else if (value !== false) el.setAttribute(name, value);
  }
  const ready = nextEvent(el, 'epay-ready');
  document.body.append(el);
  await ready;
  return el;
}

/** The element's inner `<button part="button">`. */
export function buttonOf(el: Element): HTMLButtonElement {
  const button = el.shadowRoot?.querySelector('button');
  if (!button) throw new Error('no button in the shadow root');
  return button;
}

/**
 * A real mouse click at the centre of the element's button (its `part="button"`: Safari's `<button>` or Apple's
 * `<apple-pay-button>`; the shadow root's `<button>` of any other host), through the browser's input pipeline (a
 * trusted event with user activation).
 */
export async function realClick(el: Element): Promise<void> {
  const rect = (el.shadowRoot?.querySelector('[part="button"]') ?? buttonOf(el)).getBoundingClientRect();
  await sendMouse({
    type: 'click',
    position: [Math.round(rect.left + rect.width / 2), Math.round(rect.top + rect.height / 2)],
  });
  await resetMouse();
}

/** A real key press on the focused element (Enter or Space on a button makes a trusted click). */
export async function realKey(press: string): Promise<void> {
  await sendKeys({ press });
}

/** Resolves with the next event of that name on `target`, or rejects after `timeoutMs`. */
export function nextEvent<T = any>(target: EventTarget, name: string, timeoutMs = 4000): Promise<CustomEvent<T>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${name} within ${timeoutMs} ms`)), timeoutMs);
    target.addEventListener(
      name,
      (e) => {
        clearTimeout(timer);
        resolve(e as CustomEvent<T>);
      },
      { once: true },
    );
  });
}

/** Polls until `predicate` holds, or rejects after `timeoutMs`. */
export async function waitFor(predicate: () => unknown, what: string, timeoutMs = 4000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Collects errors and unhandled rejections that reach the page: the element must never throw into it. */
export function catchPageErrors(): { errors: unknown[]; stop(): void } {
  const errors: unknown[] = [];
  const onError = (e: ErrorEvent) => errors.push(e.error ?? e.message);
  const onRejection = (e: PromiseRejectionEvent) => errors.push(e.reason);
  addEventListener('error', onError);
  addEventListener('unhandledrejection', onRejection);
  return {
    errors,
    stop() {
      removeEventListener('error', onError);
      removeEventListener('unhandledrejection', onRejection);
    },
  };
}

/** @module Where things are on the demo's pages, as `Selector`s both drivers understand (`>>>` enters a shadow root). */
import type { Selector } from './page-driver.js';

/** The simulated Apple Pay sheet: a dialog in the open shadow root of its host element. */
export const SHEET = '#simulated-apple-pay-sheet >>> [role=dialog][aria-label="Simulated Apple Pay"]';

/**
 * Something inside the simulated sheet.
 *
 * @example
 * await page.click(inSheet('button.pay', /^Pay$/));
 */
export function inSheet(css: string, text?: string | RegExp): Selector {
  return { css: `${SHEET} ${css}`, text };
}

/**
 * The element's button by its accessible label: outside Safari, the `<button>` inside Apple's `<apple-pay-button>`
 * (here the SDK stand-in's, in either mode of the demo), in the element's shadow root.
 */
export const BUY_BUTTON = 'epay-applepay-button >>> apple-pay-button >>> button[aria-label="Buy with Apple Pay"]';

/**
 * An element with a `data-testid`.
 *
 * @example
 * await page.text(testId('invoice'));
 */
export function testId(id: string): string {
  return `[data-testid="${id}"]`;
}

/**
 * Everything the page holds as text: its markup, every open shadow root's, and session and local storage. A secret that
 * reached the page's code and was kept would show here.
 */
export const PAGE_STATE = `(() => {
  const parts = [document.documentElement.outerHTML, JSON.stringify(Object.entries(sessionStorage)), JSON.stringify(Object.entries(localStorage))];
  const walk = (root) => root.querySelectorAll('*').forEach((el) => {
    if (el.shadowRoot) { parts.push(el.shadowRoot.innerHTML); walk(el.shadowRoot); }
  });
  walk(document);
  return parts.join('\\n');
})()`;

/**
 * @module The small browser interface the end-to-end scenarios are written against, so the same steps run in Chromium
 * (playwright-core) and in WebKitGTK (W3C WebDriver): open a URL, click and fill as real user input, wait for an
 * element or its absence, read text, evaluate an expression, take a screenshot.
 */

/** A customer's step never takes this long against the sandbox; a hung step fails here rather than at the test's end. */
export const STEP_TIMEOUT_MS = 10_000;

/** The engines the scenarios run in. */
export const ENGINES = ['chromium', 'webkit'] as const;
export type Engine = (typeof ENGINES)[number];

/**
 * What to find on the page. `css` is a CSS selector; ` >>> ` steps into the open shadow root of what the part before it
 * matched (`'epay-applepay-button >>> button'`). `text` keeps only elements whose text contains the string or matches
 * the expression. A string is `{ css }`.
 *
 * @example
 * const pay: Selector = { css: '#simulated-apple-pay-sheet >>> [role=dialog] button', text: /^Pay$/ };
 */
export type Selector = string | { css: string; text?: string | RegExp };

/** What `waitFor` waits for: an element that is rendered (has a box and is not `visibility: hidden`), or none. */
export type WaitState = 'visible' | 'hidden';

/** One tab of one engine. Every wait gives up after the page's step timeout with the selector in the message. */
export interface PageDriver {
  readonly engine: Engine;
  /** Navigates and waits for the load event. */
  open(url: string): Promise<void>;
  /** The address the tab shows now. */
  url(): Promise<string>;
  /** Waits until exactly one element matches and is visible and enabled, then clicks its centre as real mouse input (trusted events, user activation). */
  click(selector: Selector): Promise<void>;
  /** Waits like `click`, clears the field and types the text into it as the keyboard would. */
  fill(selector: Selector, text: string): Promise<void>;
  /** Waits until one matching element is visible, or until none is (`hidden`). */
  waitFor(selector: Selector, state?: WaitState): Promise<void>;
  /** The `textContent` of the one matching element now, or null when nothing matches (no waiting: poll with `until`). */
  text(selector: Selector): Promise<string | null>;
  /** The value of a JavaScript expression in the page (JSON-serialisable). */
  evaluate<T>(expression: string): Promise<T>;
  /** Every HTTP response body the tab received so far, where the engine's automation can read them; undefined where it cannot. */
  responseBodies(): readonly string[] | undefined;
  /** A PNG of the viewport at demo/test-results/<engine>/<name>.png; resolves with its path. */
  screenshot(name: string): Promise<string>;
  close(): Promise<void>;
}

/** Options of a new tab. */
export interface PageOptions {
  viewport?: { width: number; height: number };
  /** Script source evaluated in every document of the tab before the page's own scripts. */
  initScript?: string;
  /** How long one step (a wait, a click) may take; STEP_TIMEOUT_MS unless given. */
  stepTimeoutMs?: number;
}

/** One running engine; each page is a fresh tab with nothing stored from another. */
export interface EngineBrowser {
  readonly engine: Engine;
  /** Engine and version, e.g. `WebKitGTK 2.50.6`. */
  readonly version: string;
  newPage(options?: PageOptions): Promise<PageDriver>;
  close(): Promise<void>;
}

/** Thrown when an engine's automation cannot do what a step asks; the message says why. */
export class EngineLimitation extends Error {
  override name = 'EngineLimitation';
}

/**
 * The engines to run, from `DEMO_BROWSERS` (`chromium`, `webkit`, or both comma-separated; the default is both).
 *
 * @example
 * chosenEngines({ DEMO_BROWSERS: 'webkit' }); // ['webkit']
 */
export function chosenEngines(env: NodeJS.ProcessEnv = process.env): Engine[] {
  const names = (env.DEMO_BROWSERS ?? ENGINES.join(','))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = names.filter((n) => !(ENGINES as readonly string[]).includes(n));
  if (unknown.length > 0 || names.length === 0) {
    throw new Error(
      `DEMO_BROWSERS: unknown engine ${unknown.join(', ') || '(none given)'}; use any of ${ENGINES.join(', ')}`,
    );
  }
  return [...new Set(names)] as Engine[];
}

/**
 * @module The `PageDriver` for Chromium: Debian's /usr/bin/chromium driven by playwright-core (never a downloaded
 * browser). Clicks and typing go through the DevTools protocol's input events: trusted, with user activation.
 */
import { chromium, type Browser, type BrowserContext, type ElementHandle, type Page } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from '../../../scripts/chromium.mjs';
import { screenshotPath } from './artifacts.js';
import { locateExpression, readText, waitForState, type MatchState } from './locate.js';
import {
  STEP_TIMEOUT_MS,
  type EngineBrowser,
  type PageDriver,
  type PageOptions,
  type Selector,
  type WaitState,
} from './page-driver.js';

const DEFAULT_VIEWPORT = { width: 1200, height: 860 };
/** Resource types whose bodies the page's own code or navigation received (not scripts, styles or images). */
const RECORDED_TYPES = new Set(['document', 'fetch', 'xhr']);

class ChromiumPage implements PageDriver {
  readonly engine = 'chromium' as const;
  readonly #bodies: string[] = [];

  constructor(
    private readonly context: BrowserContext,
    private readonly page: Page,
    private readonly stepTimeoutMs: number,
  ) {
    page.on('response', (r) => {
      if (RECORDED_TYPES.has(r.request().resourceType()))
        void r.text().then(
          (t) => this.#bodies.push(t),
          () => undefined,
        );
    });
  }

  async open(url: string): Promise<void> {
    await this.page.goto(url, { waitUntil: 'load' });
  }

  async url(): Promise<string> {
    return this.page.url();
  }

  async click(selector: Selector): Promise<void> {
    await (await this.#actionable(selector)).click({ timeout: this.stepTimeoutMs });
  }

  async fill(selector: Selector, text: string): Promise<void> {
    await (await this.#actionable(selector)).fill(text, { timeout: this.stepTimeoutMs });
  }

  waitFor(selector: Selector, state: WaitState = 'visible'): Promise<void> {
    return waitForState((e) => this.evaluate<MatchState>(e), selector, state, this.stepTimeoutMs);
  }

  text(selector: Selector): Promise<string | null> {
    return readText((e) => this.evaluate<MatchState>(e), selector);
  }

  evaluate<T>(expression: string): Promise<T> {
    return this.page.evaluate(expression) as Promise<T>;
  }

  responseBodies(): readonly string[] {
    return this.#bodies;
  }

  async screenshot(name: string): Promise<string> {
    const path = screenshotPath(this.engine, name);
    await this.page.screenshot({ path });
    return path;
  }

  async close(): Promise<void> {
    await this.context.close();
  }

  /** The one element the selector matches, once it is visible and enabled. */
  async #actionable(selector: Selector): Promise<ElementHandle> {
    await waitForState((e) => this.evaluate<MatchState>(e), selector, 'actionable', this.stepTimeoutMs);
    const element = (await this.page.evaluateHandle(locateExpression(selector, 'element'))).asElement();
    // It was there a moment ago: a re-render in between is a real failure worth seeing, not a retry.
    if (!element) throw new Error(`The element for ${JSON.stringify(selector)} went away before the click`);
    return element as ElementHandle;
  }
}

/**
 * Starts headless Chromium; each page is a fresh browser context.
 *
 * @example
 * const browser = await launchChromium();
 * const page = await browser.newPage();
 * await page.open('http://127.0.0.1:5173/');
 * await browser.close();
 */
export async function launchChromium(): Promise<EngineBrowser> {
  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS] });
  return {
    engine: 'chromium',
    version: `Chromium ${browser.version()}`,
    async newPage(options: PageOptions = {}) {
      const stepTimeoutMs = options.stepTimeoutMs ?? STEP_TIMEOUT_MS;
      const context = await browser.newContext({ viewport: options.viewport ?? DEFAULT_VIEWPORT });
      context.setDefaultTimeout(stepTimeoutMs);
      if (options.initScript !== undefined) await context.addInitScript({ content: options.initScript });
      return new ChromiumPage(context, await context.newPage(), stepTimeoutMs);
    },
    close: () => browser.close(),
  };
}

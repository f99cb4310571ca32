/**
 * @module The `PageDriver` for WebKitGTK, Safari's engine: Debian's MiniBrowser through WebKitWebDriver on a private
 * Xvfb display (scripts/webkit-driver.mjs), in classic W3C WebDriver. Clicks are WebDriver's Element Click, which
 * WebKit turns into real mouse events in the browser process: trusted, with user activation. Typing is Element Send
 * Keys. Each page is its own WebDriver session (its own MiniBrowser: nothing stored carries over).
 */
import { writeFileSync } from 'node:fs';
import {
  miniBrowserCapabilities,
  startWebKitDriver,
  WebDriverError,
  type WebKitDriver,
} from '../../../scripts/webkit-driver.mjs';
import { screenshotPath } from './artifacts.js';
import { describeSelector, locateExpression, readText, waitForState, type MatchState } from './locate.js';
import {
  EngineLimitation,
  STEP_TIMEOUT_MS,
  type EngineBrowser,
  type PageDriver,
  type PageOptions,
  type Selector,
  type WaitState,
} from './page-driver.js';

/** The W3C key of an element reference in a WebDriver answer. */
const ELEMENT_KEY = 'element-6066-11e4-a52e-4f735466cecf';
const DEFAULT_VIEWPORT = { width: 1200, height: 860 };
/** Between finding an element and clicking it the page may re-render it; try again this often. */
const RETRY_MS = 50;
/** WebDriver errors that mean "the page moved under the click", worth another try within the step's time. */
const TRANSIENT = new Set([
  'stale element reference',
  'element click intercepted',
  'element not interactable',
  'no such element',
]);

interface Session {
  id: string;
  version: string;
}

async function newSession(driver: WebKitDriver, extra: Record<string, unknown> = {}): Promise<Session> {
  const { sessionId, capabilities } = (await driver.command('POST', '/session', {
    capabilities: { alwaysMatch: { ...miniBrowserCapabilities(), ...extra } },
  })) as { sessionId: string; capabilities?: { browserVersion?: string } };
  return { id: sessionId, version: capabilities?.browserVersion ?? 'unknown' };
}

class WebKitPage implements PageDriver {
  readonly engine = 'webkit' as const;

  constructor(
    private readonly driver: WebKitDriver,
    private readonly session: Session,
    private readonly stepTimeoutMs: number,
  ) {}

  /** Sizes the window so that the page's viewport is `viewport` (MiniBrowser's own bars take some of the window). */
  async resize(viewport: { width: number; height: number }): Promise<void> {
    await this.#command('POST', '/window/rect', viewport);
    const inner = await this.evaluate<{ width: number; height: number }>(
      '({ width: innerWidth, height: innerHeight })',
    );
    await this.#command('POST', '/window/rect', {
      width: 2 * viewport.width - inner.width,
      height: 2 * viewport.height - inner.height,
    });
  }

  async open(url: string): Promise<void> {
    await this.#command('POST', '/url', { url });
  }

  async url(): Promise<string> {
    return (await this.#command('GET', '/url')) as string;
  }

  async click(selector: Selector): Promise<void> {
    await this.#onElement(selector, (id) => this.#command('POST', `/element/${id}/click`, {}));
  }

  async fill(selector: Selector, text: string): Promise<void> {
    await this.#onElement(selector, async (id) => {
      await this.#command('POST', `/element/${id}/clear`, {});
      await this.#command('POST', `/element/${id}/value`, { text });
    });
  }

  waitFor(selector: Selector, state: WaitState = 'visible'): Promise<void> {
    return waitForState((e) => this.evaluate<MatchState>(e), selector, state, this.stepTimeoutMs);
  }

  text(selector: Selector): Promise<string | null> {
    return readText((e) => this.evaluate<MatchState>(e), selector);
  }

  async evaluate<T>(expression: string): Promise<T> {
    return (await this.#command('POST', '/execute/sync', { script: `return (${expression});`, args: [] })) as T;
  }

  /** WebDriver classic sees no network traffic (that needs WebDriver BiDi, which WebKitWebDriver does not offer). */
  responseBodies(): undefined {
    return undefined;
  }

  async screenshot(name: string): Promise<string> {
    const path = screenshotPath(this.engine, name);
    // WebKitGTK's screenshot is the last frame the compositor drew, which can trail the DOM by a few hundred ms under
    // Xvfb (a shot right after a step showed the page before it): two animation frames make the current DOM drawn.
    await this.#command('POST', '/execute/async', {
      script:
        'var done = arguments[arguments.length - 1]; requestAnimationFrame(function () { requestAnimationFrame(function () { done(); }); });',
      args: [],
    });
    writeFileSync(path, Buffer.from((await this.#command('GET', '/screenshot')) as string, 'base64'));
    return path;
  }

  async close(): Promise<void> {
    await this.driver.command('DELETE', `/session/${this.session.id}`).catch(() => undefined);
  }

  /**
   * Waits until the selector's one element can take input, then acts on it by its WebDriver reference; a re-render
   * between finding and acting is retried within the step's time.
   */
  async #onElement(selector: Selector, act: (id: string) => Promise<unknown>): Promise<void> {
    const end = Date.now() + this.stepTimeoutMs;
    for (;;) {
      await waitForState((e) => this.evaluate<MatchState>(e), selector, 'actionable', Math.max(end - Date.now(), 0));
      try {
        const ref = await this.evaluate<Record<string, string> | null>(locateExpression(selector, 'element'));
        const id = ref?.[ELEMENT_KEY];
        if (id === undefined) throw new WebDriverError('locate', 'no such element', describeSelector(selector));
        await act(id);
        return;
      } catch (e) {
        if (!(e instanceof WebDriverError && TRANSIENT.has(e.code)) || Date.now() > end) throw e;
        await new Promise((r) => setTimeout(r, RETRY_MS));
      }
    }
  }

  #command(method: string, path: string, body?: unknown): Promise<unknown> {
    return this.driver.command(method, `/session/${this.session.id}${path}`, body);
  }
}

/**
 * Starts WebKitWebDriver on a virtual display and a first MiniBrowser session (for the version and so the first page
 * is ready at once); each later page starts its own session.
 *
 * @example
 * const browser = await launchWebKit();
 * const page = await browser.newPage();
 * await page.open('http://127.0.0.1:5173/');
 * await browser.close();
 */
export async function launchWebKit(): Promise<EngineBrowser> {
  const driver = await startWebKitDriver();
  let spare: Session | undefined;
  try {
    spare = await newSession(driver);
  } catch (e) {
    await driver.close();
    throw e;
  }
  const version = `WebKitGTK ${spare.version}`;
  const pages = new Set<WebKitPage>();
  return {
    engine: 'webkit',
    version,
    async newPage(options: PageOptions = {}) {
      // WebKitWebDriver runs one session at a time ("Maximum number of active sessions").
      for (const open of pages) await open.close();
      pages.clear();
      if (options.initScript !== undefined) {
        if (spare) await driver.command('DELETE', `/session/${spare.id}`).catch(() => undefined);
        spare = undefined;
        await refuseInitScript(driver, version);
      }
      const session = spare ?? (await newSession(driver));
      spare = undefined;
      const page = new WebKitPage(driver, session, options.stepTimeoutMs ?? STEP_TIMEOUT_MS);
      pages.add(page);
      await page.resize(options.viewport ?? DEFAULT_VIEWPORT);
      return page;
    },
    async close() {
      for (const open of pages) await open.close();
      if (spare) await driver.command('DELETE', `/session/${spare.id}`).catch(() => undefined);
      await driver.close();
    },
  };
}

/**
 * A script before the page's own needs WebDriver BiDi (`script.addPreloadScript`); classic WebDriver has nothing like
 * it. Asks the driver for a BiDi session (`webSocketUrl: true`, with no other session open) so the driver's answer, not
 * an assumption, says why not: WebKitWebDriver 2.50 does not know the capability ("Failed to match capabilities").
 */
async function refuseInitScript(driver: WebKitDriver, version: string): Promise<never> {
  let session: Session;
  try {
    session = await newSession(driver, { webSocketUrl: true });
  } catch (e) {
    if (e instanceof WebDriverError && e.code === 'session not created') {
      throw new EngineLimitation(
        `${version}: no script can run before the page's own. Classic WebDriver has no such command, and WebKitWebDriver ` +
          `refuses a WebDriver BiDi session (webSocketUrl: true): ${e.message}`,
      );
    }
    throw e;
  }
  await driver.command('DELETE', `/session/${session.id}`).catch(() => undefined);
  throw new Error(
    `${version} now offers WebDriver BiDi: implement initScript with script.addPreloadScript in demo/test/support/webkit-page.ts`,
  );
}

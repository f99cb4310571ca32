/**
 * @module A @web/test-runner browser launcher for WebKitGTK (Safari's engine) through its
 * WebDriver: one MiniBrowser window, one test file at a time, and real mouse and keyboard input
 * through WebDriver actions, so `sendMouse`/`sendKeys`/`resetMouse` of @web/test-runner-commands
 * work unchanged (they drive any launcher of type `webdriver` through the methods below).
 */
import { miniBrowserCapabilities, startWebKitDriver } from '../../scripts/webkit-driver.mjs';

/** W3C WebDriver key values for the key names @web/test-runner-commands' `press` uses (Playwright's). */
const KEYS = {
  Enter: '\uE007',
  Space: '\uE00D',
  Tab: '\uE004',
  Escape: '\uE00C',
  Backspace: '\uE003',
  Delete: '\uE017',
  ArrowLeft: '\uE012',
  ArrowUp: '\uE013',
  ArrowRight: '\uE014',
  ArrowDown: '\uE015',
  Home: '\uE011',
  End: '\uE010',
  PageUp: '\uE00E',
  PageDown: '\uE00F',
  Shift: '\uE008',
  Control: '\uE009',
  Alt: '\uE00A',
  Meta: '\uE03D',
};
const BUTTONS = { left: 0, middle: 1, right: 2 };
const MOUSE = { type: 'pointer', id: 'mouse', parameters: { pointerType: 'mouse' } };

/**
 * The key actions for one `press` (`Enter`, `a`, `Shift+Tab`): modifiers down, the key down and
 * up, modifiers up in reverse.
 *
 * @example
 * keyActions('Shift+Tab'); // Shift down, Tab down, Tab up, Shift up
 * @param {string} press
 * @returns {{ type: 'keyDown' | 'keyUp', value: string }[]}
 */
export function keyActions(press) {
  const parts = press.length > 1 && press.includes('+') ? press.split('+') : [press];
  const values = parts.map((name) => {
    const value = KEYS[/** @type {keyof typeof KEYS} */ (name)] ?? ([...name].length === 1 ? name : undefined);
    if (value === undefined) throw new Error(`WebKit launcher: unknown key "${name}"`);
    return value;
  });
  return [
    ...values.map((value) => ({ type: /** @type {const} */ ('keyDown'), value })),
    ...values.reverse().map((value) => ({ type: /** @type {const} */ ('keyUp'), value })),
  ];
}

/**
 * The launcher (@web/test-runner-core's `BrowserLauncher` interface). `type` is `webdriver` so
 * @web/test-runner-commands routes mouse and keys here.
 */
export class WebKitLauncher {
  name = 'WebKitGTK';
  type = 'webdriver';
  // One window whose real input one test file owns at a time.
  concurrency = 1;
  /** @type {Promise<{ driver: import('../../scripts/webkit-driver.mjs').WebKitDriver, session: string }> | undefined} */
  #browser;
  /** @type {Map<string, string>} test session id -> URL */
  #pages = new Map();
  /** WebDriver commands of one session run one after another. */
  #queue = Promise.resolve();

  /** Starts the driver and MiniBrowser on first use, so a run without WebKit test files costs nothing. */
  #start() {
    this.#browser ??= (async () => {
      const driver = await startWebKitDriver();
      try {
        const { sessionId, capabilities } = await driver.command('POST', '/session', {
          capabilities: { alwaysMatch: miniBrowserCapabilities() },
        });
        this.name = `WebKitGTK ${capabilities?.browserVersion ?? ''}`.trim();
        return { driver, session: sessionId };
      } catch (e) {
        await driver.close();
        throw e;
      }
    })();
    return this.#browser;
  }

  /**
   * One command in the session, after the ones before it.
   *
   * @param {string} method
   * @param {string} path
   * @param {unknown} [body]
   */
  #command(method, path, body) {
    const run = this.#queue.then(async () => {
      const { driver, session } = await this.#start();
      return driver.command(method, `/session/${session}${path}`, body);
    });
    this.#queue = run.catch(() => {});
    return run;
  }

  /**
   * @param {string} id
   * @param {string} url
   */
  async startSession(id, url) {
    await this.#start();
    this.#pages.set(id, url);
    // Not awaited: WebDriver's navigation waits for the load event, and the runner only needs the
    // page on its way (it times the page's own report back). A failed navigation fails that wait.
    this.#command('POST', '/url', { url }).catch((e) => console.error(`WebKit could not open ${url}: ${e.message}`));
  }

  /** @param {string} id */
  isActive(id) {
    return this.#pages.has(id);
  }

  /** @param {string} id */
  getBrowserUrl(id) {
    return this.#pages.get(id);
  }

  /**
   * Leaves the test page (stopping anything still running on it). No coverage from WebKit.
   *
   * @param {string} id
   * @returns {Promise<{ testCoverage?: undefined }>}
   */
  async stopSession(id) {
    await this.#command('POST', '/url', { url: 'about:blank' });
    this.#pages.delete(id);
    return {};
  }

  async startDebugSession() {
    throw new Error(
      'WebKitGTK runs under a virtual display here: debug in Chromium (web-test-runner --manual) or in Safari.',
    );
  }

  /** Ends the WebDriver session (MiniBrowser closes), then the driver and the virtual display. */
  async stop() {
    const started = this.#browser;
    this.#browser = undefined;
    if (!started) return;
    const browser = await started.catch(() => undefined);
    if (!browser) return;
    await browser.driver.command('DELETE', `/session/${browser.session}`).catch(() => {});
    await browser.driver.close();
  }

  // The methods @web/test-runner-commands calls for a `webdriver` launcher. The page is the
  // session's only window, so the test session id is not needed to find it.

  /**
   * @param {string} _id
   * @param {number} x
   * @param {number} y
   */
  sendMouseMove(_id, x, y) {
    return this.#pointer([{ type: 'pointerMove', duration: 0, x: Math.round(x), y: Math.round(y) }]);
  }

  /**
   * @param {string} _id
   * @param {number} x
   * @param {number} y
   * @param {'left' | 'middle' | 'right'} [button]
   */
  sendMouseClick(_id, x, y, button = 'left') {
    return this.#pointer([
      { type: 'pointerMove', duration: 0, x: Math.round(x), y: Math.round(y) },
      { type: 'pointerDown', button: BUTTONS[button] },
      { type: 'pointerUp', button: BUTTONS[button] },
    ]);
  }

  /**
   * @param {string} _id
   * @param {'left' | 'middle' | 'right'} [button]
   */
  sendMouseDown(_id, button = 'left') {
    return this.#pointer([{ type: 'pointerDown', button: BUTTONS[button] }]);
  }

  /**
   * @param {string} _id
   * @param {'left' | 'middle' | 'right'} [button]
   */
  sendMouseUp(_id, button = 'left') {
    return this.#pointer([{ type: 'pointerUp', button: BUTTONS[button] }]);
  }

  /** Releases every pressed button and key (W3C "release actions"), then moves the mouse to 0,0. */
  async resetMouse() {
    await this.#command('DELETE', '/actions');
    await this.#pointer([{ type: 'pointerMove', duration: 0, x: 0, y: 0 }]);
  }

  /**
   * `press` arrives as one key name (`["Enter"]`), `type` as single characters.
   *
   * @param {string} _id
   * @param {string[]} keys
   */
  sendKeys(_id, keys) {
    const actions =
      keys.length === 1 ? keyActions(/** @type {string} */ (keys[0])) : keys.flatMap((k) => keyActions(k));
    return this.#command('POST', '/actions', { actions: [{ type: 'key', id: 'keyboard', actions }] });
  }

  /** @param {object[]} actions */
  #pointer(actions) {
    return this.#command('POST', '/actions', { actions: [{ ...MOUSE, actions }] });
  }
}

/**
 * The WebKitGTK launcher for the `browsers` of a web-test-runner config.
 *
 * @example
 * export default { browsers: [chromeLauncher(), webkitLauncher()] };
 */
export function webkitLauncher() {
  return new WebKitLauncher();
}

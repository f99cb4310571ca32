/**
 * @module Starts WebKitGTK's WebDriver (Debian's webkit2gtk-driver) on a private virtual display
 * and speaks the W3C WebDriver protocol to it over loopback HTTP. No client library: the handful
 * of endpoints the browser tests need is a few `fetch` calls. Shared by the widget's browser
 * tests (widget/scripts/webkit-launcher.mjs) and the demo's end-to-end tests
 * (demo/test/support/webkit-page.ts); its types for TypeScript are in webkit-driver.d.mts.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { arch } from 'node:os';
import { createServer } from 'node:net';

/** Debian's paths; the environment may point elsewhere. */
export const WEBKIT_WEBDRIVER = process.env.WEBKIT_WEBDRIVER_PATH ?? '/usr/bin/WebKitWebDriver';
export const XVFB = process.env.XVFB_PATH ?? '/usr/bin/Xvfb';
const MULTIARCH = { x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu' }[arch()] ?? `${arch()}-linux-gnu`;
export const MINIBROWSER = process.env.MINIBROWSER_PATH ?? `/usr/lib/${MULTIARCH}/webkit2gtk-4.1/MiniBrowser`;

/** What to install when something is missing (scripts/setup.mjs --browsers does it as root). */
export const INSTALL_HINT = 'sudo apt-get install -y webkit2gtk-driver xvfb xauth';

/** Xvfb and the driver start in well under a second here; a loaded CI machine gets slack. */
const STARTUP_TIMEOUT_MS = 20_000;
/** One WebDriver command; a page load is the slowest (the test page's modules through esbuild). */
const COMMAND_TIMEOUT_MS = 30_000;
/** How long a process gets to exit on SIGTERM before SIGKILL. */
const EXIT_GRACE_MS = 3_000;
const POLL_MS = 50;
/** Signals that end Node without its 'exit' event. */
const FATAL_SIGNALS = /** @type {const} */ (['SIGTERM', 'SIGHUP']);
/** The virtual screen: room for MiniBrowser's default window. */
const SCREEN = '1280x1024x24';

/**
 * The session's capabilities, as WebKitGTK's driver accepts them: MiniBrowser in automation mode
 * (it refuses `--headless`; the virtual display stands in for one).
 */
export function miniBrowserCapabilities() {
  return {
    browserName: 'MiniBrowser',
    'webkitgtk:browserOptions': { binary: MINIBROWSER, args: ['--automation'] },
  };
}

/** An error answer of the WebDriver protocol (`value.error` is the W3C error code). */
export class WebDriverError extends Error {
  name = 'WebDriverError';
  /**
   * @param {string} command
   * @param {string} code
   * @param {string} message
   */
  constructor(command, code, message) {
    super(`WebDriver ${command}: ${code}: ${message}`);
    this.code = code;
  }
}

/**
 * A running WebKitWebDriver on its own Xvfb display.
 *
 * @typedef {object} WebKitDriver
 * @property {string} url Base URL of the driver, on 127.0.0.1.
 * @property {(method: string, path: string, body?: unknown) => Promise<any>} command One W3C command; resolves with its `value`.
 * @property {() => Promise<void>} close Ends both processes (and MiniBrowser with them); idempotent.
 */

/**
 * Starts Xvfb on a free display and WebKitWebDriver on a free loopback port, and waits until the
 * driver answers `/status`. Fails with the install command when a binary is missing.
 *
 * @example
 * const driver = await startWebKitDriver();
 * const { sessionId } = await driver.command('POST', '/session', { capabilities: { alwaysMatch: miniBrowserCapabilities() } });
 * await driver.close();
 * @returns {Promise<WebKitDriver>}
 */
export async function startWebKitDriver() {
  const missing = [WEBKIT_WEBDRIVER, XVFB, MINIBROWSER].filter((p) => !existsSync(p));
  if (missing.length > 0) {
    throw new Error(`The WebKit browser tests need ${missing.join(', ')}. Install them with: ${INSTALL_HINT}`);
  }
  /** @type {import('node:child_process').ChildProcess[]} */
  const children = [];
  // A crash or kill of the test runner must not leave Xvfb, the driver or MiniBrowser behind. The
  // runner stops its browsers on Ctrl-C itself; SIGTERM and SIGHUP would end Node without 'exit'.
  const killAll = () => {
    for (const c of children) killGroup(c, 'SIGKILL');
  };
  /** @param {NodeJS.Signals} signal */
  const onSignal = (signal) => {
    killAll();
    unhook();
    // Die of the same signal, as Node would have without this listener.
    process.kill(process.pid, signal);
  };
  const unhook = () => {
    process.off('exit', killAll);
    for (const signal of FATAL_SIGNALS) process.off(signal, onSignal);
  };
  process.on('exit', killAll);
  for (const signal of FATAL_SIGNALS) process.on(signal, onSignal);
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    // Driver first (it takes MiniBrowser down with it), then the display.
    for (const child of [...children].reverse()) await stop(child);
    unhook();
  };
  try {
    const display = await startXvfb(children);
    const port = await freePort();
    /** @type {string[]} */
    const logs = [];
    const driver = spawn(WEBKIT_WEBDRIVER, [`--port=${port}`, '--host=local'], {
      env: { ...process.env, DISPLAY: `:${display}` },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so MiniBrowser and WebKit's helper processes go with it.
      detached: true,
    });
    children.push(driver);
    driver.on('error', (e) => logs.push(String(e)));
    const keep = (/** @type {Buffer} */ chunk) => logs.push(chunk.toString()) > 50 && logs.shift();
    driver.stdout?.on('data', keep);
    driver.stderr?.on('data', keep);
    const url = `http://127.0.0.1:${port}`;
    await waitUntil(
      async () =>
        (
          await fetch(`${url}/status`)
            .then((r) => r.json())
            .catch(() => null)
        )?.value?.ready === true,
      () => driver.exitCode !== null,
      `WebKitWebDriver did not start on port ${port}: ${logs.join('').trim() || 'no output'}`,
    );
    return { url, command: (method, path, body) => command(url, method, path, body), close };
  } catch (e) {
    await close();
    throw e;
  }
}

/**
 * Sends one W3C WebDriver command and returns the answer's `value`.
 *
 * @param {string} base
 * @param {string} method
 * @param {string} path
 * @param {unknown} [body]
 */
async function command(base, method, path, body) {
  const name = `${method} ${path}`;
  const response = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(COMMAND_TIMEOUT_MS),
  });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok || answer?.value?.error) {
    throw new WebDriverError(name, answer?.value?.error ?? `HTTP ${response.status}`, answer?.value?.message ?? '');
  }
  return answer.value;
}

/**
 * Starts Xvfb and resolves with the display number it picked (`-displayfd`: no guessing, no lock races).
 *
 * @param {import('node:child_process').ChildProcess[]} children
 * @returns {Promise<string>}
 */
function startXvfb(children) {
  const xvfb = spawn(XVFB, ['-displayfd', '3', '-screen', '0', SCREEN, '-nolisten', 'tcp'], {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    detached: true,
  });
  children.push(xvfb);
  let errors = '';
  xvfb.stderr?.on('data', (chunk) => (errors = (errors + chunk).slice(-2000)));
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`Xvfb did not start: ${errors.trim()}`)), STARTUP_TIMEOUT_MS);
    /** @type {import('node:stream').Readable} */ (xvfb.stdio[3]).on('data', (chunk) => {
      out += chunk;
      if (out.includes('\n')) {
        clearTimeout(timer);
        resolve(out.trim());
      }
    });
    xvfb.once('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`Xvfb did not start: ${e.message}`));
    });
    xvfb.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Xvfb exited (${code}): ${errors.trim()}`));
    });
  });
}

/** A TCP port free on loopback right now. */
function freePort() {
  return /** @type {Promise<number>} */ (
    new Promise((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
        server.close(() => resolve(port));
      });
    })
  );
}

/**
 * Polls `ready` until it holds; fails early when `dead` holds, or after the startup timeout.
 *
 * @param {() => Promise<boolean>} ready
 * @param {() => boolean} dead
 * @param {string} message
 */
async function waitUntil(ready, dead, message) {
  const end = Date.now() + STARTUP_TIMEOUT_MS;
  for (;;) {
    if (await ready()) return;
    if (dead() || Date.now() > end) throw new Error(message);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/**
 * Signals a child's whole process group (it was spawned detached, so it leads one).
 *
 * @param {import('node:child_process').ChildProcess} child
 * @param {NodeJS.Signals} signal
 */
function killGroup(child, signal) {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is already gone.
  }
}

/**
 * SIGTERM to the child's group, SIGKILL after the grace period; resolves once the child has exited.
 *
 * @param {import('node:child_process').ChildProcess} child
 */
async function stop(child) {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    killGroup(child, 'SIGTERM');
    const timer = setTimeout(() => killGroup(child, 'SIGKILL'), EXIT_GRACE_MS);
    await exited;
    clearTimeout(timer);
  }
  // Helpers the leader left behind (WebKit's network and web processes) go too.
  killGroup(child, 'SIGKILL');
}

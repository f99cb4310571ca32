/** @module Types of webkit-driver.mjs for the TypeScript that imports it (the demo's end-to-end tests). */

/** Debian's WebKitWebDriver, or WEBKIT_WEBDRIVER_PATH. */
export declare const WEBKIT_WEBDRIVER: string;
/** Debian's Xvfb, or XVFB_PATH. */
export declare const XVFB: string;
/** Debian's MiniBrowser, or MINIBROWSER_PATH. */
export declare const MINIBROWSER: string;
/** What to install when something is missing. */
export declare const INSTALL_HINT: string;

/** The capabilities of a MiniBrowser session in automation mode. */
export declare function miniBrowserCapabilities(): {
  browserName: string;
  'webkitgtk:browserOptions': { binary: string; args: string[] };
};

/** An error answer of the WebDriver protocol; `code` is the W3C error code (`no such element`, `session not created`…). */
export declare class WebDriverError extends Error {
  constructor(command: string, code: string, message: string);
  readonly code: string;
}

/** A running WebKitWebDriver on its own Xvfb display. */
export interface WebKitDriver {
  /** Base URL of the driver, on 127.0.0.1. */
  url: string;
  /** One W3C command; resolves with the answer's `value`, rejects with a WebDriverError. */
  command(method: string, path: string, body?: unknown): Promise<unknown>;
  /** Ends the driver, MiniBrowser and the display; idempotent. */
  close(): Promise<void>;
}

/**
 * Starts Xvfb on a free display and WebKitWebDriver on a free loopback port.
 *
 * @example
 * const driver = await startWebKitDriver();
 * const { sessionId } = await driver.command('POST', '/session', { capabilities: { alwaysMatch: miniBrowserCapabilities() } });
 * await driver.close();
 */
export declare function startWebKitDriver(): Promise<WebKitDriver>;

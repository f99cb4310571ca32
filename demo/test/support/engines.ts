/** @module Starts one engine behind the `EngineBrowser` interface, by name. */
import { launchChromium } from './chromium-page.js';
import type { Engine, EngineBrowser } from './page-driver.js';
import { launchWebKit } from './webkit-page.js';

/**
 * Chromium through playwright-core, or WebKitGTK through WebKitWebDriver.
 *
 * @example
 * for (const engine of chosenEngines()) {
 *   const browser = await launchEngine(engine);
 *   await browser.close();
 * }
 */
export function launchEngine(engine: Engine): Promise<EngineBrowser> {
  return engine === 'chromium' ? launchChromium() : launchWebKit();
}

/**
 * @module Debian's Chromium for every browser test and benchmark (never a downloaded browser): where it is, and the
 * flags that run it headless and quiet on this machine (no network of its own, no first-run work beside the page).
 */

/** Path of the Chromium binary; `CHROMIUM_PATH` overrides it. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Command-line flags for a headless run as root with no network but loopback. */
export const CHROMIUM_ARGS = Object.freeze([
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
]);

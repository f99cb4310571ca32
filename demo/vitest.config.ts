/**
 * @module Vitest project for the demo: end-to-end tests in Debian's Chromium (playwright-core) and in WebKitGTK
 * (WebKitWebDriver; `DEMO_BROWSERS=chromium|webkit` runs one) against the demo started by its own command.
 */
import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'demo',
    environment: 'node',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // Two cores: one browser and one demo at a time (and WebKitWebDriver takes one session at a time).
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
});

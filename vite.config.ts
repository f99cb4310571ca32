/**
 * @module Root Vitest configuration: one project per package with Node-side tests. The widget's project is its package
 * as published (packed, installed into a fresh Vite app); its element's tests run in browsers through @web/test-runner.
 */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: ['proxy', 'sandbox', 'demo', 'widget'],
  },
});

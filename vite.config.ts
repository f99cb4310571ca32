/** @module Root Vitest configuration: one project per Node-side package (the widget's browser tests run in @web/test-runner). */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: ['proxy', 'sandbox', 'demo'],
  },
});

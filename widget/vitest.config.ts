/**
 * @module Vitest project for the widget's Node-side tests: the package as published (package-test/). The element's
 * own tests run in browsers through @web/test-runner (web-test-runner.config.mjs).
 */
import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'widget',
    environment: 'node',
    include: ['package-test/**/*.test.ts'],
    testTimeout: 30_000,
  },
});

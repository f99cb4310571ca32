/** @module Vitest project for the proxy. */
import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'proxy',
    environment: 'node',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    globalSetup: ['test/build-dist.ts'],
  },
});

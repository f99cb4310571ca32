/** @module Vitest project for the demo. */
import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'demo', environment: 'node', include: ['src/**/*.test.ts', 'test/**/*.test.ts'], testTimeout: 30_000 },
});

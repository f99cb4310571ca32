/** @module One demo for the browser tests, started by its own command and stopped with Ctrl-C afterwards. */
import type { TestProject } from 'vitest/node';
import { startDemoCommand, type SandboxUrls } from './support/demo-command.js';

declare module 'vitest' {
  export interface ProvidedContext {
    demo: { url: string; sandbox: SandboxUrls };
  }
}

export default async function setup(project: TestProject) {
  const demo = await startDemoCommand();
  project.provide('demo', { url: demo.url, sandbox: demo.sandbox });
  return async () => {
    await demo.interrupt();
  };
}

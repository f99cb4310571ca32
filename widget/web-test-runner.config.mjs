/**
 * @module @web/test-runner settings: the widget's tests in the system's Chromium (never a
 * downloaded browser), TypeScript through esbuild, bare imports resolved from node_modules.
 */
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { chromeLauncher } from '@web/test-runner-chrome';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export default {
  rootDir: '.',
  files: ['test/**/*.test.ts', 'test/**/*.test.html'],
  nodeResolve: true,
  // Two cores: one page at a time keeps the real mouse and key input of one test away from another's.
  concurrency: 1,
  plugins: [esbuildPlugin({ ts: true, target: 'es2021', tsconfig: new URL('./tsconfig.json', import.meta.url).pathname })],
  browsers: [
    chromeLauncher({
      launchOptions: {
        executablePath: CHROMIUM,
        headless: true,
        args: [
          '--no-sandbox',
          '--disable-gpu',
          '--disable-dev-shm-usage',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
          '--no-first-run',
        ],
      },
    }),
  ],
  // Lit's notes that it runs in dev mode, and that the both-builds page has two copies, are expected.
  filterBrowserLogs: ({ args }) => !args.some((a) => typeof a === 'string' && /lit\.dev\/msg\/(dev-mode|multiple-versions)/.test(a)),
  testFramework: { config: { timeout: 8000 } },
  testsFinishTimeout: 120_000,
};

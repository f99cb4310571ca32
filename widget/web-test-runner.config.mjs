/**
 * @module @web/test-runner settings: the widget's tests, the same files, in two engines: the
 * system's Chromium (never a downloaded browser) and WebKitGTK, Safari's engine, through Debian's
 * WebKitWebDriver on a virtual display. TypeScript through esbuild, bare imports from node_modules.
 * `WIDGET_BROWSERS=chromium` or `=webkit` runs one engine; the default is both.
 */
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { chromeLauncher } from '@web/test-runner-chrome';
import { a11ySnapshotPlugin } from '@web/test-runner-commands/plugins';
import { formEcho } from './scripts/form-echo-middleware.mjs';
import { appleSdkRoutes } from './test-support/apple-pay-sdk-routes.mjs';
import { webkitLauncher } from './scripts/webkit-launcher.mjs';
import { CHROMIUM, CHROMIUM_ARGS } from '../scripts/chromium.mjs';

const ENGINES = ['chromium', 'webkit'];

const chosen = (process.env.WIDGET_BROWSERS ?? ENGINES.join(','))
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
const unknown = chosen.filter((name) => !ENGINES.includes(name));
if (unknown.length > 0 || chosen.length === 0) {
  throw new Error(
    `WIDGET_BROWSERS: unknown engine ${unknown.join(', ') || '(none given)'}; use any of ${ENGINES.join(', ')}`,
  );
}

const launchers = {
  chromium: () =>
    chromeLauncher({
      launchOptions: {
        executablePath: CHROMIUM,
        headless: true,
        args: [...CHROMIUM_ARGS],
      },
    }),
  webkit: () => webkitLauncher(),
};

export default {
  rootDir: '.',
  files: ['test/**/*.test.ts', 'test/**/*.test.html'],
  nodeResolve: true,
  // Two cores: one page at a time keeps the real mouse and key input of one test away from
  // another's, and one engine after the other keeps the timing-sensitive tests honest.
  concurrency: 1,
  concurrentBrowsers: 1,
  // A real form post (3-D Secure) needs a server that answers it: see test/three-ds-form.test.ts. Apple's SDK
  // failing (404, a script that never arrives, one that defines nothing): see test/sdk-*.test.ts.
  middleware: [formEcho, appleSdkRoutes],
  plugins: [
    // The accessibility tree Chromium gives a screen reader (puppeteer's snapshot; Chromium only).
    a11ySnapshotPlugin(),
    esbuildPlugin({ ts: true, target: 'es2021', tsconfig: new URL('./tsconfig.json', import.meta.url).pathname }),
  ],
  browsers: chosen.map((name) => launchers[name]()),
  // Lit's notes that it runs in dev mode, and that the both-builds page has two copies, are expected.
  filterBrowserLogs: ({ args }) =>
    !args.some((a) => typeof a === 'string' && /lit\.dev\/msg\/(dev-mode|multiple-versions)/.test(a)),
  testFramework: { config: { timeout: 8000 } },
  testsFinishTimeout: 120_000,
};

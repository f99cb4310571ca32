/**
 * @module Builds the demo's browser code with Vite at start: the simulated Apple Pay (a classic script, so it runs
 * before anything else on a page), and the pages (the checkout, the product page and the SPA example) with the widget's
 * ES module.
 */
import { readdir } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type InlineConfig } from 'vite';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const WIDGET_DIR = join(REPO_ROOT, 'widget');
/** The widget's builds, as a merchant installs them from the package. */
export const WIDGET_ES_MODULE = join(WIDGET_DIR, 'dist', 'epay-applepay-button.js');
export const WIDGET_CLASSIC_SCRIPT = join(WIDGET_DIR, 'dist', 'epay-applepay-button.iife.js');

/** What the built site consists of: URL path → file. Only these files are ever served. */
export type BuiltFiles = Map<string, string>;

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

function urlPath(root: string, file: string): string {
  return `/${relative(root, file).split(sep).join('/')}`;
}

/**
 * Builds into `outDir` and returns the files by URL path: `/simulator/simulated-apple-pay.js`,
 * `/demo/web/index.html`, `/demo/web/product.html`, `/examples/spa/index.html` and their `/assets/…`.
 *
 * @example
 * const files = await buildWeb('.cache/demo-web');
 * files.get('/demo/web/index.html'); // '/…/.cache/demo-web/pages/demo/web/index.html'
 */
export async function buildWeb(outDir: string): Promise<BuiltFiles> {
  const common: InlineConfig = { configFile: false, logLevel: 'warn', envDir: false, clearScreen: false };
  const simulatorOut = join(outDir, 'simulator');
  const pagesOut = join(outDir, 'pages');
  await build({
    ...common,
    root: join(REPO_ROOT, 'demo', 'web'),
    build: {
      outDir: simulatorOut,
      emptyOutDir: true,
      sourcemap: true,
      minify: false,
      target: 'es2021',
      lib: {
        entry: 'simulator/index.ts',
        formats: ['iife'],
        name: 'EpayDemoSimulator',
        fileName: () => 'simulated-apple-pay.js',
      },
    },
  });
  await build({
    ...common,
    root: REPO_ROOT,
    base: '/',
    publicDir: false,
    // The examples are written as a merchant writes them (`import '@epay-applepay/widget'`); here that name is the
    // widget's ES build from this repository.
    resolve: { alias: [{ find: /^@epay-applepay\/widget$/, replacement: WIDGET_ES_MODULE }] },
    build: {
      outDir: pagesOut,
      emptyOutDir: true,
      sourcemap: true,
      target: 'es2021',
      rolldownOptions: {
        input: {
          demo: join(REPO_ROOT, 'demo', 'web', 'index.html'),
          product: join(REPO_ROOT, 'demo', 'web', 'product.html'),
          spa: join(REPO_ROOT, 'examples', 'spa', 'index.html'),
        },
      },
    },
  });
  const files: BuiltFiles = new Map();
  for (const file of await listFiles(simulatorOut)) files.set(`/simulator${urlPath(simulatorOut, file)}`, file);
  for (const file of await listFiles(pagesOut)) files.set(urlPath(pagesOut, file), file);
  return files;
}

/**
 * @module Library builds of the widget. `vite build` makes the ES module (Lit left as a bare import,
 * so an app that already has Lit ships it once); `vite build --mode classic` makes the classic
 * script for a plain `<script src>` tag, Lit inside, minified, exposing `window.EpayApplePay`.
 */
import { defineConfig } from 'vite';

export default defineConfig(({ mode }) => {
  const classic = mode === 'classic';
  return {
    // Lit's production build whatever NODE_ENV says: Vite picks the `development` export condition
    // when NODE_ENV is set to anything but `production` (vitest sets `test`, and the demo's tests
    // build the widget), which would ship Lit's dev-mode code, 1.4 kB gzip more, in the classic script.
    resolve: { conditions: ['module', 'browser', 'production'] },
    build: {
      outDir: 'dist',
      // The ES build runs first and clears dist; the classic build and tsc add to it.
      emptyOutDir: !classic,
      minify: true,
      sourcemap: true,
      target: 'es2021',
      lib: {
        entry: classic ? 'src/classic.ts' : 'src/index.ts',
        name: 'EpayApplePay',
        formats: [classic ? 'iife' : 'es'],
        fileName: () => (classic ? 'epay-applepay-button.iife.js' : 'epay-applepay-button.js'),
      },
      rolldownOptions: {
        external: classic ? [] : [/^@lit\//],
      },
    },
  };
});

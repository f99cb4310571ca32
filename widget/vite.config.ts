/**
 * @module Library builds of the widget. `vite build` makes the ES module (Lit left as a bare import,
 * so an app that already has Lit ships it once); `vite build --mode classic` makes the classic
 * script for a plain `<script src>` tag, Lit inside, minified, exposing `window.EpayApplePay`.
 */
import { defineConfig } from 'vite';

export default defineConfig(({ mode }) => {
  const classic = mode === 'classic';
  return {
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

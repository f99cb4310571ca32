/** @module Settings of `cem analyze`: the manifest comes from the element's class JSDoc in src/. */
export default {
  globs: ['src/**/*.ts'],
  exclude: ['src/**/*.test.ts'],
  outdir: '.',
  litelement: true,
};

/** @module Where the end-to-end tests keep their screenshots: demo/test-results/<engine>/ (git-ignored). */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './demo-command.js';
import type { Engine } from './page-driver.js';

export const ARTIFACTS = join(REPO_ROOT, 'demo', 'test-results');

/**
 * The path of a screenshot of one engine; creates its folder.
 *
 * @example
 * screenshotPath('webkit', 'paid'); // …/demo/test-results/webkit/paid.png
 */
export function screenshotPath(engine: Engine, name: string): string {
  if (!/^[a-z0-9-]+$/.test(name))
    throw new Error(`Screenshot name "${name}": use lower-case letters, digits and dashes`);
  const dir = join(ARTIFACTS, engine);
  mkdirSync(dir, { recursive: true });
  return join(dir, `${name}.png`);
}

/**
 * @module Vitest global setup: builds `dist/` once before the proxy's tests, as `pnpm pack` would, so that the tests of
 * the built command (start-command, shutdown, pack) run what a merchant installs, and no test rebuilds it under another.
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const PROXY_DIR = fileURLToPath(new URL('..', import.meta.url));

export default function buildDist(): void {
  rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: PROXY_DIR, stdio: 'inherit' });
}

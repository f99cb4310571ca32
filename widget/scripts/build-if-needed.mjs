#!/usr/bin/env node
/**
 * @module Runs `pnpm run build` when an output in dist/ is missing or older than any input (src/,
 * the build configs, package.json, the lockfile). The browser tests and the size check use the
 * built files, so they call this first. custom-elements.json is not a build output: it is
 * committed, written by `pnpm run manifest` and checked by scripts/check-manifest.mjs.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUTPUTS = ['dist/epay-applepay-button.js', 'dist/epay-applepay-button.iife.js', 'dist/types/index.d.ts'];
const INPUTS = ['src', 'vite.config.ts', 'tsconfig.json', 'tsconfig.build.json', 'package.json', '../pnpm-lock.yaml'];

function mtime(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

/** The newest modification time under `path` (a file or a folder, recursively). */
function newest(path) {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((name) => newest(join(path, name))));
}

/** True when the build must run. */
export function isStale() {
  const outputs = OUTPUTS.map((p) => mtime(join(root, p)));
  if (outputs.some((t) => t === undefined)) return true;
  return Math.max(...INPUTS.map((p) => newest(join(root, p)))) > Math.min(...outputs);
}

/** Builds when stale; exits the process with the build's status when it fails. */
export function buildIfNeeded() {
  if (!isStale()) return;
  console.log('widget: dist/ is missing or stale, building first');
  const result = spawnSync('pnpm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) buildIfNeeded();

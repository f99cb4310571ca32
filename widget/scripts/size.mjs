#!/usr/bin/env node
/**
 * @module Prints the gzip size of the classic build (Lit inside) against its budget, and the ES
 * build's for information. Exits non-zero only when the classic build is over budget.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { buildIfNeeded } from './build-if-needed.mjs';

/** 8 kB gzip, counted as 8000 bytes (kB = 1000 bytes, as Vite prints sizes). */
const BUDGET_BYTES = 8000;
const root = join(dirname(fileURLToPath(import.meta.url)), '..');

buildIfNeeded();

function gzipBytes(file) {
  return gzipSync(readFileSync(join(root, file)), { level: 9 }).length;
}

const kB = (bytes) => `${(bytes / 1000).toFixed(2)} kB`;
const classic = gzipBytes('dist/epay-applepay-button.iife.js');
const es = gzipBytes('dist/epay-applepay-button.js');

console.log(`classic build  dist/epay-applepay-button.iife.js  ${kB(classic)} gzip (${classic} bytes, Lit included)`);
console.log(
  `ES build       dist/epay-applepay-button.js       ${kB(es)} gzip (${es} bytes, @lit/reactive-element external)`,
);
console.log(
  `budget         ${kB(BUDGET_BYTES)} gzip for the classic build: ${classic <= BUDGET_BYTES ? 'within' : 'OVER'} (${BUDGET_BYTES - classic} bytes to spare)`,
);
if (classic > BUDGET_BYTES) process.exit(1);

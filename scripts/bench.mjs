#!/usr/bin/env node
/**
 * @module `pnpm bench`: runs every performance benchmark of issue 7 one after another (never in parallel: they time
 * the same two cores) and prints one table with each figure next to its target. Benchmarks print figures; none of
 * them asserts a timing, and this script fails only when a benchmark cannot run.
 *
 *   pnpm bench                    all of them
 *   node scripts/bench.mjs cpu    only the ones whose name contains "cpu"
 *   pnpm bench webhook            the events' fault run alone: 400 payments here; BENCH_WEBHOOK_PAYMENTS=2000 for the
 *                                 full run (it exits 1, and so fails here, when an event is missing, doubled or wrong)
 *   pnpm bench ship               the built command against tsx: start time, CPU per payment and RSS after 10,000
 *                                 payments each (BENCH_SHIP_PAYMENTS to change it)
 *   node scripts/bench.mjs order  what the order and request-body checks (valibot) cost, against the CPU per payment
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/** A benchmark that takes longer than this is stuck, not slow. */
const BENCH_TIMEOUT_MS = 5 * 60_000;

// Nothing here may fetch a browser of its own: Chromium comes from the system (scripts/setup.mjs --browsers).
process.env.PUPPETEER_SKIP_DOWNLOAD = '1';
process.env.PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD = '1';

const BENCHES = [
  { name: 'proxy cpu-per-payment', cwd: 'proxy', argv: ['--import', 'tsx', 'bench/cpu-per-payment.ts'] },
  { name: 'proxy order-check', cwd: 'proxy', argv: ['--import', 'tsx', 'bench/order-check.ts'] },
  { name: 'proxy critical-path', cwd: 'proxy', argv: ['--import', 'tsx', 'bench/critical-path.ts'] },
  { name: 'proxy throughput', cwd: 'proxy', argv: ['--import', 'tsx', 'bench/throughput.ts'] },
  { name: 'proxy rate-limit', cwd: 'proxy', argv: ['--import', 'tsx', 'bench/rate-limit.ts'] },
  { name: 'proxy operations', cwd: 'proxy', argv: ['--import', 'tsx', 'bench/operations.ts'] },
  {
    name: 'proxy webhook-faults',
    cwd: 'proxy',
    // --expose-gc: it reads the proxy's heap after a full collection.
    argv: [
      '--expose-gc',
      '--import',
      'tsx',
      'bench/webhook-faults.ts',
      '--payments',
      process.env.BENCH_WEBHOOK_PAYMENTS ?? '400',
    ],
  },
  {
    name: 'proxy ship',
    cwd: 'proxy',
    // Builds dist/, then 10,000 payments through the built command and 10,000 through tsx: longer than the others.
    argv: ['--import', 'tsx', 'bench/ship.ts', '--payments', process.env.BENCH_SHIP_PAYMENTS ?? '10000'],
    timeoutMs: 15 * 60_000,
  },
  { name: 'widget element', cwd: 'widget', argv: ['bench/element.mjs'] },
];

const filter = process.argv[2];
const chosen = BENCHES.filter((b) => !filter || b.name.includes(filter));
const dir = mkdtempSync(join(tmpdir(), 'epay-bench-'));
const sections = [];
const failures = [];
const started = Date.now();

for (const [i, bench] of chosen.entries()) {
  const out = join(dir, `${i}.json`);
  console.log(`\n▶ ${bench.name}`);
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [...bench.argv, '--json', out], {
    cwd: join(root, bench.cwd),
    stdio: 'inherit',
    env: process.env,
    timeout: bench.timeoutMs ?? BENCH_TIMEOUT_MS,
  });
  const seconds = ((Date.now() - t0) / 1000).toFixed(0);
  try {
    if (r.status !== 0) throw new Error(r.error?.message ?? `exit ${r.status ?? r.signal}`);
    sections.push({ bench: bench.name, seconds, ...JSON.parse(readFileSync(out, 'utf8')) });
  } catch (err) {
    failures.push(`${bench.name}: ${err instanceof Error ? err.message : String(err)}`);
  }
}
rmSync(dir, { recursive: true, force: true });

function formatValue(v) {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return String(v);
  if (Math.abs(v) >= 100) return v.toFixed(0);
  if (Math.abs(v) >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

const rows = [['Figure', 'Value', 'Target', 'Result']];
for (const s of sections) {
  for (const r of s.rows) {
    rows.push([
      r.figure,
      `${formatValue(r.value)} ${r.unit}`,
      r.target ?? '',
      r.pass === undefined ? '' : r.pass ? 'met' : 'MISSED',
    ]);
  }
}
const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
const line = (row) => `| ${row.map((cell, c) => cell.padEnd(widths[c])).join(' | ')} |`;
console.log(`\nPerformance (issue 7), ${new Date().toISOString()}, ${((Date.now() - started) / 1000).toFixed(0)} s`);
console.log(line(rows[0]));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const row of rows.slice(1)) console.log(line(row));
for (const s of sections) {
  for (const r of s.rows) if (r.note) console.log(`  · ${r.figure.trim()}: ${r.note}`);
}
if (failures.length > 0) {
  console.error(`\nCould not run: ${failures.join('; ')}`);
  process.exit(1);
}

/** @module Benchmark helpers: CPU and wall time per operation over several rounds, and one result row per figure. */
import { realpathSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** One figure of a benchmark, as `pnpm bench` prints it next to its target. */
export interface BenchRow {
  /** What was measured, e.g. "CPU per payment (whole request)". */
  figure: string;
  value: number;
  /** µs, ms, kB, calls, payments/s, ×. */
  unit: string;
  /** Human-readable target, e.g. "< 1000 µs"; absent for figures shown for context. */
  target?: string;
  /** Whether the figure meets its target; absent without a target. */
  pass?: boolean;
  note?: string;
}

/** Median and spread of per-operation timings over rounds. */
export interface Timing {
  /** Median over rounds of CPU time (user + system, the whole process) per operation, µs. */
  cpuUs: number;
  /** Median over rounds of wall time per operation, µs. */
  wallUs: number;
  /** Lowest and highest round, CPU µs per operation: a wide spread means a busy machine. */
  cpuMinUs: number;
  cpuMaxUs: number;
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * Times `op(i)` for i in 0..iterations-1, `rounds` times after one warm-up round, and returns the median round.
 * CPU time is the process's (process.cpuUsage), so work on other threads of this process (GC, OpenSSL) counts and
 * other processes on the machine do not.
 *
 * @example
 * const t = await timeOps((i) => verifyOrder(tokens[i], secret), { iterations: 500, rounds: 5 });
 * t.cpuUs; // 12.3
 */
export async function timeOps(
  op: (i: number, round: number) => unknown,
  o: { iterations: number; rounds: number; warmup?: number },
): Promise<Timing> {
  const cpu: number[] = [];
  const wall: number[] = [];
  const warmup = o.warmup ?? o.iterations;
  for (let i = 0; i < warmup; i++) await op(i % o.iterations, -1);
  for (let r = 0; r < o.rounds; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < o.iterations; i++) await op(i, r);
    const t1 = performance.now();
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / o.iterations);
    wall.push(((t1 - t0) * 1000) / o.iterations);
  }
  return { cpuUs: median(cpu), wallUs: median(wall), cpuMinUs: Math.min(...cpu), cpuMaxUs: Math.max(...cpu) };
}

/** `--json <file>` from the command line: where a benchmark writes its rows for `pnpm bench`'s table. */
export function jsonOutPath(argv: string[] = process.argv): string | undefined {
  const i = argv.indexOf('--json');
  return i >= 0 ? argv[i + 1] : undefined;
}

/** Prints the rows of one benchmark and writes them as JSON when asked to. */
export function report(title: string, rows: BenchRow[], out = jsonOutPath()): void {
  console.log(`\n${title}`);
  for (const r of rows) {
    const verdict = r.pass === undefined ? '' : r.pass ? '  ok' : '  MISSED';
    const target = r.target ? `  (target ${r.target})` : '';
    console.log(`  ${r.figure}: ${formatValue(r.value)} ${r.unit}${target}${verdict}${r.note ? `  [${r.note}]` : ''}`);
  }
  if (out) writeFileSync(out, JSON.stringify({ title, rows }, null, 2));
}

export function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return String(v);
  if (Math.abs(v) >= 100) return v.toFixed(0);
  if (Math.abs(v) >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

/** True when the module at `url` is the script node was started with (so a benchmark runs when called directly). */
export function isMain(url: string): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(url));
  } catch {
    return false;
  }
}

/**
 * @module The proxy as shipped (docs/deployment.md): start time of the built command (`node dist/cli.js start`) against
 * the sources through tsx, and 10,000 payments over real HTTP through each, with the proxy process's CPU per payment
 * and its RSS after them. The proxy runs as its own process against the sandbox bank (decrypt mode, paid scenario
 * mix of test/workload.ts, tokens minted before the timed part). Prints figures and ratios; asserts no timing.
 *
 *   node --import tsx bench/ship.ts [--payments 10000] [--starts 5]
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { checkAgainstLedger, drivePayments, planPayments } from '../test/workload.js';
import { type BenchRow, isMain, median, report } from './measure.js';
import { startBenchStack } from './stack.js';

const PROXY_DIR = fileURLToPath(new URL('..', import.meta.url));
const CONCURRENCY = 50;
/** Pause after the payments before the settled RSS reading. */
const SETTLE_MS = 3_000;

function build(): number {
  const t0 = performance.now();
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync('rm', ['-rf', 'dist'], { cwd: PROXY_DIR });
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: PROXY_DIR, stdio: 'inherit' });
  return performance.now() - t0;
}

/** KiB on disk under `dir`, links followed or not. */
function du(dir: string, followLinks: boolean): number {
  return Number(execFileSync('du', [followLinks ? '-skL' : '-sk', dir], { encoding: 'utf8' }).split('\t')[0]);
}

/**
 * Packs the built package as published (pnpm pack applies publishConfig), installs the tarball with npm in an empty
 * folder, and measures its node_modules; against the proxy's node_modules in this workspace (links followed: its
 * dependencies and dev tools) and the workspace's whole install.
 */
function installSize(): { installedKiB: number; tarballKiB: number; workspaceProxyKiB: number; workspaceKiB: number } {
  const dir = mkdtempSync(join(tmpdir(), 'proxy-ship-'));
  try {
    const out = execFileSync('pnpm', ['pack', '--pack-destination', dir, '--json', '--config.ignore-scripts=true'], {
      cwd: PROXY_DIR,
      encoding: 'utf8',
      maxBuffer: 16 * 1024 * 1024,
    });
    const tarball = (JSON.parse(out.slice(out.indexOf('{'))) as { filename: string }).filename;
    const app = join(dir, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), '{"name":"ship-bench","private":true}');
    execFileSync('npm', ['install', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline', tarball], {
      cwd: app,
      stdio: 'ignore',
    });
    return {
      installedKiB: du(join(app, 'node_modules'), false),
      tarballKiB: statSync(tarball).size / 1024,
      workspaceProxyKiB: du(join(PROXY_DIR, 'node_modules'), true),
      workspaceKiB: du(join(PROXY_DIR, '..', 'node_modules'), false),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Median spawn-to-/healthz time over `n` starts of each entry, alternating so that a busy moment hits both. */
async function startTimes(n: number): Promise<{ built: number[]; tsx: number[] }> {
  const times = { built: [] as number[], tsx: [] as number[] };
  for (let i = 0; i < n; i++) {
    for (const entry of ['built', 'tsx'] as const) {
      const stack = await startBenchStack({ entry });
      times[entry].push(stack.startMs);
      await stack.close();
    }
  }
  return times;
}

interface PaymentsRun {
  cpuMsPerPayment: number;
  rssStart: number;
  rssAfter: number;
  rssSettled: number;
  seconds: number;
  problems: string[];
}

async function payments(entry: 'built' | 'tsx', count: number, env: Record<string, string>): Promise<PaymentsRun> {
  const stack = await startBenchStack({ entry, env });
  try {
    const rssStart = stack.rssMiB();
    const warm = await planPayments(stack.apple, stack.orderSecret, { count: 300, seed: 99, firstInvoice: 900_000 });
    const warmResults = await drivePayments(stack.proxyUrl, warm, { concurrency: CONCURRENCY });
    const plan = await planPayments(stack.apple, stack.orderSecret, { count, seed: 1 });
    const t0 = performance.now();
    const cpu0 = stack.cpuSeconds();
    const results = await drivePayments(stack.proxyUrl, plan, { concurrency: CONCURRENCY });
    const cpu = stack.cpuSeconds() - cpu0;
    const seconds = (performance.now() - t0) / 1000;
    const rssAfter = stack.rssMiB();
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const rssSettled = stack.rssMiB();
    const problems = checkAgainstLedger(
      [...warmResults, ...results],
      stack.bank.ledger.transactions,
      stack.bank.calls,
      {
        faults: false,
      },
    );
    if (!stack.alive()) problems.push('the proxy process died');
    return { cpuMsPerPayment: (cpu * 1000) / count, rssStart, rssAfter, rssSettled, seconds, problems };
  } finally {
    await stack.close();
  }
}

export async function benchShip(o: { payments: number; starts: number }): Promise<BenchRow[]> {
  const buildMs = build();
  const size = installSize();
  const starts = await startTimes(o.starts);
  const builtStart = median(starts.built);
  const tsxStart = median(starts.tsx);
  // The production shape: the built command, its JSON log to a file, metrics on their own port.
  const env: Record<string, string> = {};
  const built = await payments('built', o.payments, env);
  const tsx = await payments('tsx', o.payments, env);
  const rows: BenchRow[] = [
    {
      figure: 'Start to first /healthz 200: built command (node dist/cli.js start)',
      value: builtStart,
      unit: 'ms',
      note: `median of ${o.starts}: ${starts.built.map((v) => v.toFixed(0)).join(', ')} ms; build ${(buildMs / 1000).toFixed(1)} s`,
    },
    {
      figure: '  the same through tsx (node --import tsx src/cli.ts start)',
      value: tsxStart,
      unit: 'ms',
      note: `median of ${o.starts}: ${starts.tsx.map((v) => v.toFixed(0)).join(', ')} ms; built/tsx ${(builtStart / tsxStart).toFixed(2)}×`,
    },
  ];
  for (const [name, run] of [
    ['built', built],
    ['tsx', tsx],
  ] as const) {
    rows.push(
      {
        figure: `CPU per payment over HTTP, ${o.payments} payments at ${CONCURRENCY} concurrent (${name})`,
        value: run.cpuMsPerPayment,
        unit: 'ms',
        note: `the proxy process's CPU; ${(o.payments / run.seconds).toFixed(0)} payments/s${run.problems.length ? `; PROBLEMS: ${run.problems.slice(0, 3).join('; ')}` : ''}`,
      },
      {
        figure: `Proxy RSS after ${o.payments} payments (${name})`,
        value: run.rssSettled,
        unit: 'MiB',
        note: `start ${run.rssStart} MiB, right after ${run.rssAfter} MiB, ${SETTLE_MS / 1000} s later ${run.rssSettled} MiB`,
      },
    );
  }
  rows.push({
    figure: 'Installed from the tarball: du -sk node_modules',
    value: size.installedKiB / 1024,
    unit: 'MiB',
    note:
      `tarball ${size.tarballKiB.toFixed(0)} KiB; in this workspace the proxy's node_modules (links followed, dev ` +
      `tools included) ${(size.workspaceProxyKiB / 1024).toFixed(0)} MiB, the whole workspace install ` +
      `${(size.workspaceKiB / 1024).toFixed(0)} MiB; installed/workspace proxy ${(size.installedKiB / size.workspaceProxyKiB).toFixed(2)}×`,
  });
  rows.push({
    figure: 'Built vs tsx: CPU per payment, RSS after',
    value: built.cpuMsPerPayment / tsx.cpuMsPerPayment,
    unit: '×',
    note: `RSS ${(built.rssSettled / tsx.rssSettled).toFixed(2)}×`,
  });
  const problems = [...built.problems, ...tsx.problems];
  if (problems.length > 0) throw new Error(`payments went wrong: ${problems.slice(0, 5).join('; ')}`);
  return rows;
}

if (isMain(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      payments: { type: 'string', default: '10000' },
      starts: { type: 'string', default: '5' },
      json: { type: 'string' },
    },
  });
  report('The proxy as shipped', await benchShip({ payments: Number(values.payments), starts: Number(values.starts) }));
}

/**
 * @module Benchmark: payments per second on this machine against the sandbox bank at zero latency, and the proxy's
 * CPU per payment under that load. The proxy runs as its own process (bench/throughput-server.ts) and reports its
 * own CPU time; the sandbox bank and the load generator share the parent process. Each payment is one
 * `POST /applepay/payments` with no session call before it, so the bank token is fetched inline: two bank calls
 * (token, cryptopay) on a keep-alive undici Agent.
 *
 * Run: `pnpm bench throughput` from the root, or `cd proxy && npx tsx bench/throughput.ts [--json out.json]`.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { startFakeEpay } from '@epay-applepay/sandbox';
import { order, payment, sandboxProxyEnv, sharedApple, SHOP_ORIGIN } from '../test/harness.js';
import type { ThroughputServerMessage, ThroughputServerRequest } from './throughput-server.js';
import { isMain, report, type BenchRow } from './measure.js';

/** Payments measured, after a warm-up, with this many in flight at once. */
const PAYMENTS = Number(process.env.BENCH_THROUGHPUT_PAYMENTS ?? 1_000);
const WARMUP = Number(process.env.BENCH_THROUGHPUT_WARMUP ?? 150);
const CONCURRENCY = Number(process.env.BENCH_THROUGHPUT_CONCURRENCY ?? 16);
const PAID_PAN = '4400430100000001';
const AMOUNT = 1500;

function request(child: ChildProcess, m: ThroughputServerRequest): void {
  child.send(m);
}

async function childCpuUs(child: ChildProcess): Promise<number> {
  const reply = new Promise<ThroughputServerMessage>((resolve) => {
    const on = (m: ThroughputServerMessage) => {
      if (m.type === 'cpu') {
        child.off('message', on);
        resolve(m);
      }
    };
    child.on('message', on);
  });
  request(child, { type: 'cpu' });
  const m = (await reply) as Extract<ThroughputServerMessage, { type: 'cpu' }>;
  return m.userUs + m.systemUs;
}

export async function benchThroughput(): Promise<BenchRow[]> {
  const { apple, files } = await sharedApple();
  // The sandbox's default bank key: RSA-4096 like production, so the proxy's cryptogram costs what it will.
  const bank = await startFakeEpay({ deliverNotifications: false, latencyMs: 0 });
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    ...sandboxProxyEnv(files, { publicUrl: 'https://pay.shop.example', merchantId: apple.merchantId, bank }),
    APPLE_DISPLAY_NAME: 'Bench Shop',
  };

  const child = fork(fileURLToPath(new URL('./throughput-server.ts', import.meta.url)), [], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    env,
    execArgv: ['--import', 'tsx', ...(process.env.BENCH_PROXY_NODE_ARGS ?? '').split(' ').filter(Boolean)],
    // The proxy's JSON log lines are written as in production, to nowhere.
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  let pool: Pool | undefined;
  try {
    const [listening] = (await once(child, 'message')) as [ThroughputServerMessage];
    if (listening.type !== 'listening') throw new Error('the proxy process did not start');
    pool = new Pool(`http://127.0.0.1:${listening.port}`, { connections: CONCURRENCY });

    // Orders and tokens are made up front, so the load generator does little more than send.
    const bodies: string[] = [];
    for (let i = 0; i < WARMUP + PAYMENTS; i++) {
      bodies.push(
        JSON.stringify({
          order: await order({ amount: AMOUNT }),
          payment: payment(apple, { amount: AMOUNT, pan: PAID_PAN }),
        }),
      );
    }
    let next = 0;
    let failed = 0;
    const run = async (count: number) => {
      const end = next + count;
      const worker = async () => {
        while (next < end) {
          const body = bodies[next++]!;
          const res = await pool!.request({
            path: '/applepay/payments',
            method: 'POST',
            headers: { 'content-type': 'application/json', origin: SHOP_ORIGIN },
            body,
          });
          const answer = (await res.body.json()) as { status?: string };
          if (res.statusCode !== 200 || answer.status !== 'paid') failed += 1;
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    };

    await run(WARMUP);
    if (failed > 0) throw new Error(`${failed} warm-up payments failed`);
    const cpu0 = await childCpuUs(child);
    const parent0 = process.cpuUsage();
    const t0 = performance.now();
    await run(PAYMENTS);
    const seconds = (performance.now() - t0) / 1000;
    const parent = process.cpuUsage(parent0);
    const proxyCpuUs = ((await childCpuUs(child)) - cpu0) / PAYMENTS;
    if (failed > 0) throw new Error(`${failed} of ${PAYMENTS} payments failed`);
    const perSecond = PAYMENTS / seconds;
    const bankAndLoadUs = (parent.user + parent.system) / PAYMENTS;
    return [
      {
        figure: `Throughput, sandbox bank at 0 ms, ${CONCURRENCY} in flight`,
        value: perSecond,
        unit: 'payments/s',
        note: `${PAYMENTS} payments in ${seconds.toFixed(1)} s on this machine's 2 cores, shared with the sandbox bank and the load generator`,
      },
      {
        figure: 'Proxy CPU per payment under load (real HTTP, token + cryptopay)',
        value: proxyCpuUs,
        unit: 'µs',
        note: `one core would carry ≈ ${Math.floor(1e6 / proxyCpuUs)} payments/s of proxy work`,
      },
      {
        figure: 'Sandbox bank + load generator CPU per payment (for context)',
        value: bankAndLoadUs,
        unit: 'µs',
        note: 'the sandbox decrypts each RSA-4096 cryptogram',
      },
    ];
  } finally {
    await pool?.close();
    if (child.connected) request(child, { type: 'stop' });
    await Promise.race([once(child, 'exit'), new Promise((r) => setTimeout(r, 3_000))]);
    if (child.exitCode === null) child.kill();
    await bank.close();
  }
}

if (isMain(import.meta.url)) {
  report('Throughput (proxy process, sandbox bank at zero latency)', await benchThroughput());
}

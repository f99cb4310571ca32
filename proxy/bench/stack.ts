/**
 * @module The benchmarks' stack: the sandbox bank (in this process), and the proxy as its own Node process started
 * by its real entry (`src/cli.ts start`) with ordinary settings, so its RSS is its own. Loopback only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createFakeApple,
  startFakeEpay,
  SANDBOX_EPAY,
  type FakeApple,
  type FakeEpay,
  type FakeEpayOptions,
} from '@epay-applepay/sandbox';
import { freePort, ORDER_SECRET } from '../test/harness.js';
import { startRedisServer, type RedisServer } from '../test/redis-server.js';

const PROXY_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
/** How long the proxy process may take to answer /healthz after it is spawned. */
const START_TIMEOUT_MS = 30_000;
/** Linux's USER_HZ, the unit of /proc/<pid>/stat's CPU times. */
const CLOCK_TICKS_PER_S = 100;

export interface BenchStack {
  bank: FakeEpay;
  apple: FakeApple;
  orderSecret: string;
  proxyUrl: string;
  /** The proxy process's resident set size, in MiB. */
  rssMiB(): number;
  /** CPU seconds (user + system) the proxy process has used so far. */
  cpuSeconds(): number;
  /** The proxy process is still running. */
  alive(): boolean;
  /** The proxy's JSON log lines so far. */
  logText(): string;
  /** Milliseconds from spawning the proxy's process to its first 200 on /healthz. */
  startMs: number;
  close(): Promise<void>;
}

/**
 * Starts the sandbox bank and the proxy (`node --import tsx src/cli.ts start`), the proxy configured by env.
 *
 * @example
 * ```ts
 * const stack = await startBenchStack({ bank: { faults: { rate: 0.2, seed: 42 } } });
 * console.log(stack.rssMiB());
 * await stack.close();
 * ```
 */
export async function startBenchStack(
  o: {
    bank?: FakeEpayOptions;
    redis?: boolean;
    env?: Record<string, string>;
    /** `tsx`: the sources through tsx (default); `built`: `node dist/cli.js start`, as installed (build it first). */
    entry?: 'tsx' | 'built';
  } = {},
): Promise<BenchStack> {
  const dir = mkdtempSync(join(tmpdir(), 'epay-bench-'));
  const apple = await createFakeApple();
  const files = await apple.writeFiles(dir);
  const bank = await startFakeEpay({ deliverNotifications: false, ...o.bank });
  let redis: RedisServer | undefined;
  if (o.redis) redis = await startRedisServer();
  const port = await freePort();
  const proxyUrl = `http://127.0.0.1:${port}`;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOST: '127.0.0.1',
    PORT: String(port),
    PUBLIC_URL: proxyUrl,
    EPAY_CLIENT_ID: SANDBOX_EPAY.clientId,
    EPAY_CLIENT_SECRET: SANDBOX_EPAY.clientSecret,
    EPAY_TERMINAL_ID: SANDBOX_EPAY.terminalId,
    EPAY_OAUTH_URL: bank.oauthUrl,
    EPAY_API_URL: bank.apiUrl,
    EPAY_TOKEN_MODE: 'decrypt',
    ORDER_SIGNING_SECRET: ORDER_SECRET,
    APPLE_MERCHANT_ID: apple.merchantId,
    APPLE_DISPLAY_NAME: 'Bench Shop',
    APPLE_PAY_DOMAINS: 'shop.example',
    APPLE_IDENTITY_CERT: files.identityCert,
    APPLE_IDENTITY_KEY: files.identityKey,
    APPLE_PROCESSING_CERT: `${files.processingCert},${files.processingRsaCert}`,
    APPLE_PROCESSING_KEY: `${files.processingKey},${files.processingRsaKey}`,
    APPLE_ROOT_CA: files.rootCa,
    APPLE_VALIDATION_HOSTS: '127.0.0.1:9', // merchant validation is not exercised here
    // Every request comes from 127.0.0.1: the per-client limit would stop the benchmark, not a client.
    RATE_LIMIT_PER_MINUTE: '0',
    ...(redis ? { REDIS_URL: redis.url } : {}),
    ...o.env,
  };
  const logFile = join(dir, 'proxy.log');
  const log = createWriteStream(logFile);
  const spawnedAt = performance.now();
  const argv = o.entry === 'built' ? ['dist/cli.js', 'start'] : ['--import', 'tsx', 'src/cli.ts', 'start'];
  const child: ChildProcess = spawn(process.execPath, argv, {
    cwd: PROXY_DIR,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.pipe(log);
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr = (stderr + d.toString()).slice(-8_000)));
  let exited = false;
  const exit = new Promise<void>((r) => child.once('exit', () => ((exited = true), r())));

  const until = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (exited) throw new Error(`the proxy exited at start:\n${stderr}`);
    try {
      if ((await fetch(`${proxyUrl}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > until) throw new Error(`the proxy did not answer /healthz in ${START_TIMEOUT_MS} ms:\n${stderr}`);
    await new Promise((r) => setTimeout(r, 5));
  }
  const startMs = performance.now() - spawnedAt;

  return {
    bank,
    apple,
    orderSecret: ORDER_SECRET,
    proxyUrl,
    rssMiB() {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      return m ? Math.round(Number(m[1]) / 1024) : NaN;
    },
    cpuSeconds() {
      // /proc/<pid>/stat: fields 14 and 15 (utime, stime) in clock ticks, after the parenthesised name.
      const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S;
    },
    alive: () => !exited,
    logText: () => readFileSync(logFile, 'utf8'),
    startMs,
    async close() {
      if (!exited) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exit;
        clearTimeout(timer);
      }
      log.end();
      await bank.close();
      await redis?.stop();
    },
  };
}

/** Formats milliseconds for the report. */
export const ms = (v: number) => `${v.toFixed(v < 10 ? 1 : 0)} ms`;

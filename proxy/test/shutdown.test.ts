/**
 * Shutdown a process manager can rely on (docs/deployment.md): SIGTERM to the built command's own process during a slow
 * payment stops new connections, lets the payment get its answer, closes the store and exits 0.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startRedisServer } from './redis-server.js';
import {
  freePort,
  invoiceOf,
  order,
  payment,
  post,
  SCENARIO_AMOUNT,
  type Stack,
  startStack,
  TEST_PAN,
} from './harness.js';

const PROXY_DIR = fileURLToPath(new URL('..', import.meta.url));
/** The sandbox bank's slow scenario answers after this: long enough to send SIGTERM while it is in flight. */
const SLOW_MS = 3_000;
let s: Stack;
const children: ChildProcess[] = [];

beforeAll(async () => {
  s = await startStack({ bank: { slowMs: SLOW_MS } });
});
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await s?.close();
});

/** `node dist/cli.js start` on a free loopback port with the stack's settings; resolves once it listens. */
async function startCommand(extraEnv: Record<string, string> = {}) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, ['dist/cli.js', 'start'], {
    cwd: PROXY_DIR,
    env: {
      PATH: process.env.PATH ?? '',
      ...s.env,
      PORT: String(port),
      PUBLIC_URL: url,
      HOST: '127.0.0.1',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  // Ready once /healthz answers (the `listening` line is not written under LOG_LEVEL=warn).
  let gone = false;
  void exited.then(() => (gone = true));
  for (const end = Date.now() + 20_000; ; ) {
    if (gone || Date.now() > end) throw new Error(`did not start:\n${output}`);
    if (
      await fetch(`${url}/healthz`).then(
        (res) => res.ok,
        () => false,
      )
    )
      break;
    await new Promise((r) => setTimeout(r, 25));
  }
  return { child, url, exited, output: () => output };
}

/** Clients connected to the Redis server, this one included. */
async function redisClients(url: string): Promise<number> {
  const r = new Redis(url, { lazyConnect: true });
  await r.connect();
  try {
    const list = (await r.client('LIST')) as string;
    return list.split('\n').filter((l) => l.trim() !== '').length;
  } finally {
    r.disconnect();
  }
}

async function until(condition: () => boolean, what: string, ms = 10_000) {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Sends a payment of the bank's slow scenario; resolves once the bank has its cryptopay call, with the answer still to
 * come (wrapped: an async function returning the promise itself would wait for it).
 */
async function slowPaymentAtTheBank(proxyUrl: string) {
  const o = await order({ amount: SCENARIO_AMOUNT.slow });
  const invoiceId = invoiceOf(o);
  const answer = post(`${proxyUrl}/applepay/payments`, {
    order: o,
    payment: payment(s.apple, { amount: SCENARIO_AMOUNT.slow, pan: TEST_PAN }),
  });
  await until(
    () => s.bank.calls.some((c) => c.invoiceId === invoiceId && c.path.includes('cryptopay')),
    'the cryptopay call',
  );
  return { answer };
}

describe('SIGTERM to epay-applepay-proxy', () => {
  it('during a slow payment: no new connections, the payment gets its answer, exit 0', async () => {
    const proxy = await startCommand();
    const { answer } = await slowPaymentAtTheBank(proxy.url);
    proxy.child.kill('SIGTERM');
    await until(() => proxy.output().includes('"msg":"stopping"'), 'the stopping line');

    // A new connection is refused while the payment is still at the bank.
    const refused = await fetch(`${proxy.url}/healthz`).then(
      () => 'answered',
      (err: Error & { cause?: { code?: string } }) => err.cause?.code ?? 'failed',
    );
    expect(refused).toBe('ECONNREFUSED');

    const r = await answer;
    expect([r.status, r.json.status]).toEqual([200, 'paid']);
    expect(await proxy.exited).toEqual({ code: 0, signal: null });
    const lines = proxy.output();
    expect(lines).toMatch(/"msg":"stopping".*"inFlight":1/);
    expect(lines).toContain('"msg":"stopped"');
    expect(lines).not.toContain('unanswered');
  });

  it('with REDIS_URL: the payment in flight is answered, then the Redis connections close and it exits 0', async () => {
    const redis = await startRedisServer();
    try {
      const proxy = await startCommand({ REDIS_URL: redis.url });
      expect(proxy.output()).toContain('"store":"redis"');
      const { answer } = await slowPaymentAtTheBank(proxy.url);
      const clientsBefore = await redisClients(redis.url);
      // This test's own connection and at least one of the proxy's.
      expect(clientsBefore).toBeGreaterThan(1);
      proxy.child.kill('SIGTERM');
      const r = await answer;
      expect([r.status, r.json.status]).toEqual([200, 'paid']);
      expect(await proxy.exited).toEqual({ code: 0, signal: null });
      // Only this test's own connection is left: the proxy closed every one of its own.
      expect(await redisClients(redis.url)).toBe(1);
    } finally {
      await redis.stop();
    }
  });

  it('METRICS_PORT: metrics on that port alone, one JSON line per request with its id; both ports close on SIGTERM', async () => {
    const metricsPort = await freePort();
    const proxy = await startCommand({ METRICS_PORT: String(metricsPort) });
    expect(proxy.output()).toContain(`"metricsPort":${metricsPort}`);
    const o = await order({ amount: SCENARIO_AMOUNT.paid });
    const r = await post(`${proxy.url}/applepay/payments`, {
      order: o,
      payment: payment(s.apple, { amount: SCENARIO_AMOUNT.paid, pan: TEST_PAN }),
    });
    expect(r.json.status).toBe('paid');
    const scraped = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(scraped).toMatch(/epay_applepay_payments_total\{step="authorize",outcome="paid"\} 1/);
    expect(scraped).toMatch(/epay_applepay_bank_request_duration_seconds_count\{endpoint="cryptopay"\} 1/);
    expect((await fetch(`${proxy.url}/metrics`)).status).toBe(404);
    const line = proxy
      .output()
      .split('\n')
      .find((l) => l.includes('"path":"/applepay/payments"'));
    expect(JSON.parse(line!)).toMatchObject({ level: 'info', method: 'POST', status: 200, reqId: expect.any(String) });
    proxy.child.kill('SIGTERM');
    expect(await proxy.exited).toEqual({ code: 0, signal: null });
    await expect(fetch(`http://127.0.0.1:${metricsPort}/metrics`)).rejects.toThrow();
  });

  it('LOG_LEVEL=warn: no line per request', async () => {
    const proxy = await startCommand({ LOG_LEVEL: 'warn' });
    expect((await fetch(`${proxy.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${proxy.url}/nowhere`)).status).toBe(404);
    proxy.child.kill('SIGTERM');
    expect(await proxy.exited).toEqual({ code: 0, signal: null });
    expect(proxy.output()).not.toContain('"path":');
  });

  it('idle: SIGTERM and SIGINT each stop it with exit 0', async () => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const proxy = await startCommand();
      expect((await fetch(`${proxy.url}/healthz`)).status).toBe(200);
      proxy.child.kill(signal);
      expect(await proxy.exited).toEqual({ code: 0, signal: null });
    }
  });
});

/**
 * Shutdown a process manager can rely on (docs/deployment.md): SIGTERM to the built command's own process during a slow
 * payment stops new connections, lets the payment get its answer, closes the store and exits 0.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invoiceOf, order, payment, post, SCENARIO_AMOUNT, type Stack, startStack, TEST_PAN } from './harness.js';

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

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** `node dist/cli.js start` on a free loopback port with the stack's settings; resolves once it listens. */
async function startCommand() {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, ['dist/cli.js', 'start'], {
    cwd: PROXY_DIR,
    env: { PATH: process.env.PATH ?? '', ...s.env, PORT: String(port), PUBLIC_URL: url, HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  await new Promise<void>((resolve, reject) => {
    const check = () => (/"msg":"listening"/.test(output) ? resolve() : undefined);
    child.stdout!.on('data', check);
    void exited.then(() => reject(new Error(`exited before listening:\n${output}`)));
  });
  return { child, url, exited, output: () => output };
}

async function until(condition: () => boolean, what: string, ms = 10_000) {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('SIGTERM to epay-applepay-proxy', () => {
  it('during a slow payment: no new connections, the payment gets its answer, exit 0', async () => {
    const proxy = await startCommand();
    const o = await order({ amount: SCENARIO_AMOUNT.slow });
    const invoiceId = invoiceOf(o);
    const answer = post(`${proxy.url}/applepay/payments`, {
      order: o,
      payment: payment(s.apple, { amount: SCENARIO_AMOUNT.slow, pan: TEST_PAN }),
    });
    // The bank has the cryptopay call: the payment is in flight at the bank.
    await until(
      () => s.bank.calls.some((c) => c.invoiceId === invoiceId && c.path.includes('cryptopay')),
      'the cryptopay call',
    );
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

  it('idle: SIGTERM and SIGINT each stop it with exit 0', async () => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const proxy = await startCommand();
      expect((await fetch(`${proxy.url}/healthz`)).status).toBe(200);
      proxy.child.kill(signal);
      expect(await proxy.exited).toEqual({ code: 0, signal: null });
    }
  });
});

/**
 * The command-line path of docs/sandbox.md, as a merchant runs it: the sandbox CLI, then the proxy's start command configured
 * by the settings the sandbox wrote and nothing else, then the `/checkout | /applepay/payments` pipe that pays.
 * Also: the start command refuses to start on bad settings, naming them all.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from './harness.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Starting a TypeScript entry through tsx takes a few seconds on a busy 2-core machine. */
const START_TIMEOUT_MS = 30_000;

const children: ChildProcess[] = [];

/**
 * Runs the sandbox's TypeScript entry as its start script does (tsx resolves from the package's own folder), and the
 * proxy's built command (`dist/cli.js`, built by test/build-dist.ts) with plain node, as a merchant runs it.
 */
function run(pkg: 'proxy' | 'sandbox', args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, pkg === 'proxy' ? ['dist/cli.js', ...args] : ['--import', 'tsx', ...args], {
    cwd: join(ROOT, pkg),
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const until = (re: RegExp) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${re}: ${out}${err}`)), START_TIMEOUT_MS);
      const check = () => {
        const m = re.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m);
        }
      };
      child.stdout!.on('data', check);
      child.on('exit', () => reject(new Error(`exited: ${out}${err}`)));
      check();
    });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, until, exited, output: () => out + err };
}

/** Reads `KEY=value` lines as a shell's `set -a; . file` would (single quotes stripped). */
function readEnvFile(path: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m) env[m[1]!] = m[2]!.replace(/^'(.*)'$/, '$1');
  }
  return env;
}

const BASE_ENV = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' };
let checkoutUrl = '';
let bankUrl = '';
let settings: Record<string, string> = {};

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sandbox-cli-'));
  const sandbox = run(
    'sandbox',
    ['src/cli.ts', '--dir', dir, '--bank-port', '0', '--apple-port', '0', '--tokens-port', '0'],
    BASE_ENV,
  );
  const m = await sandbox.until(/bank (http:\/\/\S+), Apple gateway \S+, tokens (http:\/\/\S+)\/payment-token/);
  bankUrl = m[1]!.replace(/,$/, '');
  checkoutUrl = `${m[2]}/checkout`;
  settings = readEnvFile(join(dir, 'proxy.env'));
}, START_TIMEOUT_MS * 2);

afterAll(() => {
  for (const c of children) c.kill('SIGTERM');
});

async function startProxy(extra: Record<string, string>) {
  const port = await freePort();
  const proxy = run('proxy', ['start'], {
    ...BASE_ENV,
    ...settings,
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    ...extra,
  });
  await proxy.until(/"msg":"listening"/);
  return { url: `http://127.0.0.1:${port}`, proxy };
}

async function checkoutAndPay(proxyUrl: string, amount: number) {
  const body = await (await fetch(checkoutUrl, { method: 'POST', body: JSON.stringify({ amount }) })).text();
  const res = await fetch(`${proxyUrl}/applepay/payments`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  return {
    status: res.status,
    json: (await res.json()) as any,
    invoiceId: JSON.parse(Buffer.from(JSON.parse(body).order.split('.')[1], 'base64url').toString()).invoiceId,
  };
}

describe('docs/sandbox.md: sandbox CLI, the proxy start command, one curl', () => {
  it('pays in passthrough mode, configured by the sandbox’s settings alone', async () => {
    const { url, proxy } = await startProxy({ EPAY_TOKEN_MODE: 'passthrough' });
    const r = await checkoutAndPay(url, 1500);
    expect([r.status, r.json.status]).toEqual([200, 'paid']);
    const ledger = (await (await fetch(`${bankUrl}/_sandbox/ledger`)).json()) as {
      transactions: Array<{ invoiceId: string; statusName: string }>;
    };
    expect(ledger.transactions.filter((t) => t.invoiceId === r.invoiceId).map((t) => t.statusName)).toEqual(['AUTH']);
    // One structured line per request, and no secret in any of them.
    expect(proxy.output()).toContain('"path":"/applepay/payments","status":200');
    expect(proxy.output()).not.toContain(settings.EPAY_CLIENT_SECRET);
    expect(proxy.output()).not.toContain(settings.ORDER_SIGNING_SECRET);
  });

  it('pays in the default decrypt mode, and asks for 3-D Secure for the amount that picks it', async () => {
    const { url } = await startProxy({});
    expect((await checkoutAndPay(url, 1500)).json.status).toBe('paid');
    const three = await checkoutAndPay(url, 1500.11);
    expect(three.json.status).toBe('3ds');
    expect(three.json.form.fields.TermUrl.startsWith(`${url}/3ds/callback?ctx=`)).toBe(true);
  });
});

describe('the start command', () => {
  it('refuses to start on bad settings, naming every one, and echoes no secret', async () => {
    const p = run('proxy', ['start'], {
      ...BASE_ENV,
      EPAY_CLIENT_SECRET: 'top-secret-value',
      PUBLIC_URL: 'ftp://x',
    });
    expect(await p.exited).toBe(78);
    const out = p.output();
    for (const name of [
      'PUBLIC_URL',
      'EPAY_CLIENT_ID',
      'EPAY_TERMINAL_ID',
      'ORDER_SIGNING_SECRET',
      'APPLE_MERCHANT_ID',
      'APPLE_PAY_DOMAINS',
    ]) {
      expect(out).toContain(name);
    }
    expect(out).not.toContain('top-secret-value');
    expect(out).toContain('did not start');
  });
});

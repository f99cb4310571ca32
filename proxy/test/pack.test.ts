/**
 * The package as published (docs/deployment.md): `pnpm pack` of `@epay-applepay/proxy` holds the built JavaScript and
 * nothing private or test-only, installs with `npm install ./….tgz` in an empty folder outside the workspace, and runs
 * there with plain node: the command pays against the sandbox bank and stops on SIGTERM, and the `/order` and
 * `/webhooks` subpaths load no server dependency.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

const run = promisify(execFile);
const PROXY_DIR = fileURLToPath(new URL('..', import.meta.url));
/** A first install fetches the dependencies from the registry; later ones come from npm's cache. */
const INSTALL_TIMEOUT_MS = 240_000;

let work = '';
let tarball = '';
let files: string[] = [];
let s: Stack;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'proxy-pack-'));
  // dist/ is built once for the run (test/build-dist.ts): packed as is, so no test rebuilds it under another.
  const { stdout } = await run('pnpm', ['pack', '--pack-destination', work, '--json', '--config.ignore-scripts=true'], {
    cwd: PROXY_DIR,
    maxBuffer: 16 * 1024 * 1024,
  });
  const packed = JSON.parse(stdout.slice(stdout.indexOf('{'))) as { filename: string; files: Array<{ path: string }> };
  tarball = packed.filename;
  files = packed.files.map((f) => f.path);
  const app = join(work, 'app');
  await run('mkdir', ['-p', app]);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'merchant-backend', private: true, type: 'module' }));
  await run('npm', ['install', tarball, '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], {
    cwd: app,
    timeout: INSTALL_TIMEOUT_MS,
    env: { ...process.env, npm_config_workspaces: 'false' },
  });
  s = await startStack();
}, INSTALL_TIMEOUT_MS + 60_000);

afterAll(async () => {
  await s?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

const appDir = () => join(work, 'app');
const installed = () => join(appDir(), 'node_modules', '@epay-applepay', 'proxy');

describe('the tarball', () => {
  it('holds the built package, its sources for the source maps, and nothing else', () => {
    expect(files).toContain('dist/cli.js');
    expect(files).toContain('dist/index.d.ts');
    expect(files).toContain('dist/order.js');
    expect(files).toContain('dist/webhooks/verify.js');
    expect(files).toContain('package.json');
    const stray = files.filter(
      (f) =>
        /\.test\.|(^|\/)(test|tests|bench|fixtures|__fixtures__)\//.test(f) ||
        /sandbox/i.test(f) ||
        !/^(dist\/|src\/|package\.json$|README\.md$|CHANGELOG\.md$|LICENSE$)/.test(f),
    );
    expect(stray).toEqual([]);
  });

  it('holds no private key, and its manifest points at dist/ and the command', () => {
    const root = installed();
    const walk = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)],
      );
    for (const f of walk(root)) expect(readFileSync(f, 'utf8'), f).not.toMatch(/-----BEGIN [A-Z ]*PRIVATE KEY-----/);
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    expect(manifest.exports['.'].default).toBe('./dist/index.js');
    expect(manifest.exports['./order'].default).toBe('./dist/order.js');
    expect(manifest.exports['./webhooks'].default).toBe('./dist/webhooks/verify.js');
    expect(manifest.bin).toEqual({ 'epay-applepay-proxy': './dist/cli.js' });
    // valibot, which checks the order's claims, is installed with it, at the version pinned.
    expect(manifest.dependencies.valibot).toBe('1.5.0');
    expect(JSON.parse(readFileSync(join(appDir(), 'node_modules', 'valibot', 'package.json'), 'utf8')).version).toBe(
      '1.5.0',
    );
    // No TypeScript at run time.
    expect(Object.keys(manifest.dependencies)).not.toContain('tsx');
    expect(readdirSync(join(appDir(), 'node_modules'))).not.toContain('tsx');
    expect(readdirSync(join(appDir(), 'node_modules'))).not.toContain('typescript');
  });
});

describe('installed in an empty folder, run with plain node', () => {
  const bin = () => join(appDir(), 'node_modules', '.bin', 'epay-applepay-proxy');

  it('the command answers --version, and check-config names every bad setting with exit 78', async () => {
    const { stdout } = await run(bin(), ['--version'], { cwd: appDir() });
    expect(stdout.trim()).toBe(JSON.parse(readFileSync(join(PROXY_DIR, 'package.json'), 'utf8')).version);
    const bad = await run(bin(), ['check-config'], { cwd: appDir(), env: { PATH: process.env.PATH ?? '' } }).then(
      () => ({ code: 0, stderr: '' }),
      (err: { code: number; stderr: string }) => err,
    );
    expect(bad.code).toBe(78);
    for (const name of ['PUBLIC_URL', 'EPAY_CLIENT_ID', 'ORDER_SIGNING_SECRET', 'APPLE_MERCHANT_ID'])
      expect(bad.stderr).toContain(name);
  });

  it('start: pays against the sandbox bank, then SIGTERM stops it with exit 0', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const child = spawn(bin(), ['start'], {
      cwd: appDir(),
      env: { PATH: process.env.PATH ?? '', ...s.env, PORT: String(port), PUBLIC_URL: url, HOST: '127.0.0.1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const end = Date.now() + 20_000;
      while (!output.includes('"msg":"listening"')) {
        if (Date.now() > end) throw new Error(`did not start:\n${output}`);
        await new Promise((r) => setTimeout(r, 25));
      }
      const o = await order({ amount: SCENARIO_AMOUNT.paid });
      const r = await post(`${url}/applepay/payments`, {
        order: o,
        payment: payment(s.apple, { amount: SCENARIO_AMOUNT.paid, pan: TEST_PAN }),
      });
      expect([r.status, r.json.status, r.json.payment.invoiceId]).toEqual([200, 'paid', invoiceOf(o)]);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(output).not.toContain(s.env.EPAY_CLIENT_SECRET!);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('@epay-applepay/proxy/order and /webhooks load alone: no Hono, ioredis, BullMQ, pino or prom-client (valibot is no server dependency)', async () => {
    // A resolve hook that fails the import of any server dependency.
    writeFileSync(
      join(appDir(), 'deny.mjs'),
      `const SERVER = /^(hono|@hono\\/|ioredis|bullmq|pino|prom-client|rate-limiter-flexible|undici|pkijs|asn1js)/;
export async function resolve(specifier, context, next) {
  if (SERVER.test(specifier)) throw new Error('server dependency loaded: ' + specifier);
  return next(specifier, context);
}`,
    );
    writeFileSync(
      join(appDir(), 'backend.mjs'),
      `import { register } from 'node:module';
register('./deny.mjs', import.meta.url);
const { signOrder, verifyOrder, updateOrder } = await import('@epay-applepay/proxy/order');
const { verifyWebhook } = await import('@epay-applepay/proxy/webhooks');
const secret = 'a-merchant-order-signing-secret-0123456789';
const exp = Math.floor(Date.now() / 1000) + 600;
const token = await signOrder({ invoiceId: '123456789012', amount: 1500, currency: 'KZT', description: 'Tea', exp }, secret);
const lineItems = [{ label: 'Шай', amount: 1500 }, { label: 'Жеткізу', amount: 500 }];
const claims = await verifyOrder(await updateOrder(token, { lineItems }, secret), secret);
let refused = '';
await signOrder({ invoiceId: '123456789012', amount: 1, exp, lineItems: [{ label: 'Tea', ammount: 1 }] }, secret).catch((e) => (refused = e.code));
console.log(JSON.stringify({ invoiceId: claims.invoiceId, amount: claims.amount, label: claims.lineItems[1].label, refused, verifyWebhook: typeof verifyWebhook }));
`,
    );
    const { stdout } = await run(process.execPath, ['backend.mjs'], { cwd: appDir() });
    expect(JSON.parse(stdout)).toEqual({
      invoiceId: '123456789012',
      amount: 2000,
      label: 'Жеткізу',
      refused: 'invalid_order',
      verifyWebhook: 'function',
    });
  });

  it('the hook above does catch a server dependency (the main entry loads Hono)', async () => {
    writeFileSync(
      join(appDir(), 'server-entry.mjs'),
      `import { register } from 'node:module';
register('./deny.mjs', import.meta.url);
await import('@epay-applepay/proxy');
`,
    );
    const err = await run(process.execPath, ['server-entry.mjs'], { cwd: appDir() }).then(
      () => '',
      (e: { stderr: string }) => e.stderr,
    );
    expect(err).toContain('server dependency loaded');
  });
});

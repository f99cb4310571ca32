/**
 * @module A merchant's backend imports `@epay-applepay/proxy/webhooks` (and `/order`) alone: this loads no server
 * dependency. Each import runs in a fresh `node --import tsx` from the demo package (which depends on the proxy, so the
 * package specifier resolves through the `exports` map), with a resolve hook recording every module it loads.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const DEMO_DIR = fileURLToPath(new URL('../../../demo', import.meta.url));
const PROXY_SRC_URL = new URL('..', import.meta.url).href;
/** Starting a TypeScript entry through tsx takes a few seconds on a busy 2-core machine. */
const RUN_TIMEOUT_MS = 30_000;

/** Every runtime dependency of the proxy. */
const DEPENDENCIES = Object.keys(
  (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { dependencies: object })
    .dependencies,
);
/**
 * Dependencies a merchant's backend may load with `/order`: plain JavaScript, no I/O, no dependency of its own
 * (valibot checks the order's claims).
 */
const PURE_DEPENDENCIES = ['valibot'];
/** Every runtime dependency of the proxy but the pure ones and tsx (the TypeScript loader the test itself runs under). */
const SERVER_DEPENDENCIES = DEPENDENCIES.filter((name) => name !== 'tsx' && !PURE_DEPENDENCIES.includes(name));

/**
 * Runs in the module-loader thread: reports every resolved module, then a sentinel import tells the main thread that
 * all earlier reports have arrived (one port keeps their order).
 */
const HOOK = `
let port;
export function initialize(data) { port = data.port; }
export async function resolve(specifier, context, nextResolve) {
  const result = await nextResolve(specifier, context);
  port.postMessage({ specifier, url: result.url });
  return result;
}`;

const SENTINEL = 'data:text/javascript,export default "loaded-modules-sentinel"';

/** The child: registers the hook, imports the specifier, prints its export names and every module loaded. */
const CHILD = `
import { createRequire, register } from 'node:module';
import { MessageChannel } from 'node:worker_threads';
const { port1, port2 } = new MessageChannel();
const seen = [];
const done = new Promise((resolve) => port1.on('message', (m) => (m.url === ${JSON.stringify(SENTINEL)} ? resolve() : seen.push(m))));
register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(HOOK)}), { data: { port: port2 }, transferList: [port2] });
const ns = await import(process.env.SPECIFIER);
await import(${JSON.stringify(SENTINEL)});
await done;
port1.close();
// CommonJS packages load through require, past the ESM hook: the require cache names them.
const cjs = Object.keys(createRequire(process.cwd() + '/').cache);
process.stdout.write(JSON.stringify({ exports: Object.keys(ns).sort(), esm: seen, cjs }));
`;

interface Loaded {
  exports: string[];
  esm: { specifier: string; url: string }[];
  cjs: string[];
}

function loadAlone(specifier: string): Promise<Loaded> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CHILD], {
      cwd: DEMO_DIR,
      env: { ...process.env, SPECIFIER: specifier },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill(), RUN_TIMEOUT_MS);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(JSON.parse(out) as Loaded);
      else reject(new Error(`importing ${specifier} exited ${code}: ${err}`));
    });
  });
}

/** The server dependencies (or the packages named) among the modules loaded, by package name. */
function dependenciesIn(loaded: Loaded, names: readonly string[] = SERVER_DEPENDENCIES): string[] {
  const found = new Set<string>();
  const places = [...loaded.esm.flatMap((m) => [m.url, m.specifier]), ...loaded.cjs];
  for (const name of names) {
    const inNodeModules = `/node_modules/${name}/`;
    if (places.some((p) => p.includes(inNodeModules) || p === name || p.startsWith(`${name}/`))) found.add(name);
  }
  return [...found].sort();
}

/** The proxy's own source files loaded, relative to `proxy/src/`. */
function proxySourcesIn(loaded: Loaded): string[] {
  return [...new Set(loaded.esm.map((m) => m.url).filter((u) => u.startsWith(PROXY_SRC_URL)))]
    .map((u) => u.slice(PROXY_SRC_URL.length))
    .sort();
}

describe('imported alone, from a package that depends on the proxy', () => {
  it('the detector sees server dependencies: the main entry loads them', async () => {
    const loaded = await loadAlone('@epay-applepay/proxy');
    expect(dependenciesIn(loaded)).toEqual(expect.arrayContaining(['hono', 'ioredis', '@hono/node-server']));
  });

  it('@epay-applepay/proxy/webhooks loads verify.ts and signature.ts, and no dependency', async () => {
    const loaded = await loadAlone('@epay-applepay/proxy/webhooks');
    expect(loaded.exports).toEqual(
      expect.arrayContaining([
        'verifyWebhook',
        'WebhookVerificationError',
        'WEBHOOK_VERIFICATION_ERROR_CODES',
        'signWebhook',
        'parseSignatureHeader',
        'WEBHOOK_SIGNATURE_HEADER',
      ]),
    );
    expect(proxySourcesIn(loaded)).toEqual(['webhooks/signature.ts', 'webhooks/verify.ts']);
    expect(dependenciesIn(loaded, DEPENDENCIES)).toEqual([]);
  });

  it('@epay-applepay/proxy/order exports signOrder, verifyOrder and updateOrder and loads no server dependency (no Hono either), valibot only', async () => {
    const loaded = await loadAlone('@epay-applepay/proxy/order');
    expect(loaded.exports).toEqual(expect.arrayContaining(['signOrder', 'verifyOrder', 'updateOrder']));
    expect(dependenciesIn(loaded)).toEqual([]);
    // The detector sees the one dependency it does load.
    expect(dependenciesIn(loaded, DEPENDENCIES)).toEqual(['valibot']);
  });
});

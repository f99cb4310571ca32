/**
 * @module The widget as a merchant gets it: `pnpm pack` (which applies publishConfig, and builds first through
 * `prepack`), the tarball's contents, then an empty folder outside the workspace where npm installs the tarball and
 * Vite, Vite builds a small app that imports the package as the README says, and Debian's Chromium opens the built
 * app from 127.0.0.1 and finds the element defined and working.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CHROMIUM, CHROMIUM_ARGS } from '../../scripts/chromium.mjs';
import { serveStatic } from './static-server.js';

const WIDGET_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
/** The Vite a merchant would install today; the workspace's own is never used for the app. */
const VITE_SPEC = 'vite@8.3.8';
/** `pnpm pack`, with a build first when dist/ is stale. */
const PACK_TIMEOUT_MS = 120_000;
/** `npm install` of the tarball and Vite: a first run downloads Vite, Rolldown and Lightning CSS. */
const INSTALL_TIMEOUT_MS = 300_000;
const VITE_BUILD_TIMEOUT_MS = 60_000;
/** The page's work in the browser, from navigation to `epay-ready`. */
const PAGE_TIMEOUT_MS = 15_000;
/** Today about 66 kB; double that means something that should not ship is in the tarball. */
const MAX_PACKED_BYTES = 150_000;
const TAG = 'epay-applepay-button';

/** Every file the tarball may hold (paths inside `package/`). */
const ALLOWED = [
  /^package\.json$/,
  /^README\.md$/,
  /^LICENSE$/,
  /^custom-elements\.json$/,
  /^dist\/[\w.-]+\.js$/,
  /^dist\/[\w.-]+\.js\.map$/,
  /^dist\/types\/[\w.-]+\.d\.ts$/,
];

/**
 * The environment for npm, npx and Vite in the app: the merchant's, not this run's. `pnpm test` and Vitest add
 * `npm_config_*` settings of pnpm's (npm would read them) and `NODE_ENV=test` (Vite would then pick Lit's development
 * build). Registry, cache and proxy settings stay, for a machine that needs them.
 */
function merchantEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of Object.keys(env)) {
    if (/^npm_config_(registry|cache|https?_proxy|proxy|noproxy|strict_ssl|cafile|ca)$/i.test(key)) continue;
    if (/^(npm_|pnpm_|VITEST|NODE_ENV$|INIT_CWD$)/i.test(key)) delete env[key];
  }
  return env;
}

/** Runs a command; a failure carries its output, so the test's message shows what npm or Vite said. */
function run(
  cmd: string,
  args: string[],
  options: { cwd: string; timeoutMs: number; env?: NodeJS.ProcessEnv },
): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      cmd,
      args,
      { cwd: options.cwd, env: options.env ?? process.env, timeout: options.timeoutMs, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`'${cmd} ${args.join(' ')}' failed: ${error.message}\n${stdout}\n${stderr}`));
        else resolve(stdout);
      },
    );
  });
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => posix.relative(dir, join(e.parentPath, e.name).split('\\').join('/')))
    .sort();
}

/** An order token as the merchant's backend signs it; the element only decodes it (the proxy verifies). */
function orderToken(): string {
  const b64url = (s: string) => Buffer.from(s).toString('base64url');
  const claims = { invoiceId: '000123456', amount: 1500, currency: 'KZT', exp: Math.floor(Date.now() / 1000) + 3600 };
  return `${b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${b64url(JSON.stringify(claims))}.${b64url('sig')}`;
}

/** The smallest shop app, written as the widget's README says: the element in the page, the ES module imported. */
function appFiles(): Record<string, string> {
  return {
    'package.json': `${JSON.stringify({ name: 'shop', private: true, type: 'module' }, null, 2)}\n`,
    'index.html': `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Shop</title>
  <link rel="icon" href="data:,">
  <script type="module" src="/main.js"></script>
</head>
<body>
  <${TAG} proxy="https://pay.example.kz" order="${orderToken()}" label="Example Shop"></${TAG}>
</body>
</html>
`,
    'main.js': `import '@epay-applepay/widget'; // defines <epay-applepay-button>
import { TAG_NAME } from '@epay-applepay/widget';

window.shop = { tagName: TAG_NAME, ready: undefined };
const button = document.querySelector(TAG_NAME);
button.addEventListener('epay-ready', (e) => (window.shop.ready = e.detail));
button.addEventListener('epay-success', (e) => location.assign('/thanks?ref=' + e.detail.payment.reference));
button.addEventListener('epay-error', (e) => console.warn(e.detail.code, e.detail.message));
`,
  };
}

describe('the packed widget', () => {
  let work: string;
  let tarball: string;
  /** The tarball's files, relative to its `package/` folder. */
  let files: string[];
  let unpacked: string;

  beforeAll(async () => {
    // os.tmpdir(), never inside the repository: no pnpm workspace, no node_modules above the app.
    work = await mkdtemp(join(tmpdir(), 'epay-widget-package-'));
    const packDir = join(work, 'pack');
    unpacked = join(work, 'unpacked');
    await mkdir(packDir);
    await mkdir(unpacked);
    await run('pnpm', ['pack', '--pack-destination', packDir], { cwd: WIDGET_DIR, timeoutMs: PACK_TIMEOUT_MS });
    const made = (await readdir(packDir)).filter((f) => f.endsWith('.tgz'));
    expect(made).toHaveLength(1);
    tarball = join(packDir, made[0]!);
    await run('tar', ['-xzf', tarball, '-C', unpacked], { cwd: work, timeoutMs: 30_000 });
    unpacked = join(unpacked, 'package');
    files = await listFiles(unpacked);
  }, PACK_TIMEOUT_MS + 30_000);

  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  test('holds the builds, the types, the manifest, README and LICENSE, and nothing else', async () => {
    expect(files.filter((f) => !ALLOWED.some((re) => re.test(f)))).toEqual([]);
    expect(files.filter((f) => /(^|\/)(test|test-support|src)\/|\.test\.|\.ts$(?<!\.d\.ts)/.test(f))).toEqual([]);
    expect((await stat(tarball)).size).toBeLessThanOrEqual(MAX_PACKED_BYTES);

    // Every file package.json points at is in the tarball.
    const pkg = JSON.parse(await readFile(join(unpacked, 'package.json'), 'utf8'));
    const targets = [pkg.main, pkg.module, pkg.types, pkg.unpkg, pkg.jsdelivr, pkg.customElements];
    const collect = (value: unknown): void => {
      if (typeof value === 'string') targets.push(value);
      else if (value && typeof value === 'object') Object.values(value).forEach(collect);
    };
    collect(pkg.exports);
    const missing = targets.map((t: string) => posix.normalize(t)).filter((t: string) => !files.includes(t));
    expect(missing).toEqual([]);
    for (const required of ['README.md', 'LICENSE', 'custom-elements.json', 'dist/types/index.d.ts'])
      expect(files).toContain(required);
    expect(pkg.publishConfig?.access).toBe('public');
  });

  test('its source maps and type declarations point only at what it holds', async () => {
    const broken: string[] = [];
    for (const file of files) {
      const text = await readFile(join(unpacked, file), 'utf8');
      const dir = posix.dirname(file);
      if (/\.(js|d\.ts)$/.test(file)) {
        const url = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(text)?.[1];
        if (url && !url.startsWith('data:') && !files.includes(posix.join(dir, url)))
          broken.push(`${file}: sourceMappingURL ${url}`);
      }
      if (file.endsWith('.map')) {
        // A source outside the tarball is fine when its text is inside the map (sourcesContent).
        const map = JSON.parse(text) as { sources: string[]; sourcesContent?: (string | null)[] };
        map.sources.forEach((source, i) => {
          if (!files.includes(posix.join(dir, source)) && typeof map.sourcesContent?.[i] !== 'string')
            broken.push(`${file}: source ${source} neither shipped nor inlined`);
        });
      }
      if (file.endsWith('.d.ts')) {
        const pkg = JSON.parse(await readFile(join(unpacked, 'package.json'), 'utf8'));
        for (const [, spec] of text.matchAll(/(?:from\s+|import\s*\(\s*)['"]([^'"]+)['"]/g)) {
          if (spec!.startsWith('.')) {
            const declared = posix.join(dir, spec!.replace(/\.js$/, '.d.ts'));
            if (!files.includes(declared)) broken.push(`${file}: imports ${spec}, no ${declared}`);
          } else if (!Object.hasOwn(pkg.dependencies ?? {}, spec!.split('/').slice(0, 2).join('/'))) {
            broken.push(`${file}: imports ${spec}, not a dependency`);
          }
        }
      }
    }
    expect(broken).toEqual([]);
  });

  test(
    'installs with npm into a fresh Vite app, which builds, and the element is defined and renders in Chromium',
    async () => {
      const app = join(work, 'app');
      await mkdir(app);
      for (const [name, text] of Object.entries(appFiles())) await writeFile(join(app, name), text);
      const env = merchantEnv();
      await run(
        'npm',
        ['install', tarball, VITE_SPEC, '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'],
        { cwd: app, env, timeoutMs: INSTALL_TIMEOUT_MS },
      );
      // --no: use the app's own Vite, never download one.
      await run('npx', ['--no', 'vite', 'build'], { cwd: app, env, timeoutMs: VITE_BUILD_TIMEOUT_MS });

      const server = await serveStatic(join(app, 'dist'));
      const browser = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS] });
      try {
        const page = await browser.newPage();
        const errors: string[] = [];
        page.on('pageerror', (e) => errors.push(e.message));
        page.on('console', (m) => {
          if (m.type() === 'error') errors.push(m.text());
        });
        await page.goto(server.url, { waitUntil: 'load', timeout: PAGE_TIMEOUT_MS });
        await page.waitForFunction('window.shop?.ready !== undefined', undefined, { timeout: PAGE_TIMEOUT_MS });
        const seen = await page.evaluate(`(() => {
          const Element = customElements.get('${TAG}');
          const inPage = document.querySelector('${TAG}');
          const made = document.body.appendChild(document.createElement('${TAG}'));
          return {
            defined: typeof Element === 'function',
            upgraded: Element !== undefined && inPage instanceof Element,
            shadowRoot: inPage.shadowRoot !== null,
            createdUpgrades: made.shadowRoot !== null,
            tagName: window.shop.tagName,
            ready: window.shop.ready,
          };
        })()`);
        expect(seen).toEqual({
          defined: true,
          upgraded: true,
          shadowRoot: true,
          createdUpgrades: true,
          tagName: TAG,
          // Chromium has no ApplePaySession: the element says so, as it would to a shop's page.
          ready: { available: false, reason: 'unsupported_browser' },
        });
        expect(errors).toEqual([]);
      } finally {
        await browser.close();
        await server.close();
      }
    },
    INSTALL_TIMEOUT_MS + VITE_BUILD_TIMEOUT_MS + 4 * PAGE_TIMEOUT_MS,
  );
});

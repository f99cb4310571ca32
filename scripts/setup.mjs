#!/usr/bin/env node
/**
 * @module Makes a fresh checkout runnable: installs the workspace's packages when they are missing or
 * stale, and (with --browsers) the Debian packages the tests need: Chromium, WebKitGTK's WebDriver and a virtual
 * display, and redis-server. Nothing here downloads a browser build of its own: they come from the system's package
 * manager.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));

// Browser test tools must never fetch a browser of their own.
process.env.PUPPETEER_SKIP_DOWNLOAD = '1';
process.env.PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD = '1';

function run(cmd, argv) {
  const r = spawnSync(cmd, argv, { cwd: root, stdio: 'inherit', env: process.env });
  if (r.status !== 0) {
    console.error(`setup: '${cmd} ${argv.join(' ')}' failed (exit ${r.status ?? r.signal}).`);
    process.exit(r.status ?? 1);
  }
}

function mtime(p) {
  try {
    return statSync(p).mtimeMs;
  } catch {
    return 0;
  }
}

// 1. Packages: install when node_modules is missing or older than the lockfile.
const marker = join(root, 'node_modules', '.modules.yaml');
if (!existsSync(marker) || mtime(join(root, 'pnpm-lock.yaml')) > mtime(marker)) {
  run('pnpm', ['install', '--frozen-lockfile']);
}

// 2. What the tests need from Debian's packages: the browsers, their display, and Redis.
const SYSTEM_PACKAGES = [
  { bin: '/usr/bin/chromium', pkgs: ['chromium'] },
  // WebKitGTK (Safari's engine) for the widget's second run: its WebDriver brings MiniBrowser, and
  // it needs a display, a virtual one here (xauth for running it by hand with xvfb-run).
  { bin: '/usr/bin/WebKitWebDriver', pkgs: ['webkit2gtk-driver'] },
  { bin: '/usr/bin/Xvfb', pkgs: ['xvfb'] },
  { bin: '/usr/bin/xauth', pkgs: ['xauth'] },
  // Not a browser: the proxy's Redis store tests start a real redis-server of their own (proxy/test/redis-server.ts).
  { bin: '/usr/bin/redis-server', pkgs: ['redis-server'] },
];

if (args.has('--browsers')) {
  const missing = SYSTEM_PACKAGES.filter((b) => !existsSync(b.bin));
  if (missing.length > 0) {
    const pkgs = missing.flatMap((b) => b.pkgs);
    const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
    const hasApt = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
    if (!isRoot || !hasApt) {
      console.error(
        `setup: the browser tests need ${missing.map((b) => b.bin).join(', ')}.\n` +
          `Install them with: sudo apt-get install -y ${pkgs.join(' ')}`,
      );
      process.exit(1);
    }
    console.log(`setup: installing ${pkgs.join(' ')} from Debian's packages`);
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
    execFileSync('apt-get', ['install', '-y', '-qq', ...pkgs], {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  }
}

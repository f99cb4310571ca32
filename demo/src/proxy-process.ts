/** @module Runs the proxy as its own process with its ordinary start command, configured only by environment settings. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The proxy reads its certificates and loads TypeScript through tsx: a second or two on a slow machine. */
const START_TIMEOUT_MS = 30_000;
const HEALTH_POLL_MS = 100;
/** The proxy gives requests in flight this long on SIGTERM before the demo insists. */
const STOP_GRACE_MS = 5_000;

const PROXY_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'proxy');

/** The running proxy. */
export interface ProxyProcess {
  /** `http://127.0.0.1:PORT`, loopback only. */
  url: string;
  port: number;
  child: ChildProcess;
  /** Resolves when the process has exited, for whatever reason. */
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

/** Options of {@link startProxyProcess}. */
export interface ProxyProcessOptions {
  /** The proxy's settings; PORT and HOST are chosen here. */
  env: Record<string, string>;
  /** Each line the proxy writes (its JSON request log and any error). */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
}

/** A port free right now on loopback. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** Only what a Node process needs from the demo's own environment: a merchant's real settings never leak in. */
function baseEnv(): Record<string, string> {
  const keep = ['PATH', 'HOME', 'TMPDIR', 'TMP', 'TEMP', 'LANG', 'SYSTEMROOT'];
  return Object.fromEntries(keep.flatMap((k) => (process.env[k] === undefined ? [] : [[k, process.env[k]!]])));
}

function lines(stream: NodeJS.ReadableStream | null, onLine: (line: string) => void): void {
  let rest = '';
  stream?.setEncoding('utf8');
  stream?.on('data', (chunk: string) => {
    const parts = (rest + chunk).split('\n');
    rest = parts.pop() ?? '';
    for (const line of parts) if (line.trim()) onLine(line);
  });
  stream?.on('end', () => rest.trim() && onLine(rest));
}

/**
 * Starts the proxy's command from its sources (`src/cli.ts start`; `pnpm --filter @epay-applepay/proxy start` runs
 * the same command built) as a child process on a free
 * loopback port and waits for `GET /healthz`. Fails with the proxy's own words when it refuses its settings.
 *
 * @example
 * const proxy = await startProxyProcess({ env: { ...sandbox.proxyEnv, PUBLIC_URL, ORDER_SIGNING_SECRET } });
 * await proxy.stop();
 */
export async function startProxyProcess(o: ProxyProcessOptions): Promise<ProxyProcess> {
  const port = await freePort();
  // `node --import tsx` rather than the `tsx` command: no extra watcher process,
  // so a signal reaches the proxy itself.
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'start'], {
    cwd: PROXY_DIR,
    env: { ...baseEnv(), ...o.env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderr: string[] = [];
  lines(child.stdout, (l) => o.onLine?.(l, 'stdout'));
  lines(child.stderr, (l) => {
    stderr.push(l);
    o.onLine?.(l, 'stderr');
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let gone = false;
  void exited.then(() => (gone = true));
  const url = `http://127.0.0.1:${port}`;

  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (gone) throw new Error(`The proxy did not start:\n${stderr.join('\n')}`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`The proxy did not answer /healthz within ${START_TIMEOUT_MS} ms`);
    }
    await new Promise((r) => setTimeout(r, HEALTH_POLL_MS));
  }

  return {
    url,
    port,
    child,
    exited,
    async stop() {
      if (gone) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}

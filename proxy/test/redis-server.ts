/**
 * @module Test helper: a real `redis-server` (Debian's package) on a free loopback port, without persistence,
 * started by the test itself and stopped after. Missing `redis-server` is an error, never a skip.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer, connect } from 'node:net';

/** How long a fresh redis-server may take to accept connections. */
const START_TIMEOUT_MS = 10_000;
const START_ATTEMPTS = 3;

export interface RedisServer {
  port: number;
  url: string;
  /** Stops the server (SIGTERM, then SIGKILL). */
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** Answers true once the server replies +PONG. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    let data = '';
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(500, () => done(false));
    sock.once('error', () => done(false));
    sock.once('connect', () => sock.write('PING\r\n'));
    sock.on('data', (d) => {
      data += d.toString();
      if (data.includes('\r\n')) done(data.startsWith('+PONG'));
    });
  });
}

function binary(): string {
  const found = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  const path = found.stdout.trim();
  if (found.status !== 0 || !path) {
    throw new Error(
      'redis-server is not installed: the Redis store tests need it. Run `node scripts/setup.mjs --browsers` ' +
        '(as root) or `apt-get install -y redis-server`.',
    );
  }
  return path;
}

async function startOnce(bin: string, fixedPort?: number): Promise<RedisServer | undefined> {
  const port = fixedPort ?? (await freePort());
  const child: ChildProcess = spawn(
    bin,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (d) => (output = (output + d.toString()).slice(-4000)));
  child.stderr?.on('data', (d) => (output = (output + d.toString()).slice(-4000)));
  let exited = false;
  const exit = new Promise<void>((r) => child.once('exit', () => ((exited = true), r())));
  const stop = async () => {
    if (exited) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
    await exit;
    clearTimeout(timer);
  };
  const until = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < until && !exited) {
    if (await ping(port)) return { port, url: `redis://127.0.0.1:${port}`, stop };
    await new Promise((r) => setTimeout(r, 50));
  }
  await stop();
  if (/Address already in use/i.test(output)) return undefined; // lost the port to someone else: try another
  throw new Error(`redis-server did not start on port ${port}:\n${output}`);
}

/**
 * Starts a private redis-server on 127.0.0.1, on a free port unless `port` is given (to restart one).
 *
 * @example
 * ```ts
 * const redis = await startRedisServer();
 * const store = new RedisStore({ url: redis.url });
 * // …
 * await store.close();
 * await redis.stop();
 * ```
 */
export async function startRedisServer(options: { port?: number } = {}): Promise<RedisServer> {
  const bin = binary();
  for (let i = 0; i < START_ATTEMPTS; i++) {
    const server = await startOnce(bin, options.port);
    if (server) return server;
  }
  throw new Error('redis-server could not get a free port');
}

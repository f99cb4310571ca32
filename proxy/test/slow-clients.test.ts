/**
 * @module Slow clients and connection exhaustion, over real loopback sockets against the proxy served by serveProxy:
 * a request that trickles in is cut within its budget, hundreds of slow connections leave /healthz answering, and
 * past the connection cap new connections are dropped while the open ones carry on.
 */
import type { Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { closeProxyApp, createProxyApp } from '../src/app.js';
import { ConfigError, DEFAULT_MAX_CONNECTIONS, loadConfig, type ProxyConfig } from '../src/config.js';
import type { LogRecord } from '../src/log.js';
import { serveProxy, type ServeProxyOptions } from '../src/node-server.js';
import { sandboxProxyEnv, sharedApple } from './harness.js';

/** The production limits shortened, so that a cut is seen in seconds (the constants keep 30 s / 10 s / 1 s). */
const SHORT = { requestTimeoutMs: 2_000, headersTimeoutMs: 1_000, checkIntervalMs: 200 } as const;
/** Slack for a loaded two-core machine on top of the budget and one checking interval. */
const SLACK_MS = 1_500;
/** The attack of issue 18 held 400 to 520 slow connections. */
const SLOW_CONNECTIONS = 500;
/** How long /healthz may take while they are open. */
const HEALTHZ_QUICK_MS = 1_000;
const TRICKLE_EVERY_MS = 100;
/** Each test takes a few seconds; with Node's default limits the first two would wait 300 s, so fail them early. */
const TEST_TIMEOUT_MS = 10_000;

let config: ProxyConfig;
const sockets: Socket[] = [];
const timers: Array<ReturnType<typeof setInterval>> = [];
const stops: Array<() => Promise<void>> = [];

beforeAll(async () => {
  const { apple, files } = await sharedApple();
  // No bank or Apple is called by anything here: a slow request never gets that far, /healthz needs neither.
  config = loadConfig(sandboxProxyEnv(files, { publicUrl: 'http://127.0.0.1:9', merchantId: apple.merchantId }));
});
afterEach(async () => {
  for (const t of timers.splice(0)) clearInterval(t);
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(stops.splice(0).map((stop) => stop()));
});

/** The proxy app served over loopback by serveProxy, closed after the test. */
async function start(options: Partial<ServeProxyOptions> = {}) {
  const logs: LogRecord[] = [];
  const app = createProxyApp(config, { logger: (r) => logs.push(r) });
  let server!: Server;
  const port = await new Promise<number>((resolve) => {
    server = serveProxy(app, { port: 0, hostname: '127.0.0.1', ...options }, (info) => resolve(info.port));
  });
  stops.push(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    await closeProxyApp(app);
  });
  const connections = () => new Promise<number>((r, j) => server.getConnections((err, n) => (err ? j(err) : r(n))));
  return { port, server, logs, connections };
}

/** A raw client socket, destroyed after the test whatever happens. */
function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1' });
    sockets.push(s);
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

/** What a socket received until it closed, and when it closed. */
function untilClosed(s: Socket): Promise<{ data: string; at: number }> {
  let data = '';
  s.on('data', (d: Buffer) => (data += d.toString('latin1')));
  s.on('error', () => {}); // a reset is a close too
  return new Promise((r) => s.once('close', () => r({ data, at: performance.now() })));
}

/** Sends one byte every TRICKLE_EVERY_MS until the socket closes. */
function trickle(s: Socket) {
  const t = setInterval(() => {
    if (s.destroyed || !s.writable) return clearInterval(t);
    s.write('x');
  }, TRICKLE_EVERY_MS);
  timers.push(t);
}

/** Sends `GET path` on an open (keep-alive) socket and resolves with the status code of the whole answer. */
function get(s: Socket, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const onData = (d: Buffer) => {
      buf += d.toString('latin1');
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buf.slice(0, end);
      const body = buf.slice(end + 4);
      const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
      const done = length ? body.length >= Number(length[1]) : body.endsWith('0\r\n\r\n');
      if (!done) return;
      s.off('data', onData);
      s.off('close', onClose);
      resolve(Number(head.split(' ')[1]));
    };
    const onClose = () => reject(new Error(`closed before an answer: ${JSON.stringify(buf)}`));
    s.on('data', onData);
    s.once('close', onClose);
    s.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n`);
  });
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 5_000) {
  const until = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const PAYMENT_HEAD =
  'POST /applepay/payments HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n';

describe('a request that trickles in', () => {
  it(
    'is cut with 408 when its body is not all there within the request budget, though a byte came every 100 ms',
    async () => {
      const { port, logs } = await start(SHORT);
      const s = await open(port);
      const closed = untilClosed(s);
      const t0 = performance.now();
      s.write(PAYMENT_HEAD);
      s.write('{"order":"');
      trickle(s);
      const { data, at } = await closed;
      expect(data).toMatch(/^HTTP\/1\.1 408 /);
      expect(at - t0).toBeGreaterThanOrEqual(SHORT.requestTimeoutMs - 100);
      expect(at - t0).toBeLessThan(SHORT.requestTimeoutMs + SHORT.checkIntervalMs + SLACK_MS);
      // The payment route saw its body end unfinished and refused it: nothing was sent on to the bank.
      await waitFor(async () => logs.length > 0, 'the request to be logged');
      expect(logs).toEqual([
        expect.objectContaining({ path: '/applepay/payments', status: 400, code: 'invalid_request' }),
      ]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'is cut when its headers are not all there within the headers budget, and so is a connection that sends nothing',
    async () => {
      const { port } = await start(SHORT);
      const [headers, silent] = await Promise.all([open(port), open(port)]);
      const closed = [untilClosed(headers), untilClosed(silent)];
      const t0 = performance.now();
      headers.write('POST /applepay/payments HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: ');
      trickle(headers);
      for (const { data, at } of await Promise.all(closed)) {
        expect(data).toMatch(/^HTTP\/1\.1 408 /);
        expect(at - t0).toBeGreaterThanOrEqual(SHORT.headersTimeoutMs - 100);
        expect(at - t0).toBeLessThan(SHORT.headersTimeoutMs + SHORT.checkIntervalMs + SLACK_MS);
      }
    },
    TEST_TIMEOUT_MS,
  );
});

describe('many slow connections', () => {
  it(
    `${SLOW_CONNECTIONS} of them held open (half mid-headers, half mid-body) and /healthz still answers 200 at once`,
    async () => {
      // Production limits and cap: the slow ones stay for the whole test, as they would for an attacker.
      const { port, connections } = await start();
      const slow = await Promise.all(Array.from({ length: SLOW_CONNECTIONS }, () => open(port)));
      for (const [i, s] of slow.entries())
        s.write(i % 2 ? `${PAYMENT_HEAD}{"order":"` : 'POST /applepay/payments HTTP/1.1\r\nHost: 127.0.0.1\r\n');
      await waitFor(async () => (await connections()) >= SLOW_CONNECTIONS, 'the server to hold every slow connection');

      for (let i = 0; i < 3; i++) {
        const t0 = performance.now();
        const res = await fetch(`http://127.0.0.1:${port}/healthz`);
        expect(res.status).toBe(200);
        expect(await res.json()).toEqual({ status: 'ok' });
        expect(performance.now() - t0).toBeLessThan(HEALTHZ_QUICK_MS);
      }
      // Still held: /healthz answered beside them, not because they had gone.
      expect(slow.every((s) => !s.destroyed)).toBe(true);
    },
    TEST_TIMEOUT_MS,
  );
});

describe('the connection cap', () => {
  const CAP = 4;

  it('is the setting MAX_CONNECTIONS: 1024 unless set, a whole number from 1, anything else named at start', async () => {
    const { apple, files } = await sharedApple();
    const env = sandboxProxyEnv(files, { publicUrl: 'http://127.0.0.1:9', merchantId: apple.merchantId });
    expect(loadConfig(env).maxConnections).toBe(DEFAULT_MAX_CONNECTIONS);
    expect(DEFAULT_MAX_CONNECTIONS).toBe(1024);
    expect(loadConfig({ ...env, MAX_CONNECTIONS: ' 200 ' }).maxConnections).toBe(200);
    for (const bad of ['0', '-5', '1.5', 'many', '1000001']) {
      let problems: string[] = [];
      try {
        loadConfig({ ...env, MAX_CONNECTIONS: bad });
      } catch (err) {
        problems = err instanceof ConfigError ? err.problems : [];
      }
      expect(problems, bad).toEqual(['MAX_CONNECTIONS must be a whole number from 1 to 1000000']);
    }
  });

  it(
    'drops new connections past it while the open ones keep working, and takes new ones again once one closes',
    async () => {
      const { port, connections } = await start({ maxConnections: CAP });
      const keepAlive = await open(port);
      expect(await get(keepAlive, '/healthz')).toBe(200);
      const slow = await Promise.all(Array.from({ length: CAP - 1 }, () => open(port)));
      for (const s of slow) s.write('POST /applepay/payments HTTP/1.1\r\nHost: 127.0.0.1\r\n');
      await waitFor(async () => (await connections()) === CAP, 'the cap to be reached');

      // One past the cap: closed by the server without a byte of answer.
      const extra = await open(port);
      const dropped = untilClosed(extra);
      extra.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      expect((await dropped).data).toBe('');
      await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();

      // The connection already open is still served.
      expect(await get(keepAlive, '/healthz')).toBe(200);

      // One slow client leaves: there is room again.
      slow[0]!.destroy();
      await waitFor(async () => (await connections()) < CAP, 'the server to see the close');
      const next = await open(port);
      expect(await get(next, '/healthz')).toBe(200);
    },
    TEST_TIMEOUT_MS,
  );
});

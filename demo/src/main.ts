/**
 * @module `pnpm demo`: starts the sandbox bank, the sandbox Apple, the proxy and the shop, prints the one URL to open,
 * and stops everything it started on Ctrl-C (SIGINT) or SIGTERM.
 *
 * Settings (all optional): DEMO_PORT (default 5180; 0 = any free port), DEMO_SANDBOX_DIR (default `.sandbox/demo`),
 * EPAY_TOKEN_MODE (`decrypt`, the default, or `passthrough`), DEMO_SINGLE_STAGE (`1`: the sandbox bank's terminal is
 * one-stage, a paid payment is CHARGE at once; default two-stage, AUTH until the shop captures or voids it).
 */
import { join } from 'node:path';
import type { WebhookEvent } from '@epay-applepay/proxy/webhooks';
import { startDemo, type Demo } from './start-demo.js';
import { REPO_ROOT } from './web-build.js';

/** The demo's usual port; taken, it falls back to a free one unless DEMO_PORT asked for it. */
const DEFAULT_PORT = 5180;
/** Time the demo gives itself to stop before it exits anyway. */
const STOP_TIMEOUT_MS = 10_000;

const dim = (s: string) => (process.stdout.isTTY ? `\x1b[2m${s}\x1b[0m` : s);
const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);

/** One proxy log line, shortened for the terminal: `POST /applepay/payments 200 paid 412ms invoice 123…`. */
function proxyLine(line: string): string {
  try {
    const r = JSON.parse(line) as Record<string, unknown>;
    // The demo's own start-up probe and the listening line say nothing about payments.
    if (r['msg'] === 'listening' || r['path'] === '/healthz') return '';
    // The event service's own lines (`webhook done evt_…`, `status check retry pay_…`) carry no request.
    if (r['method'] === undefined && typeof r['msg'] === 'string') {
      const parts = [
        r['msg'],
        r['result'],
        r['job'],
        r['reason'],
        r['invoiceId'] ? `invoice ${String(r['invoiceId'])}` : '',
      ];
      return dim(`proxy │ ${parts.filter((p) => p !== undefined && p !== '').join(' ')}`);
    }
    const parts = [
      r['method'],
      r['path'],
      r['status'],
      r['outcome'],
      r['code'],
      r['ms'] === undefined ? undefined : `${String(r['ms'])}ms`,
    ];
    if (r['invoiceId']) parts.push(`invoice ${String(r['invoiceId'])}`);
    return dim(`proxy │ ${parts.filter((p) => p !== undefined && p !== '').join(' ')}`);
  } catch {
    return dim(`proxy │ ${line}`);
  }
}

function parsePort(): { port: number; explicit: boolean } {
  const raw = process.env['DEMO_PORT'];
  if (raw === undefined || raw === '') return { port: DEFAULT_PORT, explicit: false };
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    process.stderr.write(`DEMO_PORT must be a port number (0 for any free port), not '${raw}'\n`);
    process.exit(2);
  }
  return { port, explicit: true };
}

function parseSingleStage(): boolean {
  const raw = (process.env['DEMO_SINGLE_STAGE'] ?? '').toLowerCase();
  if (raw === '' || raw === '0' || raw === 'false') return false;
  if (raw === '1' || raw === 'true') return true;
  process.stderr.write(`DEMO_SINGLE_STAGE must be 1 or 0, not '${raw}'\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  const { port, explicit } = parsePort();
  const singleStage = parseSingleStage();
  const mode = process.env['EPAY_TOKEN_MODE'];
  if (mode !== undefined && mode !== '' && mode !== 'decrypt' && mode !== 'passthrough') {
    process.stderr.write(`EPAY_TOKEN_MODE must be decrypt or passthrough, not '${mode}'\n`);
    process.exit(2);
  }
  const options = {
    sandboxDir: process.env['DEMO_SANDBOX_DIR'] || join(REPO_ROOT, '.sandbox', 'demo'),
    tokenMode: mode === 'passthrough' ? ('passthrough' as const) : ('decrypt' as const),
    singleStage,
    onProxyLine: (line: string, stream: 'stdout' | 'stderr') => {
      const text = stream === 'stdout' ? proxyLine(line) : `proxy │ ${line}`;
      if (text) (stream === 'stdout' ? process.stdout : process.stderr).write(`${text}\n`);
    },
    onProgress: (m: string) => process.stderr.write(`demo: ${m}\n`),
    onShopEvent: (e: WebhookEvent) =>
      process.stdout.write(
        `${dim(`shop  │ event ${e.type} invoice ${e.data.payment.invoiceId} (${e.data.source}), verified`)}\n`,
      ),
  };

  let demo: Demo;
  try {
    demo = await startDemo({ ...options, port });
  } catch (err) {
    if (!explicit && (err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      demo = await startDemo({ ...options, port: 0 });
    } else {
      throw err;
    }
  }

  let stopping = false;
  const stop = (code: number) => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => process.exit(code), STOP_TIMEOUT_MS).unref();
    void demo.close().finally(() => process.exit(code));
  };
  process.on('SIGINT', () => stop(0));
  process.on('SIGTERM', () => stop(0));
  void demo.proxyExited.then((code) => {
    if (stopping) return;
    process.stderr.write(`demo: the proxy stopped unexpectedly (exit ${String(code)}); stopping everything\n`);
    stop(1);
  });

  process.stdout.write(
    `${[
      '',
      `${bold('epay-applepay demo')}: the sandbox bank, the sandbox Apple, the proxy (${options.tokenMode} mode) and a demo shop are running.`,
      `The sandbox bank's terminal is ${singleStage ? 'one-stage (a paid payment is charged at once)' : 'two-stage (a paid payment is held until the shop captures or voids it; DEMO_SINGLE_STAGE=1 for one-stage)'}.`,
      '',
      `  Open ${bold(demo.url)}`,
      '',
      dim(
        'Ctrl-C stops everything. In a browser without Apple Pay the page simulates the Apple Pay sheet; the rest is real.',
      ),
      '',
    ].join('\n')}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`demo: could not start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

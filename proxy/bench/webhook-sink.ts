/**
 * @module A trivial merchant backend for the benchmarks that compare the payment with and without `WEBHOOK_URL`: a
 * plain Node HTTP server that reads each delivery and answers 200, in a child process of its own so its CPU is not
 * counted as the proxy's. It verifies nothing: the cost of a receiver is the merchant's, not the proxy's.
 */
import { spawn } from 'node:child_process';

/** How long the child may take to listen. */
const START_TIMEOUT_MS = 10_000;

const SINK = `
const server = require('node:http').createServer((req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(200, { 'content-length': '0' }).end());
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));
process.on('SIGTERM', () => process.exit(0));
`;

export interface WebhookSink {
  /** A `WEBHOOK_URL` on loopback (plain http is allowed there). */
  url: string;
  close(): Promise<void>;
}

/**
 * @example
 * ```ts
 * const sink = await startWebhookSink();
 * // WEBHOOK_URL: sink.url
 * await sink.close();
 * ```
 */
export async function startWebhookSink(): Promise<WebhookSink> {
  // Plain node, none of this process's flags (no tsx, no --expose-gc): the child runs the script above only.
  const child = spawn(process.execPath, ['-e', SINK], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exit = new Promise<void>((r) => child.once('exit', () => r()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the webhook sink did not start')), START_TIMEOUT_MS);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^(\d+)\n/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the webhook sink exited (${code})`));
    });
  });
  return {
    url: `http://127.0.0.1:${port}/hooks/epay`,
    async close() {
      child.kill('SIGTERM');
      await exit;
    },
  };
}

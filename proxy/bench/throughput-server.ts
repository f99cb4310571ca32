/**
 * @module The proxy as its own process for the throughput benchmark: settings from the environment like
 * `epay-applepay-proxy start`, the default JSON-line logger, and its own CPU time reported over IPC, so that the load generator and
 * the sandbox bank (in the parent) are not counted as the proxy's work.
 */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { closeProxyApp, createProxyApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';

/** Messages from the parent. */
export type ThroughputServerRequest = { type: 'cpu' } | { type: 'stop' };
/** Messages to the parent. */
export type ThroughputServerMessage =
  | { type: 'listening'; port: number }
  | { type: 'cpu'; userUs: number; systemUs: number };

const send = (m: ThroughputServerMessage) => process.send?.(m);
const app = createProxyApp(loadConfig(process.env));
const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) =>
  send({ type: 'listening', port: info.port }),
);

process.on('message', (m: ThroughputServerRequest) => {
  if (m.type === 'cpu') {
    const c = process.cpuUsage();
    send({ type: 'cpu', userUs: c.user, systemUs: c.system });
  } else {
    server.close(() => void closeProxyApp(app).finally(() => process.exit(0)));
  }
});
// The parent owns this process: when it goes, so does the proxy.
process.on('disconnect', () => process.exit(0));

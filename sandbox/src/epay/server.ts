/** @module startFakeEpay: the sandbox bank listening on a real port. */
import { serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createFakeEpayApp } from './app.js';
import { loadSandboxKeyPair } from './rsa-keys.js';
import type { FakeEpay, FakeEpayOptions } from './types.js';

/** Loopback by default: the sandbox holds no secrets worth protecting, but it should not face a network. */
const DEFAULT_HOST = '127.0.0.1';

/**
 * Starts the sandbox bank on `host:port` (default 127.0.0.1, a free port).
 *
 * @example
 * ```ts
 * const epay = await startFakeEpay({ latencyMs: 150 });
 * // EPAY_OAUTH_URL = epay.oauthUrl, EPAY_API_URL = epay.apiUrl
 * await epay.close();
 * ```
 */
export async function startFakeEpay(options: FakeEpayOptions = {}): Promise<FakeEpay> {
  const { app, state } = await createFakeEpayApp(options);
  const host = options.host ?? DEFAULT_HOST;
  const server = await new Promise<Server>((resolve, reject) => {
    const listening = serve({ fetch: app.fetch, hostname: host, port: options.port ?? 0 }, () =>
      resolve(listening as Server),
    );
    listening.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  // Bound to every interface, the bank is still reached (and links its 3-D Secure page) through loopback.
  const reachable = host === '0.0.0.0' || host === '::' ? DEFAULT_HOST : host;
  const url = `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
  state.baseUrl = url;

  let closing: Promise<void> | undefined;
  return {
    url,
    oauthUrl: `${url}/oauth2/token`,
    apiUrl: url,
    ledger: state.ledger,
    calls: state.calls,
    notifications: state.notifications,
    setLatency(ms) {
      if (!Number.isFinite(ms) || ms < 0) throw new RangeError('latency must be a non-negative number');
      state.latencyMs = ms;
    },
    failNextOperation: (kind) => state.failNextOperation(kind),
    async rotateKey(privateKeyPem) {
      state.keys = await loadSandboxKeyPair(privateKeyPem);
    },
    setNotificationFaults: (faults) => state.setNotificationFaults(faults),
    flushNotifications: () => state.flushNotifications(),
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        state.shutdown();
        server.close((error) => (error ? reject(error) : resolve()));
        // Slow answers and keep-alive sockets would otherwise hold close() open.
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

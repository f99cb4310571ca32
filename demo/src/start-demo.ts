/**
 * @module Starts the whole demo: the sandbox bank and Apple, the proxy as its own process configured by its ordinary
 * settings, and the shop's web server in front of it; one `close()` stops everything.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WebhookEvent } from '@epay-applepay/proxy/webhooks';
import { createDemoApi } from './demo-api.js';
import { startProxyProcess, type ProxyProcess } from './proxy-process.js';
import { createReverseProxy } from './reverse-proxy.js';
import { startSandboxStack, type SandboxStack } from './sandbox-stack.js';
import { createShop } from './shop.js';
import { createShopEvents, newWebhookSecret, SHOP_WEBHOOK_PATH } from './shop-events.js';
import { createShopOperations, newOperationsKey } from './shop-operations.js';
import { buildWeb, REPO_ROOT, WIDGET_CLASSIC_SCRIPT, WIDGET_DIR, WIDGET_ES_MODULE } from './web-build.js';
import { PROXY_PREFIX, startWebServer, type WebServer } from './web-server.js';

/** The page's host: Apple Pay's domain (APPLE_PAY_DOMAINS) and the merchant session's `initiativeContext`. */
export const DEMO_HOST = '127.0.0.1';

/** Options of {@link startDemo}. */
export interface DemoOptions {
  /** The page's port on 127.0.0.1; 0 = a free one. */
  port: number;
  /** Git-ignored folder for the sandbox's keys and certificates. */
  sandboxDir: string;
  /** EPAY_TOKEN_MODE for the proxy; default `decrypt`. */
  tokenMode?: 'decrypt' | 'passthrough';
  /**
   * A one-stage terminal: the sandbox bank charges a paid payment at once (CHARGE), instead of holding it (AUTH) until
   * the shop captures or voids it. Default false (two stages). Fixed for the run: the sandbox bank takes it at start.
   */
  singleStage?: boolean;
  /** Each line the proxy process writes. */
  onProxyLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** Progress while starting (building the widget, …). */
  onProgress?: (message: string) => void;
  /** Each new event the shop's backend received from the proxy and verified. */
  onShopEvent?: (event: WebhookEvent) => void;
}

/** The running demo. */
export interface Demo {
  /** The one URL to open. */
  url: string;
  sandbox: SandboxStack;
  proxy: ProxyProcess;
  /** Resolves with the proxy's exit code if the proxy process ends before `close()`. */
  proxyExited: Promise<number | null>;
  close(): Promise<void>;
}

/** Builds the widget when its dist is missing or older than its sources (a fresh clone has no dist). */
function ensureWidgetBuilt(onProgress?: (m: string) => void): void {
  const script = join(WIDGET_DIR, 'scripts', 'build-if-needed.mjs');
  const run = existsSync(script)
    ? spawnSync(process.execPath, [script], { cwd: WIDGET_DIR, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' })
    : existsSync(WIDGET_ES_MODULE) && existsSync(WIDGET_CLASSIC_SCRIPT)
      ? undefined
      : spawnSync('pnpm', ['--filter', '@epay-applepay/widget', 'build'], {
          cwd: REPO_ROOT,
          stdio: ['ignore', 'pipe', 'pipe'],
          encoding: 'utf8',
        });
  if (run?.stdout?.includes('building')) onProgress?.('built the widget (its dist/ was missing or stale)');
  if (run && run.status !== 0) throw new Error(`Building the widget failed:\n${run.stdout}\n${run.stderr}`);
  if (!existsSync(WIDGET_ES_MODULE) || !existsSync(WIDGET_CLASSIC_SCRIPT))
    throw new Error('The widget build did not produce dist/');
}

/**
 * Starts the demo. The proxy gets only environment settings: the sandbox bank's URLs and credentials, the sandbox
 * Apple's files and gateway (trusted through NODE_EXTRA_CA_CERTS), and the page's domain and origin.
 *
 * @example
 * const demo = await startDemo({ port: 0, sandboxDir: '.sandbox/demo' });
 * console.log(demo.url);
 * await demo.close();
 */
export async function startDemo(o: DemoOptions): Promise<Demo> {
  const cleanups: Array<() => Promise<unknown>> = [];
  const closeAll = async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => undefined);
  };
  try {
    ensureWidgetBuilt(o.onProgress);
    const webDir = await mkdtemp(join(tmpdir(), 'epay-applepay-demo-'));
    cleanups.push(() => rm(webDir, { recursive: true, force: true }));
    const [files, sandbox] = await Promise.all([
      buildWeb(webDir),
      startSandboxStack(o.sandboxDir, { singleStage: o.singleStage ?? false }),
    ]);
    cleanups.push(() => sandbox.close());

    // The order-signing secret lives as long as this run; the shop (in this process) and the proxy share it.
    const orderSecret = randomBytes(32).toString('hex');
    let shopOrigin = '';
    const shop = createShop({
      orderSecret,
      get httpsOrigin() {
        return shopOrigin;
      },
      ledger: sandbox.bank.ledger,
    });
    // The shop's operations key lives as long as this run: in this process and the proxy's environment, printed nowhere.
    const operationsKey = newOperationsKey();
    const sandboxUrls = { bankUrl: sandbox.bank.url, appleGatewayUrl: sandbox.gateway.url, proxyUrl: '' };
    const demoApi = createDemoApi({
      apple: sandbox.apple,
      ledger: sandbox.bank.ledger,
      validationURL: sandbox.gateway.validationUrl,
      sandbox: sandboxUrls,
      terminal: { singleStage: o.singleStage ?? false },
    });
    const shopOperations = createShopOperations({
      get proxyUrl() {
        return sandboxUrls.proxyUrl;
      },
      operationsKey,
    });
    // The events' signing secret, likewise: in this process and the proxy's environment, printed nowhere.
    const webhookSecret = newWebhookSecret();
    const shopEvents = createShopEvents({
      signingSecrets: [webhookSecret],
      ...(o.onShopEvent ? { onEvent: o.onShopEvent } : {}),
    });
    const web: WebServer = await startWebServer({
      port: o.port,
      files,
      apps: [shop.app, shopOperations, shopEvents, demoApi],
      createOrder: shop.createOrder,
    });
    cleanups.push(() => web.close());
    const pageOrigin = web.origin;
    // The order's links must be https (the proxy's rule); the reverse proxy maps this origin onto the page's.
    shopOrigin = `https://${DEMO_HOST}:${web.port}`;

    const proxy = await startProxyProcess({
      env: {
        ...sandbox.proxyEnv,
        PUBLIC_URL: `${pageOrigin}${PROXY_PREFIX}`,
        EPAY_TOKEN_MODE: o.tokenMode ?? 'decrypt',
        ORDER_SIGNING_SECRET: orderSecret,
        APPLE_PAY_DOMAINS: DEMO_HOST,
        ALLOWED_ORIGINS: pageOrigin,
        TRUST_PROXY: 'true',
        OPERATIONS_API_KEYS: operationsKey,
        // The proxy posts its signed events to the shop's backend (plain http is allowed on loopback). With it, the
        // proxy gives the bank its own postLink, so the shop's orders carry none (the proxy would refuse them).
        WEBHOOK_URL: `${pageOrigin}${SHOP_WEBHOOK_PATH}`,
        WEBHOOK_SIGNING_SECRET: webhookSecret,
      },
      ...(o.onProxyLine ? { onLine: o.onProxyLine } : {}),
    });
    cleanups.push(() => proxy.stop());
    sandboxUrls.proxyUrl = proxy.url;
    web.setProxy(
      createReverseProxy({
        prefix: PROXY_PREFIX,
        upstream: proxy.url,
        redirects: [{ from: `${shopOrigin}/`, to: `${pageOrigin}/` }],
      }),
    );

    return { url: `${pageOrigin}/`, sandbox, proxy, proxyExited: proxy.exited, close: closeAll };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

/**
 * @module The demo's web server: the shop's pages and backend, the demo's own endpoints, and `/pay/*` forwarded to the
 * proxy process, all on one loopback origin, as a shop runs the proxy behind its own domain.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join } from 'node:path';
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import { escapeHtml } from './shop-pages.js';
import type { BuiltFiles } from './web-build.js';
import { REPO_ROOT, WIDGET_CLASSIC_SCRIPT } from './web-build.js';

/** Where the proxy is mounted on the shop's origin. */
export const PROXY_PREFIX = '/pay';
/** The simulated Apple Pay, put in front of every page this server renders. */
export const SIMULATOR_SCRIPT = '/simulator/simulated-apple-pay.js';
/**
 * The switch "Chrome with Apple's SDK" (`/?mode=apple-sdk`): no simulation in front of the page; the element loads this
 * as its `sdk`, the simulated Apple Pay in its role of Apple's SDK script (demo/web/simulator/index.ts).
 */
export const SDK_MODE = 'apple-sdk';
export const STAND_IN_SDK_URL = `${SIMULATOR_SCRIPT}?as=apple-pay-sdk`;
/** The product page with "Buy now", linked from the shop's page. */
export const PRODUCT_PAGE = '/product';
/** Where the plain example loads the classic script from (a merchant copies the file to their site or a CDN). */
export const CLASSIC_SCRIPT_URL = '/js/epay-applepay-button.iife.js';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json; charset=utf-8',
};

/**
 * Puts the simulated Apple Pay script first in `<head>`, before any script of the page: it must define
 * `ApplePaySession` before the element looks for it. It installs nothing where a real `ApplePaySession` exists.
 *
 * @example
 * withSimulator('<html><head><title>x</title>'); // '<html><head><script src="/simulator/…"></script><title>x</title>'
 */
export function withSimulator(html: string): string {
  const tag = `<script src="${SIMULATOR_SCRIPT}"></script>`;
  return /<head[^>]*>/i.test(html) ? html.replace(/<head[^>]*>/i, (head) => `${head}\n${tag}`) : tag + html;
}

/**
 * Gives every `<epay-applepay-button>` of the page the stand-in of Apple's SDK as its `sdk`, as a merchant writes
 * `sdk="apple"`; nothing is put in front of the page's scripts.
 *
 * @example
 * withStandInSdk('<epay-applepay-button id="pay">'); // '<epay-applepay-button sdk="/simulator/…?as=apple-pay-sdk" id="pay">'
 */
export function withStandInSdk(html: string): string {
  return html.replace(/<epay-applepay-button(?=[\s>])/gi, (tag) => `${tag} sdk="${STAND_IN_SDK_URL}"`);
}

/** Options of {@link startWebServer}. */
export interface WebServerOptions {
  /** Listen port on 127.0.0.1; 0 = a free one. */
  port: number;
  files: BuiltFiles;
  /** The shop and the demo's endpoints (Hono apps), mounted at `/`. */
  apps: Hono[];
  /** Signs an order for the plain example's server-rendered page. */
  createOrder(basket: unknown): Promise<{ order: string } | { error: string }>;
}

/** The running server; `setProxy` connects `/pay/*` once the proxy process is up. */
export interface WebServer {
  origin: string;
  port: number;
  setProxy(handler: (req: IncomingMessage, res: ServerResponse) => void): void;
  close(): Promise<void>;
}

/**
 * Starts the web server on 127.0.0.1.
 *
 * @example
 * const web = await startWebServer({ port: 0, files, apps: [shop.app, demoApi], createOrder: shop.createOrder });
 * web.setProxy(createReverseProxy({ prefix: '/pay', upstream: proxy.url }));
 */
export async function startWebServer(o: WebServerOptions): Promise<WebServer> {
  const app = new Hono();
  for (const sub of o.apps) app.route('/', sub);

  const sendFile = async (file: string, transform?: (text: string) => string | Promise<string>) => {
    const type = CONTENT_TYPES[extname(file)] ?? 'application/octet-stream';
    const headers = { 'content-type': type, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' };
    if (transform) return new Response(await transform(await readFile(file, 'utf8')), { headers });
    return new Response(await readFile(file), { headers });
  };
  const page = (path: string, transform = withSimulator) => {
    const file = o.files.get(path);
    return file ? sendFile(file, transform) : new Response('Not found', { status: 404 });
  };

  app.get('/', (c) => page('/demo/web/index.html', c.req.query('mode') === SDK_MODE ? withStandInSdk : withSimulator));
  // The product page: "Buy now" with delivery and a coupon on the sheet (the express checkout, demo/src/express.ts).
  app.get(PRODUCT_PAGE, () => page('/demo/web/product.html'));
  app.get('/examples', (c) => c.redirect('/examples/'));
  app.get('/examples/', (c) =>
    c.html(`<!DOCTYPE html><meta charset="utf-8"><title>Examples</title><h1>Integration examples</h1>
<ul><li><a href="/examples/plain/">A plain HTML page with the classic script tag</a></li>
<li><a href="/examples/spa/">A small single-page app importing the ES module (Vite)</a></li></ul>`),
  );
  app.get('/examples/spa', (c) => c.redirect('/examples/spa/'));
  app.get('/examples/spa/', () => page('/examples/spa/index.html'));
  app.get('/examples/plain', (c) => c.redirect('/examples/plain/'));
  app.get('/examples/plain/', async (c) => {
    // The plain page is a server template, as in a shop without a bundler: the backend renders the signed order in.
    const created = await o.createOrder([{ sku: 'tea', qty: 1 }]);
    if ('error' in created) return c.text(created.error, 500);
    return sendFile(join(REPO_ROOT, 'examples', 'plain', 'index.html'), (html) =>
      withSimulator(html.replaceAll('{{ order }}', escapeHtml(created.order))),
    );
  });
  app.get(CLASSIC_SCRIPT_URL, () => sendFile(WIDGET_CLASSIC_SCRIPT));
  app.get(`${CLASSIC_SCRIPT_URL}.map`, () => sendFile(`${WIDGET_CLASSIC_SCRIPT}.map`));
  app.get('*', (c) => {
    // Only files the build produced: nothing else of the repository (or the sandbox's keys) is reachable.
    const file = o.files.get(c.req.path);
    return file && !file.endsWith('.html') ? sendFile(file) : c.text('Not found', 404);
  });

  const listener = getRequestListener(app.fetch);
  let forward: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const server: Server = createServer((req, res) => {
    const path = req.url ?? '/';
    if (path === PROXY_PREFIX || path.startsWith(`${PROXY_PREFIX}/`)) {
      if (forward) return forward(req, res);
      res.writeHead(503, { 'content-type': 'text/plain' }).end('The payment proxy is starting');
      return;
    }
    void listener(req, res);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    setProxy: (handler) => {
      forward = handler;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

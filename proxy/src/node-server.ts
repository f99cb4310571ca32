/**
 * @module serveProxy: the proxy on Node's HTTP server, with the limits Node leaves off by default: a request must
 * arrive whole within a budget, idle keep-alive connections close, and open connections are capped.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { DEFAULT_MAX_CONNECTIONS } from './config.js';

/**
 * Time for a request's headers and body to arrive, from its first byte. Node's default is 300 s, which lets a client
 * hold a connection for five minutes by sending a byte now and then; an Apple Pay body is about 5 KiB and arrives in
 * well under a second, and Apple closes the sheet after 30 s anyway.
 */
export const REQUEST_TIMEOUT_MS = 30_000;
/** Time for the headers alone (a connection that sends nothing is cut after this too). */
export const HEADERS_TIMEOUT_MS = 10_000;
/** An idle keep-alive connection is closed after this (Node's own default, set here so that it stays bounded). */
export const KEEP_ALIVE_TIMEOUT_MS = 5_000;
/**
 * How often Node looks for requests past their time. Its default is 30 s, which would let a slow request live up to
 * twice the budget; the check walks the open connections only, so once a second costs nothing to speak of.
 */
export const CONNECTIONS_CHECK_INTERVAL_MS = 1_000;

export interface ServeProxyOptions {
  port: number;
  /** Listen address; default Node's (every interface). */
  hostname?: string;
  /** Open connections at most; new ones past it are dropped at once. Default {@link DEFAULT_MAX_CONNECTIONS}. */
  maxConnections?: number;
  /** Shorter limits (tests); production keeps the defaults above. */
  requestTimeoutMs?: number;
  headersTimeoutMs?: number;
  keepAliveTimeoutMs?: number;
  checkIntervalMs?: number;
}

/**
 * Serves a fetch handler (the proxy's Hono app) over HTTP with the limits of this module. A request still arriving
 * when its time is up gets `408` and its connection is closed; a connection past `maxConnections` is closed without
 * an answer, while the ones already open carry on.
 *
 * @example
 * ```ts
 * const config = loadConfig(process.env);
 * const server = serveProxy(createProxyApp(config), { port: config.port, maxConnections: config.maxConnections }, (info) =>
 *   console.log(`listening on ${info.port}`),
 * );
 * ```
 */
export function serveProxy(
  app: { fetch: (request: Request) => Response | Promise<Response> },
  options: ServeProxyOptions,
  onListen?: (info: AddressInfo) => void,
): Server {
  const server = serve(
    {
      fetch: app.fetch,
      port: options.port,
      ...(options.hostname === undefined ? {} : { hostname: options.hostname }),
      // Given at creation: Node starts its checking timer with the interval it has then.
      serverOptions: {
        requestTimeout: options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS,
        headersTimeout: options.headersTimeoutMs ?? HEADERS_TIMEOUT_MS,
        keepAliveTimeout: options.keepAliveTimeoutMs ?? KEEP_ALIVE_TIMEOUT_MS,
        connectionsCheckingInterval: options.checkIntervalMs ?? CONNECTIONS_CHECK_INTERVAL_MS,
      },
    },
    onListen,
  ) as Server; // serve() makes a plain HTTP server unless given another createServer
  // Set before the first connection can be accepted: listen() only binds on a later turn of the event loop.
  server.maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  return server;
}

/**
 * @module The shop's reverse proxy in front of the proxy process: `/pay/*` on the shop's origin goes to the proxy, as a
 * merchant's nginx would send it (same origin for the page, `X-Forwarded-For` for the rate limit).
 */
import { request, type IncomingMessage, type ServerResponse } from 'node:http';

/** Hop-by-hop headers (RFC 9110 §7.6.1) are the connection's own, never forwarded. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);
/** Longer than the proxy's own 25 s answer budget: the proxy, not this hop, decides when to give up. */
const UPSTREAM_TIMEOUT_MS = 35_000;

/** Options of {@link createReverseProxy}. */
export interface ReverseProxyOptions {
  /** Path prefix on the shop's origin, e.g. `/pay`. */
  prefix: string;
  /** The proxy's loopback base URL, e.g. `http://127.0.0.1:8787`. */
  upstream: string;
  /**
   * `Location` rewrites, like nginx's `proxy_redirect`: a redirect to `from…` becomes `to…`. The demo maps its
   * https shop origin (the order's `backLink` must be https) onto the page's plain-http loopback origin.
   */
  redirects?: Array<{ from: string; to: string }>;
}

/**
 * Rewrites a `Location` value by the first matching prefix; any other value is returned unchanged.
 *
 * @example
 * rewriteLocation('https://127.0.0.1:5180/shop/thanks?x=1', [{ from: 'https://127.0.0.1:5180/', to: 'http://127.0.0.1:5180/' }]);
 * // 'http://127.0.0.1:5180/shop/thanks?x=1'
 */
export function rewriteLocation(location: string, redirects: ReadonlyArray<{ from: string; to: string }>): string {
  const rule = redirects.find((r) => location.startsWith(r.from));
  return rule ? rule.to + location.slice(rule.from.length) : location;
}

/**
 * A Node request handler forwarding `prefix/*` to `upstream/*`, streaming both bodies.
 *
 * @example
 * const forward = createReverseProxy({ prefix: '/pay', upstream: proxy.url });
 * http.createServer((req, res) => (req.url?.startsWith('/pay/') ? forward(req, res) : app(req, res)));
 */
export function createReverseProxy(o: ReverseProxyOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const upstream = new URL(o.upstream);
  return (req, res) => {
    const path = (req.url ?? '/').slice(o.prefix.length) || '/';
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
    }
    // Set, not appended: the proxy (TRUST_PROXY=true) takes the first address, which a client must not choose.
    headers['x-forwarded-for'] = req.socket.remoteAddress ?? '';
    headers['x-forwarded-proto'] = 'http';
    headers['x-forwarded-host'] = req.headers.host ?? '';

    const out = request(
      {
        hostname: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path,
        headers,
        timeout: UPSTREAM_TIMEOUT_MS,
      },
      (answer) => {
        const outHeaders: Record<string, string | string[]> = {};
        for (const [name, value] of Object.entries(answer.headers)) {
          if (value !== undefined && !HOP_BY_HOP.has(name)) outHeaders[name] = value;
        }
        if (typeof answer.headers.location === 'string' && o.redirects) {
          outHeaders['location'] = rewriteLocation(answer.headers.location, o.redirects);
        }
        res.writeHead(answer.statusCode ?? 502, outHeaders);
        answer.pipe(res);
      },
    );
    out.on('timeout', () => out.destroy(new Error('upstream timeout')));
    out.on('error', () => {
      if (!res.headersSent) {
        // What nginx answers when its upstream is down: an HTML 502, which the element reports as proxy_error.
        res.writeHead(502, { 'content-type': 'text/html; charset=utf-8' });
        res.end('<h1>502 Bad Gateway</h1><p>The payment proxy is not running.</p>');
      } else {
        res.destroy();
      }
    });
    req.pipe(out);
  };
}

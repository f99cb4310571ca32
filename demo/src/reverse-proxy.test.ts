import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReverseProxy, rewriteLocation } from './reverse-proxy.js';

const RULES = [{ from: 'https://127.0.0.1:5180/', to: 'http://127.0.0.1:5180/' }];

describe('rewriteLocation', () => {
  it('maps the shop\u2019s https origin onto the page\u2019s origin, keeping path and query', () => {
    expect(rewriteLocation('https://127.0.0.1:5180/shop/thanks?invoiceId=1&reference=2', RULES)).toBe(
      'http://127.0.0.1:5180/shop/thanks?invoiceId=1&reference=2',
    );
  });
  it('leaves every other location alone', () => {
    expect(rewriteLocation('https://127.0.0.1:51800/x', RULES)).toBe('https://127.0.0.1:51800/x');
    expect(rewriteLocation('https://shop.kz/thanks', RULES)).toBe('https://shop.kz/thanks');
  });
});

describe('createReverseProxy', () => {
  let upstream: Server;
  let front: Server;
  let frontUrl = '';
  const seen: Array<{ url: string; xff: string | undefined; origin: string | undefined; body: string }> = [];

  const listen = (s: Server) =>
    new Promise<number>((r) => s.listen(0, '127.0.0.1', () => r((s.address() as AddressInfo).port)));
  beforeAll(async () => {
    upstream = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d));
      req.on('end', () => {
        seen.push({
          url: req.url ?? '',
          xff: req.headers['x-forwarded-for'] as string | undefined,
          origin: req.headers.origin,
          body,
        });
        if (req.url?.startsWith('/3ds/callback'))
          res.writeHead(303, { location: 'https://127.0.0.1:5180/shop/thanks?ok=1' }).end();
        else res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      });
    });
    const upstreamPort = await listen(upstream);
    const forward = createReverseProxy({
      prefix: '/pay',
      upstream: `http://127.0.0.1:${upstreamPort}`,
      redirects: RULES,
    });
    front = createServer(forward);
    frontUrl = `http://127.0.0.1:${await listen(front)}`;
  });
  afterAll(async () => {
    await new Promise((r) => front.close(r));
    await new Promise((r) => upstream.close(r));
  });

  it('forwards path, body and Origin, and sets X-Forwarded-For to the client (a forged one is replaced)', async () => {
    const res = await fetch(`${frontUrl}/pay/applepay/session?x=1`, {
      method: 'POST',
      body: '{"a":1}',
      headers: { origin: 'http://127.0.0.1:5180', 'x-forwarded-for': '10.9.9.9' },
    });
    expect(await res.json()).toEqual({ status: 'ok' });
    expect(seen.at(-1)).toEqual({
      url: '/applepay/session?x=1',
      xff: '127.0.0.1',
      origin: 'http://127.0.0.1:5180',
      body: '{"a":1}',
    });
  });

  it('rewrites the redirect after 3-D Secure onto the page\u2019s origin', async () => {
    const res = await fetch(`${frontUrl}/pay/3ds/callback?ctx=abc`, { method: 'POST', redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('http://127.0.0.1:5180/shop/thanks?ok=1');
  });

  it('answers an HTML 502, as nginx does, when the proxy is down', async () => {
    const dead = createReverseProxy({ prefix: '/pay', upstream: 'http://127.0.0.1:1' });
    const server = createServer(dead);
    const port = await listen(server);
    const res = await fetch(`http://127.0.0.1:${port}/pay/healthz`);
    expect(res.status).toBe(502);
    expect(res.headers.get('content-type')).toContain('text/html');
    await new Promise((r) => server.close(r));
  });
});

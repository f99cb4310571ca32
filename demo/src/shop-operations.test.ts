import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createShopOperations, newOperationsKey } from './shop-operations.js';

const KEY = 'k'.repeat(40);

describe('createShopOperations', () => {
  let proxy: Server;
  let proxyUrl = '';
  const seen: Array<{ method: string; url: string; auth?: string; idem?: string; body: string }> = [];

  beforeAll(async () => {
    proxy = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d));
      req.on('end', () => {
        seen.push({
          method: req.method ?? '',
          url: req.url ?? '',
          auth: req.headers.authorization,
          idem: req.headers['idempotency-key'] as string | undefined,
          body,
        });
        res.writeHead(409, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status: 'error', error: { code: 'invalid_state', state: 'charged' } }));
      });
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
    proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => proxy.close(() => r())));

  const app = () =>
    createShopOperations({
      get proxyUrl() {
        return proxyUrl;
      },
      operationsKey: KEY,
    });

  it('forwards an operation with the key and a fresh idempotency key, and returns the proxy\u2019s answer', async () => {
    seen.length = 0;
    const shop = app();
    const post = (kind: string, body: string) =>
      shop.request(`/shop/operations/123456789012/${kind}`, { method: 'POST', body });
    const res = await post('refund', '{"amount":1000,"other":1}');
    expect(res.status).toBe(409);
    expect(await res.json()).toEqual({ status: 'error', error: { code: 'invalid_state', state: 'charged' } });
    await post('refund', '{"amount":1000}');
    await post('cancel', '{"amount":5}');
    await post('charge', '');
    expect(seen.map((s) => [s.method, s.url, s.body])).toEqual([
      ['POST', '/operations/payments/123456789012/refund', '{"amount":1000}'],
      ['POST', '/operations/payments/123456789012/refund', '{"amount":1000}'],
      ['POST', '/operations/payments/123456789012/cancel', '{}'],
      ['POST', '/operations/payments/123456789012/charge', '{}'],
    ]);
    for (const s of seen) {
      expect(s.auth).toBe(`Bearer ${KEY}`);
      expect(s.idem).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect(new Set(seen.map((s) => s.idem)).size).toBe(seen.length);
  });

  it('refuses an unknown operation, a malformed invoice or body before asking the proxy', async () => {
    seen.length = 0;
    const shop = app();
    for (const [path, body] of [
      ['/shop/operations/123456789012/delete', '{}'],
      ['/shop/operations/12345/charge', '{}'],
      ['/shop/operations/1234567890123456/charge', '{}'],
      ['/shop/operations/12345a/charge', '{}'],
      ['/shop/operations/123456/refund', 'not json'],
      ['/shop/operations/123456/refund', '[1]'],
    ] as const) {
      const res = await shop.request(path, { method: 'POST', body });
      expect(res.status, path).toBe(400);
      expect(await res.json()).toMatchObject({ error: { code: 'invalid_request' } });
    }
    expect(seen).toEqual([]);
  });

  it('answers 502 proxy_unavailable when the proxy cannot be reached', async () => {
    const shop = createShopOperations({ proxyUrl: 'http://127.0.0.1:1', operationsKey: KEY });
    const res = await shop.request('/shop/operations/123456/charge', { method: 'POST', body: '{}' });
    expect(res.status).toBe(502);
    const text = await res.text();
    expect(JSON.parse(text)).toMatchObject({ error: { code: 'proxy_unavailable' } });
    expect(text).not.toContain(KEY);
  });

  it('makes a new 64-character key each time', () => {
    const a = newOperationsKey();
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(newOperationsKey()).not.toBe(a);
  });
});

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFakeApple, type FakeApple, type FakeAppleGateway } from '@epay-applepay/sandbox';
import { ProxyError } from '../errors.js';
import { createMerchantSessionClient, type MerchantSessionClient } from './merchant-session.js';
import { checkValidationUrl } from './validation-url.js';

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProxyError);
  return (err as ProxyError).code;
}

describe('merchant sessions from the fake Apple gateway (mutual TLS)', () => {
  let apple: FakeApple;
  let gateway: FakeAppleGateway;
  const clients: MerchantSessionClient[] = [];
  const client = (o: Partial<Parameters<typeof createMerchantSessionClient>[0]> = {}) => {
    const c = createMerchantSessionClient({
      identityCertPem: apple.identity.certPem,
      identityKeyPem: apple.identity.keyPem,
      merchantIdentifier: apple.merchantId,
      displayName: 'Halyk Shop',
      ca: apple.tlsCaPem,
      ...o,
    });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    apple = await createFakeApple();
    gateway = await apple.startGateway();
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await gateway?.close();
  });

  it('returns the session Apple answers, unchanged', async () => {
    const url = checkValidationUrl(gateway.validationUrl, [gateway.host]);
    const session = (await client().requestSession(url, 'shop.example.kz')) as Record<string, unknown>;
    expect(session).toMatchObject({ domainName: 'shop.example.kz', displayName: 'Halyk Shop', retries: 0 });
    expect(Object.keys(session).sort()).toEqual(
      [
        'displayName',
        'domainName',
        'epochTimestamp',
        'expiresAt',
        'merchantIdentifier',
        'merchantSessionIdentifier',
        'nonce',
        'operationalAnalyticsIdentifier',
        'pspId',
        'retries',
        'signature',
      ].sort(),
    );
    expect(gateway.sessions.at(-1)).toMatchObject({
      merchantIdentifier: apple.merchantId,
      initiativeContext: 'shop.example.kz',
    });
  });

  it("is refused without the Merchant Identity certificate, and with another merchant's", async () => {
    const before = gateway.sessions.length;
    const handshake = await new Promise<string>((resolve) => {
      const req = httpsRequest(gateway.validationUrl, { method: 'POST', ca: apple.tlsCaPem }, (res) =>
        resolve(`HTTP ${res.statusCode}`),
      );
      req.on('error', () => resolve('refused'));
      req.end('{}');
    });
    expect(handshake).toBe('refused');
    const stranger = await createFakeApple({ merchantId: 'merchant.kz.someone-else' });
    const foreign = client({ identityCertPem: stranger.identity.certPem, identityKeyPem: stranger.identity.keyPem });
    expect(await codeOf(foreign.requestSession(new URL(gateway.validationUrl), 'shop.example.kz'))).toBe(
      'apple_unavailable',
    );
    // The right certificate, but a merchant identifier that is not the certificate's: Apple answers 400.
    expect(
      await codeOf(
        client({ merchantIdentifier: 'merchant.kz.other' }).requestSession(
          new URL(gateway.validationUrl),
          'shop.example.kz',
        ),
      ),
    ).toBe('apple_unavailable');
    expect(gateway.sessions.length).toBe(before);
  });

  it('does not trust the gateway without its CA', async () => {
    expect(await codeOf(client({ ca: [] }).requestSession(new URL(gateway.validationUrl), 'shop.example.kz'))).toBe(
      'apple_unavailable',
    );
  });
});

describe('merchant session answers that are not a session', () => {
  let server: Server;
  let base: string;
  const seen: Array<{ url: string; body: string; contentType: string | undefined }> = [];
  const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {
    '/ok': (_q, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"merchantSessionIdentifier":"S","nonce":"n"}'),
    '/redirect': (_q, res) => res.writeHead(302, { location: '/ok' }).end(),
    '/error': (_q, res) => res.writeHead(500, { 'content-type': 'application/json' }).end('{"statusCode":"500"}'),
    '/html': (_q, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>maintenance</html>'),
    '/array': (_q, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('[1]'),
    '/silent': () => undefined,
  };
  const client = createMerchantSessionClient({
    identityCertPem: '',
    identityKeyPem: '',
    merchantIdentifier: 'merchant.kz.test',
    displayName: 'Shop',
    timeoutMs: 300,
  });

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({
          url: req.url ?? '',
          body: Buffer.concat(chunks).toString(),
          contentType: req.headers['content-type'],
        });
        routes[req.url ?? '']?.(req, res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await client.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('posts the request Apple expects', async () => {
    await expect(client.requestSession(new URL(`${base}/ok`), 'shop.example.kz')).resolves.toEqual({
      merchantSessionIdentifier: 'S',
      nonce: 'n',
    });
    const last = seen.at(-1)!;
    expect(last.contentType).toBe('application/json');
    expect(JSON.parse(last.body)).toEqual({
      merchantIdentifier: 'merchant.kz.test',
      displayName: 'Shop',
      initiative: 'web',
      initiativeContext: 'shop.example.kz',
    });
  });

  it.each(['/redirect', '/error', '/html', '/array', '/silent'])('answers apple_unavailable for %s', async (path) => {
    seen.length = 0;
    expect(await codeOf(client.requestSession(new URL(base + path), 'shop.example.kz'))).toBe('apple_unavailable');
    // A redirect is not followed: nothing but the first request reached the server.
    expect(seen.map((s) => s.url)).toEqual([path]);
  });

  it('answers apple_unavailable when nothing listens, and when the caller gives up', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    expect(await codeOf(client.requestSession(new URL(`http://127.0.0.1:${port}/ok`), 'shop.example.kz'))).toBe(
      'apple_unavailable',
    );
    expect(
      await codeOf(client.requestSession(new URL(`${base}/silent`), 'shop.example.kz', AbortSignal.timeout(20))),
    ).toBe('apple_unavailable');
  });
});

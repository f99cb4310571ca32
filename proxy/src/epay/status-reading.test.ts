/**
 * How the client reads the status call and `cryptopay` answers, against a scripted bank on loopback: "not found" only
 * on code 102 (whatever the HTTP status), never on a message or a bare 404; the status call's terminal token; early
 * tokens that leave nothing behind.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createEpayClient, type EpayClient } from './client.js';

let server: Server;
let client: EpayClient;
/** What the scripted bank answers the next status call. */
let next: { status: number; body: string } = { status: 200, body: '{}' };
const tokenForms: URLSearchParams[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      if (req.url === '/oauth2/token') {
        tokenForms.push(new URLSearchParams(body));
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ access_token: 'T', expires_in: 7200 }));
        return;
      }
      res.writeHead(next.status, { 'content-type': 'application/json' }).end(next.body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  client = createEpayClient({
    clientId: 'id',
    clientSecret: 'secret',
    terminalId: 'term',
    oauthUrl: `${base}/oauth2/token`,
    apiUrl: base,
  });
});
afterAll(async () => {
  await client.close();
  await new Promise((r) => server.close(r));
});

const scope = { invoiceId: '000123456', amount: 1500, currency: 'KZT' };
async function statusFor(status: number, body: unknown) {
  next = { status, body: typeof body === 'string' ? body : JSON.stringify(body) };
  return client.status(scope, Date.now() + 3_000);
}

describe('the status call', () => {
  it.each([
    [200, { resultCode: '102', resultMessage: 'Invoice not found' }],
    [400, { resultCode: '102', resultMessage: 'Invoice not found' }],
    [404, { resultCode: 102 }],
  ])('HTTP %s with resultCode 102 is "not found"', async (status, body) => {
    expect(await statusFor(status, body)).toEqual({ kind: 'not_found' });
  });

  it.each([
    ['104 terminal not found', 200, { resultCode: '104', resultMessage: 'Terminal not found' }],
    ['106 with "not found"', 400, { resultCode: '106', resultMessage: 'Terminal not found in token' }],
    ['109 terminal not the client’s', 200, { resultCode: '109', resultMessage: 'Not found: terminal' }],
    ['a bare 404', 404, {}],
    ['a 404 with a "not found" message', 404, { message: 'Not Found' }],
    ['103 error', 200, { resultCode: '103', resultMessage: 'Error' }],
    ['HTML', 502, '<html>Bad gateway</html>'],
  ])('%s says nothing about the payment', async (_name, status, body) => {
    expect((await statusFor(status, body)).kind).toBe('no_answer');
  });

  it('reads a transaction', async () => {
    const tx = {
      id: 'p1',
      invoiceID: scope.invoiceId,
      amount: 1500,
      currency: 'KZT',
      statusName: 'cancel_old',
      reference: 'r',
      reasonCode: '00',
    };
    expect(await statusFor(200, { resultCode: '100', resultMessage: 'SUCCESS', transaction: tx })).toMatchObject({
      kind: 'found',
      statusName: 'CANCEL_OLD',
      id: 'p1',
    });
  });

  it('asks for a terminal token: no invoiceID, amount or currency', async () => {
    tokenForms.length = 0;
    await statusFor(200, { resultCode: '102' });
    expect(tokenForms).toHaveLength(1);
    expect([...tokenForms[0]!.keys()]).toEqual(['grant_type', 'scope', 'client_id', 'client_secret', 'terminal']);
    expect(tokenForms[0]!.get('terminal')).toBe('term');
  });

  it('cryptopay and confirm keep the token asked for the invoice and amount', async () => {
    tokenForms.length = 0;
    await client.getPaymentToken(scope, Date.now() + 3_000);
    expect(Object.fromEntries(tokenForms[0]!)).toMatchObject({
      invoiceID: scope.invoiceId,
      amount: '1500',
      currency: 'KZT',
      terminal: 'term',
    });
  });
});

describe('tokens asked for when a sheet opens', () => {
  it('leave no timer behind once used: 200 openings of one order, each paid for, hold no bank token', async () => {
    // Timers of a minute or more are the prefetched tokens' (undici's own are shorter).
    const live = new Set<unknown>();
    const realSet = globalThis.setTimeout;
    const realClear = globalThis.clearTimeout;
    const set = vi.spyOn(globalThis, 'setTimeout').mockImplementation(((fn: () => void, ms?: number) => {
      const handle = realSet(fn, ms);
      if ((ms ?? 0) >= 60_000) live.add(handle);
      return handle;
    }) as typeof setTimeout);
    const clear = vi.spyOn(globalThis, 'clearTimeout').mockImplementation(((handle?: NodeJS.Timeout) => {
      live.delete(handle);
      realClear(handle);
    }) as typeof clearTimeout);
    try {
      for (let i = 0; i < 200; i++) {
        client.prefetchPaymentToken(scope);
        expect((await client.getPaymentToken(scope, Date.now() + 3_000)).ok).toBe(true);
      }
      await new Promise((r) => realSet(r, 20));
      expect(live.size).toBe(0);
      expect(client.prefetchStats()).toEqual({ tokens: 0, timers: 0 });
      // An abandoned sheet keeps its token until it is too old, then nothing.
      client.prefetchPaymentToken({ ...scope, invoiceId: '000999999' });
      await new Promise((r) => realSet(r, 50));
      expect(client.prefetchStats()).toEqual({ tokens: 1, timers: 1 });
    } finally {
      set.mockRestore();
      clear.mockRestore();
    }
  });
});

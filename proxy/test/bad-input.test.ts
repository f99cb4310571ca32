/**
 * Hostile input from an outside attack (issue 18), over real HTTP against the sandbox bank: orders the bank would
 * refuse, and payment bodies not shaped like Apple's. Each is refused before anything is claimed or sent to the bank,
 * and what does reach the bank carries only the fields Apple documents.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sign } from 'hono/jwt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProxyError } from '../src/errors.js';
import { signOrder } from '../src/order.js';
import { MAX_JSON_DEPTH, nestsDeeperThan } from '../src/routes/body.js';
import { invoiceOf, nextInvoice, order, ORDER_SECRET, payment, post, startStack, type Stack } from './harness.js';

/** The attack's nesting: JSON.parse takes it, a recursive walk or JSON.stringify of it overflows the stack. */
const DEEP = 30_000;
const DEEP_JSON = '['.repeat(DEEP) + ']'.repeat(DEEP);
const MARKER = '__deep_json_goes_here__';

/** A cryptopay body the bank received, as the proxy sent it. */
interface Recorded {
  path: string;
  body: string;
}

/**
 * A loopback forwarder in front of the sandbox bank that keeps each request's body: the sandbox records calls without
 * bodies (never cryptograms), and this test must see exactly what the proxy sent.
 */
async function startRecorder(): Promise<{ url: string; seen: Recorded[]; target: { url: string }; server: Server }> {
  const seen: Recorded[] = [];
  const target = { url: '' };
  const read = (req: IncomingMessage) =>
    new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => resolve(Buffer.concat(chunks)));
      req.on('error', reject);
    });
  const server = createServer((req, res) => {
    void (async () => {
      const body = await read(req);
      const path = (req.url ?? '/').split('?')[0]!;
      seen.push({ path, body: body.toString('utf8') });
      const headers = Object.fromEntries(
        Object.entries(req.headers).filter(
          ([k, v]) => typeof v === 'string' && !['host', 'connection', 'content-length'].includes(k),
        ),
      ) as Record<string, string>;
      const answer = await fetch(`${target.url}${req.url ?? '/'}`, {
        method: req.method ?? 'GET',
        headers,
        ...(body.length > 0 ? { body } : {}),
        redirect: 'manual',
      });
      const out = Buffer.from(await answer.arrayBuffer());
      const keep: Record<string, string> = {};
      answer.headers.forEach((v, k) => {
        if (!['content-length', 'content-encoding', 'transfer-encoding', 'connection'].includes(k)) keep[k] = v;
      });
      res.writeHead(answer.status, keep).end(out);
    })().catch(() => res.writeHead(502).end());
  });
  const port = await new Promise<number>((r) =>
    server.listen(0, '127.0.0.1', () => r((server.address() as AddressInfo).port)),
  );
  return { url: `http://127.0.0.1:${port}`, seen, target, server };
}

let pt: Stack; // passthrough: the bank decrypts, and receives paymentData itself
let dc: Stack; // decrypt: the proxy decrypts
let recorder: Awaited<ReturnType<typeof startRecorder>>;

beforeAll(async () => {
  recorder = await startRecorder();
  pt = await startStack({ mode: 'passthrough', env: { EPAY_API_URL: recorder.url } });
  recorder.target.url = pt.bank.url;
  dc = await startStack({ mode: 'decrypt' });
});
afterAll(async () => {
  await pt?.close();
  await dc?.close();
  await new Promise<void>((r) => (recorder ? recorder.server.close(() => r()) : r()));
});

/** An order token signed with the merchant's secret but without signOrder's checks, as an attacker's backend bug would. */
function rawOrder(claims: Record<string, unknown>): Promise<string> {
  return sign(
    { invoiceId: nextInvoice(), amount: 1500, exp: Math.floor(Date.now() / 1000) + 600, ...claims },
    ORDER_SECRET,
    'HS256',
  );
}

/** The body with the deeply nested array put where `place` says, as text (JSON.stringify of it would overflow too). */
function deepBody(o: string, p: ReturnType<typeof payment>, place: (body: any) => void): string {
  const body = { order: o, payment: structuredClone(p) };
  place(body);
  const text = JSON.stringify(body).replace(`"${MARKER}"`, DEEP_JSON);
  expect(text).toContain(DEEP_JSON);
  return text;
}

/** Every bank call about one invoice. */
const callsOf = (s: Stack, invoiceId: string) => s.bank.calls.filter((c) => c.invoiceId === invoiceId);

describe('orders the bank would refuse are refused at the door', () => {
  it.each(['toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf'])(
    'currency %j → 400 invalid_order, no bank call',
    async (currency) => {
      const calls = pt.bank.calls.length;
      const r = await post(`${pt.url}/applepay/payments`, {
        order: await rawOrder({ currency }),
        payment: payment(pt.apple),
      });
      expect([r.status, r.json?.error?.code]).toEqual([400, 'invalid_order']);
      expect(pt.bank.calls.length).toBe(calls);
    },
  );

  it.each([0.1 + 0.2, 1500.000000001, 1e-9, 0, 100.001])(
    'amount %d → 400 invalid_order, no bank call',
    async (amount) => {
      const calls = pt.bank.calls.length;
      const r = await post(`${pt.url}/applepay/payments`, {
        order: await rawOrder({ amount }),
        payment: payment(pt.apple, { amount }),
      });
      expect([r.status, r.json?.error?.code]).toEqual([400, 'invalid_order']);
      expect(pt.bank.calls.length).toBe(calls);
    },
  );

  it.each([
    { currency: 'toString' },
    { currency: 'constructor' },
    { currency: '__proto__' },
    { amount: 0.1 + 0.2 },
    { amount: 1500.000000001 },
    { amount: 1e-9 },
    { amount: 0 },
  ])('signOrder refuses %j', async (claims) => {
    const signing = signOrder(
      { invoiceId: nextInvoice(), amount: 1500, exp: Math.floor(Date.now() / 1000) + 600, ...claims },
      ORDER_SECRET,
    );
    await expect(signing).rejects.toBeInstanceOf(ProxyError);
    await expect(signing).rejects.toMatchObject({ code: 'invalid_order' });
  });
});

describe('a payment body not shaped like Apple’s is refused before anything is claimed', () => {
  const places: Array<[string, (body: any) => void]> = [
    ['header.applicationData', (b) => (b.payment.token.paymentData.header.applicationData = MARKER)],
    ['an extra key of paymentData', (b) => (b.payment.token.paymentData.extra = MARKER)],
    ['an extra key of header', (b) => (b.payment.token.paymentData.header.extra = MARKER)],
    ['an extra key of payment', (b) => (b.payment.extra = MARKER)],
    ['billingContact', (b) => (b.payment.billingContact = MARKER)],
  ];
  for (const mode of ['passthrough', 'decrypt'] as const) {
    it.each(places)(
      `${mode}: 30 000 nested arrays in %s → 400 invalid_request; the same order and token then pay`,
      async (_name, place) => {
        const s = mode === 'passthrough' ? pt : dc;
        const o = await order();
        const p = payment(s.apple);
        const r = await post(`${s.url}/applepay/payments`, deepBody(o, p, place));
        expect([r.status, r.json?.error?.code]).toEqual([400, 'invalid_request']);
        expect(callsOf(s, invoiceOf(o))).toEqual([]);
        // The same order with the same token: neither the invoice's lock or mark nor the token's replay key was taken.
        const ok = await post(`${s.url}/applepay/payments`, { order: o, payment: p });
        expect([ok.status, ok.json?.status]).toEqual([200, 'paid']);
        // No status call: the order was not marked as possibly charged by the refused attempt.
        expect(callsOf(s, invoiceOf(o)).map((c) => c.path)).not.toContain(
          `/check-status/payment/transaction/${invoiceOf(o)}`,
        );
        expect(s.bank.ledger.paid(invoiceOf(o))).toHaveLength(1);
      },
    );
  }

  it.each<[string, (p: any) => void]>([
    ['a contact field that is a number', (p) => (p.billingContact.givenName = 42)],
    ['a contact field that is an object', (p) => (p.shippingContact.emailAddress = { a: 1 })],
    ['addressLines that is a string', (p) => (p.shippingContact.addressLines = 'Abay 1')],
    ['addressLines with a number', (p) => (p.shippingContact.addressLines = ['Abay 1', 2])],
    ['a contact field of 20 000 characters', (p) => (p.billingContact.familyName = 'x'.repeat(20_000))],
    ['paymentMethod that is a string', (p) => (p.token.paymentMethod = 'Visa')],
    [
      'paymentMethod.paymentPass that is an array',
      (p) => (p.token.paymentMethod = { network: 'Visa', paymentPass: [] }),
    ],
    [
      'paymentMethod.billingContact with a number',
      (p) => (p.token.paymentMethod = { billingContact: { locality: 7 } }),
    ],
    ['transactionIdentifier that is a number', (p) => (p.token.transactionIdentifier = 5)],
    ['a contact that is an array', (p) => (p.shippingContact = [])],
  ])('%s → 400 invalid_request, nothing claimed', async (_name, spoil) => {
    const o = await order();
    const p = payment(dc.apple);
    const bad = structuredClone(p);
    spoil(bad);
    const r = await post(`${dc.url}/applepay/payments`, { order: o, payment: bad });
    expect([r.status, r.json?.error?.code]).toEqual([400, 'invalid_request']);
    expect(callsOf(dc, invoiceOf(o))).toEqual([]);
    const ok = await post(`${dc.url}/applepay/payments`, { order: o, payment: p });
    expect([ok.status, ok.json?.status]).toEqual([200, 'paid']);
  });

  it('Apple’s own optional fields, null contacts and unknown contact fields still pay', async () => {
    const o = await order();
    const p: any = payment(dc.apple);
    p.token.paymentMethod = {
      displayName: 'Visa 0001',
      network: 'Visa',
      type: 'debit',
      paymentPass: { primaryAccountIdentifier: 'x', primaryAccountNumberSuffix: '0001', activationState: 'activated' },
      billingContact: { givenName: 'Arman', addressLines: ['Abay 1', 'flat 2'], countryCode: 'KZ' },
    };
    p.token.transactionIdentifier = p.token.paymentData.header.transactionId;
    p.shippingContact = null;
    p.billingContact.someFutureField = { nested: true };
    const r = await post(`${dc.url}/applepay/payments`, { order: o, payment: p });
    expect([r.status, r.json?.status]).toEqual([200, 'paid']);
  });
});

describe('only the fields Apple documents reach the bank', () => {
  it('passthrough: extra keys in paymentData and its header are dropped from the cryptogram the bank gets', async () => {
    const o = await order();
    const p: any = payment(pt.apple);
    const original = structuredClone(p.token.paymentData);
    p.token.paymentData.extra = 'from-the-attacker';
    p.token.paymentData.header.extraHeader = { also: 'from-the-attacker' };
    p.token.paymentData.header.wrappedKey = 'QUJD'; // the RSA_v1 key field, on an EC_v1 token
    const r = await post(`${pt.url}/applepay/payments`, { order: o, payment: p });
    expect([r.status, r.json?.status]).toEqual([200, 'paid']);
    const sent = recorder.seen.filter((x) => x.path === '/payment/cryptopay').map((x) => JSON.parse(x.body));
    const mine = sent.find((b) => b.invoiceId === invoiceOf(o));
    expect(mine).toBeDefined();
    const forwarded = JSON.parse(Buffer.from(mine.cryptogramApplePay, 'base64').toString('utf8'));
    expect(forwarded).toEqual(original);
    expect(Object.keys(forwarded)).toEqual(['version', 'data', 'signature', 'header']);
    expect(JSON.stringify(forwarded)).not.toContain('attacker');
    expect(forwarded.header).not.toHaveProperty('wrappedKey');
    // The terminal goes in the body as well as in the cryptogram, as the bank's own SDK sends it.
    expect(mine.terminalId).toBe(pt.config.epay.terminalId);
  });
});

describe('how deep a body may nest', () => {
  it('counts arrays and objects, without recursion', () => {
    const depth = (text: string, max: number) => nestsDeeperThan(JSON.parse(text), max);
    expect(depth('{"a":[[1]]}', 3)).toBe(false);
    expect(depth('{"a":[[1]]}', 2)).toBe(true);
    expect(depth('{"a":"[[[[{{{{"}', 1)).toBe(false);
    expect(depth('[{},{},{},{"a":{}}]', 2)).toBe(true);
    expect(depth('[{},{},{},{"a":1}]', 2)).toBe(false);
    expect(depth('"text"', 0)).toBe(false);
    expect(depth(DEEP_JSON, MAX_JSON_DEPTH)).toBe(true);
  });

  it(`a session request nested ${MAX_JSON_DEPTH + 1} deep → 400 invalid_request; ${MAX_JSON_DEPTH} deep is read`, async () => {
    // The body object is one level; the order field holds the rest.
    const nested = (n: number) =>
      `{"validationURL":"https://evil.example/","order":${'['.repeat(n - 1)}${']'.repeat(n - 1)}}`;
    const tooDeep = await post(`${dc.url}/applepay/session`, nested(MAX_JSON_DEPTH + 1), {
      origin: 'https://shop.example',
    });
    expect([tooDeep.status, tooDeep.json?.error?.code]).toEqual([400, 'invalid_request']);
    expect(tooDeep.json.error.message).toMatch(/deeper/);
    const deepest = await post(`${dc.url}/applepay/session`, nested(MAX_JSON_DEPTH), {
      origin: 'https://shop.example',
    });
    expect(deepest.json?.error?.code).toBe('invalid_validation_url');
  });
});

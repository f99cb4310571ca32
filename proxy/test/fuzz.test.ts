/**
 * Hostile input, property-based (fast-check, fixed seed, bounded runs): bodies and headers of `/applepay/payments`,
 * `/applepay/session` and `/3ds/callback` through `app.request`. Every answer is a JSON error with a known code and
 * its own status (or, for the callback, a 303 to the order's link or the small HTML page), never a 500 or a stack;
 * the only URL the proxy would ever call for a merchant session is an allowlisted one; nothing is ever charged.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPLE_VALIDATION_PATHS } from '../src/applepay/validation-url.js';
import { closeProxyApp, createProxyApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { ERROR_STATUS } from '../src/errors.js';
import type { LogRecord } from '../src/log.js';
import { THREE_DS_CODE } from '@epay-applepay/sandbox';
import {
  forms,
  invoiceOf,
  order,
  payment,
  postForm,
  SHOP_ORIGIN,
  startStack,
  type Stack,
  TEST_EPAY_TIMEOUTS,
  TEST_PAN,
  SCENARIO_AMOUNT,
} from './harness.js';

/** Fixed, so a failure reproduces; fast-check prints the counterexample and the path to it. */
const SEED = 20_240_606;
const PAN = TEST_PAN;
const STACK_TRACE =
  /\bat\s+\S+\s+\(|node_modules|\/src\/|\.[cm]?[jt]s:\d+|\b(?:TypeError|ReferenceError|SyntaxError|RangeError)\b/;

let s: Stack;
let app: ReturnType<typeof createProxyApp>;
const logs: LogRecord[] = [];
/** Every URL the proxy asked for a merchant session: the SSRF boundary. */
const sessionUrls: URL[] = [];
let validOrders: string[] = [];
let mintedTokens: Array<ReturnType<typeof payment>['token']> = [];
type ThreeDs = { invoiceId: string; ctx: string; action: string; fields: Record<string, string> };
let settled: ThreeDs;
let pending: ThreeDs;

/** Starts a payment that the sandbox bank sends to 3-D Secure; returns its sealed context and the bank's form. */
async function start3ds(): Promise<ThreeDs> {
  const o = await order({
    amount: SCENARIO_AMOUNT.threeDs,
    backLink: 'https://shop.example/ok',
    failureBackLink: 'https://shop.example/fail',
  });
  const r = await app.request('/applepay/payments', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ order: o, payment: payment(s.apple, { amount: SCENARIO_AMOUNT.threeDs }) }),
  });
  const json = (await r.json()) as { status: string; form: { action: string; fields: Record<string, string> } };
  expect(json.status).toBe('3ds');
  return {
    invoiceId: invoiceOf(o),
    ctx: new URL(json.form.fields.TermUrl!).searchParams.get('ctx')!,
    action: json.form.action,
    fields: json.form.fields,
  };
}

function callback(path: string, body: string | Buffer, headers: Record<string, string> = {}) {
  return app.request(path, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body,
  });
}

/** The callback's contract: 303 to one of the order's links, or the HTML page, or a JSON 413; never a 500 or a stack. */
async function expectCallbackContract(res: Response) {
  const text = await res.text();
  expect(res.status).not.toBe(500);
  expect(text).not.toMatch(STACK_TRACE);
  if (res.status === 303) {
    const to = new URL(res.headers.get('location')!);
    expect(to.origin).toBe('https://shop.example');
    expect(['/ok', '/fail']).toContain(to.pathname);
  } else if ((res.headers.get('content-type') ?? '').startsWith('text/html')) {
    expect([200, 400]).toContain(res.status);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
  } else {
    expect([res.status, JSON.parse(text).error.code]).toEqual([413, 'payload_too_large']);
  }
}

/** Control characters and DEL: removed from generated text. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/g;
const printable = fc.string({ unit: 'binary-ascii', maxLength: 80 }).map((v) => v.replace(CONTROL_CHARACTERS, ''));
const contentTypes = fc.oneof(
  fc.constantFrom(
    'application/json',
    'application/json; charset=utf-8',
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=xyz',
    'application/octet-stream',
  ),
  printable,
);
const origins = fc.oneof(
  fc.constantFrom(SHOP_ORIGIN, 'https://evil.example', 'null', 'http://shop.example'),
  printable,
);

/** Optional headers an attacker controls. */
const headers = fc.record(
  { 'content-type': contentTypes, origin: origins, 'x-forwarded-for': printable, accept: printable, cookie: printable },
  { requiredKeys: [] },
);

/** Bodies of every kind: text, binary, any JSON. */
const rawBodies = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 2_000 }),
  fc.uint8Array({ maxLength: 2_000 }).map((b) => Buffer.from(b)),
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  fc.constantFrom(
    '',
    '{',
    'null',
    '[]',
    '{"order":',
    '\u0000',
    '{"__proto__":{"order":"x"}}',
    '{"constructor":{"prototype":{}}}',
  ),
);

function tamperJwt(jwt: string, i: number, ch: string): string {
  const at = i % jwt.length;
  const next = jwt[at] === ch ? (ch === 'A' ? 'B' : 'A') : ch;
  return jwt.slice(0, at) + next + jwt.slice(at + 1);
}

const orderTokens = fc.oneof(
  { arbitrary: fc.constant(0).map(() => validOrders[0]!), weight: 4 },
  fc.tuple(fc.nat(), fc.constantFrom('A', 'z', '.', '-', '_', '=')).map(([i, ch]) => tamperJwt(validOrders[0]!, i, ch)),
  fc.constantFrom(
    'eyJhbGciOiJub25lIn0.eyJpbnZvaWNlSWQiOiIxMjM0NTY3ODkiLCJhbW91bnQiOjEsImV4cCI6OTk5OTk5OTk5OX0.',
    'a.b.c',
    '',
  ),
  fc.string({ maxLength: 200 }),
  fc.anything({ maxDepth: 2 }),
);

/** Paths inside an Apple Pay token's paymentData that its signature covers (or that pick the key). */
const SIGNED_FIELDS = [
  ['version'],
  ['data'],
  ['signature'],
  ['header', 'ephemeralPublicKey'],
  ['header', 'wrappedKey'],
  ['header', 'publicKeyHash'],
  ['header', 'transactionId'],
  ['header'],
] as const;

/** A real minted token with one to three changes to what its signature covers: never acceptable. */
const mutatedPaymentData = fc
  .tuple(
    fc.nat(),
    fc.array(
      fc.tuple(
        fc.constantFrom(...SIGNED_FIELDS),
        fc.oneof(
          fc.constant(undefined),
          fc.string({ maxLength: 64 }),
          fc.base64String({ maxLength: 120 }),
          fc.integer(),
          fc.constant(null),
          fc.jsonValue({ maxDepth: 2 }),
          fc.nat().map((n) => ({ flip: n })),
        ),
      ),
      { minLength: 1, maxLength: 3 },
    ),
  )
  .map(([pick, changes]) => {
    const original = mintedTokens[pick % mintedTokens.length]!;
    const token = structuredClone(original) as unknown as { paymentData: Record<string, unknown> };
    const pd = token.paymentData;
    let changed = false;
    for (const [path, value] of changes) {
      const parent = path.length === 2 ? pd[path[0]] : pd;
      if (parent === null || typeof parent !== 'object') continue;
      const fields = parent as Record<string, unknown>;
      const leaf = path[path.length - 1]!;
      const before = fields[leaf];
      // Only what the token has: an extra field (an ephemeralPublicKey on an RSA_v1 token) is ignored, rightly.
      if (before === undefined) continue;
      if (value && typeof value === 'object' && 'flip' in value) {
        if (typeof before !== 'string' || before.length === 0) continue;
        const buf = Buffer.from(before, 'base64');
        const i = (value.flip as number) % Math.max(1, buf.length);
        buf[i] = (buf[i] ?? 0) ^ 0x01;
        fields[leaf] = buf.toString('base64');
      } else if (value === undefined) {
        delete fields[leaf];
      } else {
        fields[leaf] = JSON.stringify(value) === JSON.stringify(before) ? `${String(value)}x` : value;
      }
      changed = true;
    }
    if (!changed)
      pd.data =
        `${String(pd.data).slice(0, -4)}AAAA` === pd.data
          ? `${String(pd.data).slice(0, -4)}BBBB`
          : `${String(pd.data).slice(0, -4)}AAAA`;
    return token;
  });

const contacts = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.record(
    {
      givenName: fc.oneof(fc.string({ maxLength: 300 }), fc.anything({ maxDepth: 1 })),
      familyName: fc.oneof(fc.string({ maxLength: 300 }), fc.anything({ maxDepth: 1 })),
      emailAddress: fc.oneof(fc.emailAddress(), fc.string({ maxLength: 300 }), fc.anything({ maxDepth: 1 })),
      phoneNumber: fc.oneof(fc.string({ maxLength: 40 }), fc.anything({ maxDepth: 1 })),
    },
    { requiredKeys: [] },
  ),
);

/** Asserts the answer is one the proxy's contract allows; returns the parsed JSON when it is JSON. */
async function expectContract(res: Response, allowed: { success?: (status: number, body: any) => boolean } = {}) {
  const text = await res.text();
  expect(res.status).not.toBe(500);
  expect(text).not.toMatch(STACK_TRACE);
  expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  expect(res.headers.get('content-type') ?? '').toMatch(/^application\/json/);
  const body = JSON.parse(text);
  if (allowed.success?.(res.status, body)) return body;
  expect(body).toEqual({ status: 'error', error: { code: expect.any(String), message: expect.any(String) } });
  expect(Object.keys(body.error)).toEqual(['code', 'message']);
  const code = body.error.code as keyof typeof ERROR_STATUS;
  expect(code in ERROR_STATUS).toBe(true);
  expect(code).not.toBe('internal_error');
  expect(res.status).toBe(ERROR_STATUS[code]);
  return body;
}

function request(path: string, init: { body?: string | Buffer; headers?: Record<string, string> }) {
  return app.request(path, {
    method: 'POST',
    headers: init.headers ?? {},
    ...(init.body === undefined ? {} : { body: init.body }),
  });
}

beforeAll(async () => {
  s = await startStack({ bank: { slowMs: 1_000 }, env: { OPERATIONS_API_KEYS: OPERATIONS_KEY } });
  app = createProxyApp(loadConfig(s.env), {
    logger: (r) => logs.push(r),
    appleCa: s.apple.tlsCaPem,
    epayTimeouts: TEST_EPAY_TIMEOUTS,
    merchantSessions: {
      async requestSession(url) {
        sessionUrls.push(url);
        return { merchantSessionIdentifier: 'fuzz', signature: 'x' };
      },
    },
  });
  validOrders = await Promise.all([order(), order({ amount: 1500 })]);
  mintedTokens = [payment(s.apple, { pan: PAN }).token, payment(s.apple, { pan: PAN, version: 'RSA_v1' }).token];

  // Two real 3-D Secure contexts sealed by the proxy: one the customer approved and the proxy confirmed (the fuzzing
  // replays it at will: the bank answers at once), one still waiting at the bank (forged results are sent to it).
  settled = await start3ds();
  const page = await postForm(settled.action, settled.fields);
  const [pw] = forms(page.text);
  const approve = pw!.buttons.find((x) => /confirm|approve|ok/i.test(x)) ?? '';
  const [name, value] = approve.split('=');
  const done = await postForm(new URL(pw!.action, settled.action).href, {
    ...pw!.fields,
    code: THREE_DS_CODE,
    ...(name ? { [name]: value ?? '' } : {}),
  });
  const [back] = forms(done.text);
  const confirmed = await callback(
    `/3ds/callback${new URL(back!.action).search}`,
    new URLSearchParams(back!.fields).toString(),
  );
  expect(new URL(confirmed.headers.get('location')!).pathname).toBe('/ok');
  expect(s.bank.ledger.paid(settled.invoiceId)).toHaveLength(1);
  pending = await start3ds();
});
afterAll(async () => {
  if (app) await closeProxyApp(app);
  await s?.close();
});

/** The operations API's bearer key in this file's proxy. */
const OPERATIONS_KEY = 'fuzz-operations-key-0123456789abcdefghij';

describe('fuzzing /operations/*', () => {
  it('any path, method, body and headers, with or without the key → a JSON error with a known code; no operation reaches the bank', async () => {
    const segment = fc.oneof(
      fc.stringMatching(/^\d{6,15}$/).map((d) => `9${d.slice(1)}`), // invoices the bank does not hold
      fc.string({ maxLength: 20 }).map(encodeURIComponent),
      fc.constantFrom('', '..', '%00', '000000000001'),
    );
    const kinds = fc.constantFrom('charge', 'cancel', 'refund', '', 'status', 'charge/extra');
    const auth = fc.oneof(
      fc.constant(`Bearer ${OPERATIONS_KEY}`),
      fc.constant(`bearer ${OPERATIONS_KEY}`),
      fc.string({ maxLength: 60 }).map((x) => `Bearer ${x}`),
      fc.constant(''),
    );
    const idempotencyKeys = fc.oneof(fc.string({ maxLength: 300 }), fc.constant('k-1'));
    const bodies = fc.oneof(
      rawBodies,
      fc
        .record({ amount: fc.oneof(fc.double(), fc.integer(), fc.string(), fc.constant(null)) })
        .map((x) => JSON.stringify(x)),
    );
    await fc.assert(
      fc.asyncProperty(
        segment,
        kinds,
        bodies,
        auth,
        idempotencyKeys,
        fc.constantFrom('GET', 'POST', 'PUT'),
        async (invoice, kind, body, authorization, key, method) => {
          const res = await app.request(`/operations/payments/${invoice}${kind ? `/${kind}` : ''}`, {
            method,
            headers: {
              ...(authorization ? { authorization } : {}),
              'idempotency-key': key.replace(/[\r\n]/g, ''),
              'content-type': 'application/json',
            },
            ...(method === 'GET' ? {} : { body }),
          });
          await expectContract(res);
        },
      ),
      { seed: SEED, numRuns: 300 },
    );
    expect(s.bank.calls.filter((c) => c.path.startsWith('/operation/'))).toEqual([]);
  });
});

describe('fuzzing /applepay/payments', () => {
  it('any body with any headers → a JSON error with a known code, nothing charged', async () => {
    const charges = s.bank.ledger.transactions.length;
    await fc.assert(
      fc.asyncProperty(rawBodies, headers, async (body, h) => {
        await expectContract(await request('/applepay/payments', { body, headers: h }));
      }),
      { seed: SEED, numRuns: 250 },
    );
    expect(s.bank.ledger.transactions.length).toBe(charges);
  });

  it('well-formed requests with forged orders or altered tokens → refused (invalid_order, token_*, amount_mismatch…)', async () => {
    const charges = s.bank.ledger.transactions.length;
    const codes = new Set<string>();
    await fc.assert(
      fc.asyncProperty(orderTokens, mutatedPaymentData, contacts, contacts, async (o, token, billing, shipping) => {
        const body = JSON.stringify({
          order: o,
          payment: { token, billingContact: billing, shippingContact: shipping },
        });
        const answer = await expectContract(
          await request('/applepay/payments', { body, headers: { 'content-type': 'application/json' } }),
        );
        expect(answer.status).toBe('error');
        codes.add(answer.error.code);
      }),
      { seed: SEED, numRuns: 100 },
    );
    expect(s.bank.ledger.transactions.length).toBe(charges);
    // Both doors were tried: the order's signature and the token's.
    expect(codes).toContain('invalid_order');
    expect(codes).toContain('token_invalid');
  });

  it('a valid order and token with hostile contact fields → a definite answer, never a 500', async () => {
    const outcomes: string[] = [];
    await fc.assert(
      fc.asyncProperty(contacts, contacts, async (billing, shipping) => {
        const o = await order();
        const p = { token: payment(s.apple, { pan: PAN }).token, billingContact: billing, shippingContact: shipping };
        const res = await request('/applepay/payments', {
          body: JSON.stringify({ order: o, payment: p }),
          headers: { 'content-type': 'application/json' },
        });
        const b = await expectContract(res, {
          success: (status, b) =>
            (status === 200 && b.status === 'paid') || (status === 402 && b.status === 'declined'),
        });
        outcomes.push(b.status === 'declined' ? `declined ${b.error.bankCode}` : b.status);
      }),
      { seed: SEED, numRuns: 25 },
    );
    // The property reached the bank: hostile contacts did not all stop at the door.
    expect(outcomes).toContain('paid');
  });
});

describe('fuzzing /applepay/session', () => {
  const schemes = fc.constantFrom(
    'https://',
    'http://',
    'HTTPS://',
    'file://',
    'gopher://',
    'javascript:',
    '//',
    'https:/',
    '',
  );
  const userinfo = fc.constantFrom('', 'user@', 'apple-pay-gateway.apple.com@', ':@');
  const hosts = () =>
    fc.constantFrom(
      s.gateway.host,
      s.gateway.host.replace('127.0.0.1', 'localhost'),
      'apple-pay-gateway.apple.com',
      'apple-pay-gateway.apple.com.',
      'APPLE-PAY-GATEWAY.APPLE.COM',
      'apple-pay-gateway.apple.com.evil.example',
      'evil.example',
      '127.0.0.1',
      '[::1]',
      '169.254.169.254',
      '0x7f000001',
      '2130706433',
      'localhost',
    );
  const ports = fc.constantFrom('', ':443', ':80', ':8443', ':0', ':65536', ':');
  const paths = fc.constantFrom(
    ...APPLE_VALIDATION_PATHS,
    '/',
    '',
    '/paymentservices/paymentSession/../../admin',
    '/paymentservices/%2e%2e/x',
    '/paymentservices/paymentSession?next=http://evil.example',
    '/paymentservices/paymentSession#x',
    '/PAYMENTSERVICES/PAYMENTSESSION',
  );
  const urls = () =>
    fc.oneof(
      fc
        .tuple(schemes, userinfo, hosts(), ports, paths, fc.constantFrom('', ' ', '\t', '\\', '%00'))
        .map((p) => p.join('')),
      fc.webUrl({ withQueryParameters: true, withFragments: true }),
      fc.string({ maxLength: 600 }),
      fc.anything({ maxDepth: 1 }),
    );

  it('any validationURL, order, body and Origin → 200 only for an allowlisted URL, else a JSON error; no other URL is ever called', async () => {
    const allowed = new Set([s.gateway.host]);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.record({ validationURL: urls(), order: orderTokens }, { requiredKeys: [] }).map((b) => JSON.stringify(b)),
          rawBodies,
        ),
        origins,
        headers,
        async (body, origin, h) => {
          const res = await request('/applepay/session', { body, headers: { ...h, origin } });
          await expectContract(res, {
            success: (status, b) => status === 200 && b.merchantSessionIdentifier === 'fuzz',
          });
        },
      ),
      { seed: SEED, numRuns: 300 },
    );
    for (const url of sessionUrls) {
      expect(url.protocol).toBe('https:');
      expect(allowed.has(url.host)).toBe(true);
      expect(APPLE_VALIDATION_PATHS).toContain(url.pathname);
      expect(url.username + url.password + url.search + url.hash).toBe('');
    }
  });
});

describe('fuzzing /3ds/callback', () => {
  const contexts = fc.oneof(
    fc.constant(0).map(() => settled.ctx),
    fc.tuple(fc.nat(), fc.constantFrom('A', 'B', '-', '_', '.')).map(([i, ch]) => tamperJwt(settled.ctx, i, ch)),
    fc.tuple(fc.nat(), fc.constantFrom('A', 'B', '-', '_', '.')).map(([i, ch]) => tamperJwt(pending.ctx, i, ch)),
    fc.string({ maxLength: 300 }),
    fc.constant(undefined),
  );
  const forgedForms = fc.record(
    { PaRes: fc.string({ maxLength: 300 }), MD: fc.string({ maxLength: 100 }) },
    { requiredKeys: [] },
  );
  const bodies = fc.oneof(
    forgedForms.map((f) => ({
      body: new URLSearchParams(f as Record<string, string>).toString(),
      type: 'application/x-www-form-urlencoded',
    })),
    fc.tuple(rawBodies, contentTypes).map(([body, type]) => ({ body, type })),
    fc.constant({
      body: '--xyz\r\nContent-Disposition: form-data; name="PaRes"\r\n\r\n',
      type: 'multipart/form-data; boundary=xyz',
    }),
  );

  it('any context, form and headers → 303 to the order’s link or the HTML page (or a JSON 413), never a 500', async () => {
    await fc.assert(
      fc.asyncProperty(contexts, bodies, origins, async (ctx, form, origin) => {
        const path = ctx === undefined ? '/3ds/callback' : `/3ds/callback?ctx=${encodeURIComponent(ctx)}`;
        await expectCallbackContract(await callback(path, form.body, { 'content-type': form.type, origin }));
      }),
      { seed: SEED, numRuns: 150 },
    );
    // Replays of the confirmed payment never confirmed it again.
    expect(s.bank.ledger.paid(settled.invoiceId)).toHaveLength(1);
    expect(s.bank.calls.filter((c) => c.path === '/payment/confirm' && c.invoiceId === settled.invoiceId)).toHaveLength(
      1,
    );
  });

  it('forged 3-D Secure results for a payment still waiting at the bank never pay it', async () => {
    // Sent at once: each waits for the bank's status while the payment stays pending.
    const forged = fc.sample(forgedForms, { seed: SEED, numRuns: 6 });
    forged.push({ PaRes: 'AAAA', MD: pending.fields.MD! }, { PaRes: pending.fields.PaReq!, MD: pending.fields.MD! });
    const answers = await Promise.all(
      forged.map((f) =>
        callback(`/3ds/callback?ctx=${pending.ctx}`, new URLSearchParams(f as Record<string, string>).toString()),
      ),
    );
    for (const res of answers) await expectCallbackContract(res);
    expect(s.bank.ledger.paid(pending.invoiceId)).toHaveLength(0);
    // A post with another MD never reaches the bank; each with the payment's own MD may cost one confirmation, which
    // the bank refuses and which consumes nothing (the customer's real result is still confirmed after it).
    const withOwnMd = forged.filter((f) => f.MD === pending.fields.MD).length;
    expect(
      s.bank.calls.filter((c) => c.path === '/payment/confirm' && c.invoiceId === pending.invoiceId).length,
    ).toBeLessThanOrEqual(withOwnMd);
    expect(s.bank.ledger.byInvoice(pending.invoiceId)).toMatchObject([{ statusName: 'NEW' }]);
  });
});

describe('after the fuzzing', () => {
  it('no request ended in an internal error', () => {
    expect(logs.length).toBeGreaterThan(500);
    expect(logs.filter((l) => l.status === 500 || l.code === 'internal_error')).toEqual([]);
  });
});

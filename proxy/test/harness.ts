/**
 * @module Test harness: the sandbox bank and the sandbox Apple on loopback, the proxy configured against them by its
 * ordinary settings and served over real HTTP, and helpers to sign orders and mint Apple Pay payments.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import {
  createFakeApple,
  startFakeEpay,
  SANDBOX_EPAY,
  THREE_DS_CODE,
  type FakeApple,
  type FakeAppleGateway,
  type FakeEpay,
  type FakeEpayOptions,
  type MintTokenInput,
} from '@epay-applepay/sandbox';
import { closeProxyApp, createProxyApp, type ProxyAppOptions } from '../src/app.js';
import { loadConfig, type ProxyConfig } from '../src/config.js';
import type { LogRecord } from '../src/log.js';
import { signOrder, type OrderClaims } from '../src/order.js';

export const ORDER_SECRET = 'test-order-signing-secret-0123456789abcdef';
/** The one device PAN the tests pay with: its last two digits (`01`) pick no scenario, so the amount decides. */
export const TEST_PAN = '4400430100000001';
/**
 * The sandbox bank's scenarios by name: an amount's minor units pick what the bank does (docs/sandbox.md). Use these
 * instead of writing `100.11` for "3-D Secure".
 */
export const SCENARIO_AMOUNT = {
  paid: 1500,
  threeDs: 100.11,
  doNotHonor: 1500.05,
  insufficientFunds: 1500.51,
  notPermitted: 1500.87,
  notFinalCharged: 1500.54,
  notFinalUncharged: 1500.55,
  notFinal459Charged: 1500.59,
  slow: 1500.61,
  garbage: 1500.71,
  bankError: 1500.72,
  droppedCharged: 1500.73,
  droppedUncharged: 1500.74,
  bankErrorChargedTerminalNotFound: 1500.75,
  alreadyExistsCharged: 1500.77,
  paymentSystemTimeout: 1500.58,
  notPermittedStatusUnanswered: 1500.57,
  unavailableStatusUnanswered: 1500.76,
} as const;
/** Bank timeouts short enough for tests (production keeps the defaults). */
export const TEST_EPAY_TIMEOUTS = {
  operationMs: 1_500,
  cryptopayMs: 1_500,
  statusMs: 1_000,
  tokenMs: 1_000,
  publicKeyMs: 1_000,
  confirmMs: 1_500,
} as const;
export const SHOP_DOMAIN = 'shop.example';
export const SHOP_ORIGIN = `https://${SHOP_DOMAIN}`;

let bankKey: string | undefined;
/** One RSA key for every sandbox bank of a test file (4096-bit generation takes seconds; the bank's size is not under test here). */
export function bankPrivateKey(): string {
  bankKey ??= generateKeyPairSync('rsa', { modulusLength: 2048 })
    .privateKey.export({ format: 'pem', type: 'pkcs8' })
    .toString();
  return bankKey;
}

type AppleFiles = Awaited<ReturnType<FakeApple['writeFiles']>>;
let applePromise: Promise<{ apple: FakeApple; files: AppleFiles }> | undefined;
/** One sandbox Apple (keys and certificates) per test file. */
export function sharedApple() {
  applePromise ??= (async () => {
    const apple = await createFakeApple();
    const files = await apple.writeFiles(mkdtempSync(join(tmpdir(), 'fake-apple-')));
    return { apple, files };
  })();
  return applePromise;
}

/**
 * The proxy's settings for the sandbox bank and Apple: what an operator would put in the environment. One place, so the
 * tests and the benchmarks configure the proxy the same way.
 */
export function sandboxProxyEnv(
  files: AppleFiles,
  o: {
    publicUrl: string;
    merchantId: string;
    bank?: { oauthUrl: string; apiUrl: string };
    validationHosts?: string;
    mode?: 'decrypt' | 'passthrough';
  },
): Record<string, string> {
  return {
    PUBLIC_URL: o.publicUrl,
    EPAY_CLIENT_ID: SANDBOX_EPAY.clientId,
    EPAY_CLIENT_SECRET: SANDBOX_EPAY.clientSecret,
    EPAY_TERMINAL_ID: SANDBOX_EPAY.terminalId,
    ...(o.bank ? { EPAY_OAUTH_URL: o.bank.oauthUrl, EPAY_API_URL: o.bank.apiUrl } : {}),
    EPAY_TOKEN_MODE: o.mode ?? 'decrypt',
    ORDER_SIGNING_SECRET: ORDER_SECRET,
    APPLE_MERCHANT_ID: o.merchantId,
    APPLE_DISPLAY_NAME: 'Sandbox Shop',
    APPLE_PAY_DOMAINS: SHOP_DOMAIN,
    APPLE_IDENTITY_CERT: files.identityCert,
    APPLE_IDENTITY_KEY: files.identityKey,
    APPLE_PROCESSING_CERT: `${files.processingCert},${files.processingRsaCert}`,
    APPLE_PROCESSING_KEY: `${files.processingKey},${files.processingRsaKey}`,
    APPLE_ROOT_CA: files.rootCa,
    ...(o.validationHosts ? { APPLE_VALIDATION_HOSTS: o.validationHosts } : {}),
    RATE_LIMIT_PER_MINUTE: '0',
  };
}

export interface Stack {
  bank: FakeEpay;
  apple: FakeApple;
  gateway: FakeAppleGateway;
  config: ProxyConfig;
  env: Record<string, string>;
  /** Base URL of the proxy served on loopback. */
  url: string;
  logs: LogRecord[];
  /** The proxy app the stack serves (for `eventsOf`). */
  app: ReturnType<typeof createProxyApp>;
  close(): Promise<void>;
}

export interface StackOptions {
  mode?: 'decrypt' | 'passthrough';
  bank?: FakeEpayOptions;
  env?: Record<string, string>;
  app?: ProxyAppOptions;
}

export async function startStack(o: StackOptions = {}): Promise<Stack> {
  const { apple, files } = await sharedApple();
  const bank = await startFakeEpay({ privateKeyPem: bankPrivateKey(), deliverNotifications: false, ...o.bank });
  const gateway = await apple.startGateway();
  const logs: LogRecord[] = [];
  let server: ServerType | undefined;
  const port = await new Promise<number>((resolve) => {
    // The proxy's own port is needed for PUBLIC_URL: listen first, then mount the app.
    let handler: ((req: Request) => Response | Promise<Response>) | undefined;
    server = serve({ fetch: (req) => handler!(req), port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) =>
      resolve(info.port),
    );
    started.set(server, (h) => {
      handler = h;
    });
  });
  const env: Record<string, string> = {
    PORT: String(port),
    ...sandboxProxyEnv(files, {
      publicUrl: `http://127.0.0.1:${port}`,
      bank,
      validationHosts: gateway.host,
      merchantId: apple.merchantId,
      mode: o.mode ?? 'decrypt',
    }),
    ...o.env,
  };

  const config = loadConfig(env);
  const app = createProxyApp(config, {
    logger: (r) => logs.push(r),
    appleCa: apple.tlsCaPem,
    epayTimeouts: TEST_EPAY_TIMEOUTS,
    ...o.app,
  });
  started.get(server!)!(app.fetch);
  return {
    bank,
    apple,
    gateway,
    config,
    env,
    url: `http://127.0.0.1:${port}`,
    logs,
    app,
    async close() {
      await new Promise<void>((r) => server!.close(() => r()));
      await Promise.all([closeProxyApp(app), bank.close(), gateway.close()]);
    },
  };
}
/**
 * A second proxy instance for the same stack: the same settings, its own store (unless one is given) and log. Drive it
 * with `app.request(url, init)`; close it with {@link closeProxyApp}.
 */
export function secondApp(s: Stack, options: ProxyAppOptions = {}) {
  const logs: LogRecord[] = [];
  const app = createProxyApp(s.config, {
    logger: (l) => logs.push(l),
    appleCa: s.apple.tlsCaPem,
    epayTimeouts: TEST_EPAY_TIMEOUTS,
    ...options,
  });
  return { app, logs };
}

const started = new WeakMap<object, (h: (req: Request) => Response | Promise<Response>) => void>();

/** The invoice of an order token (read without verifying, as the element does). */
export function invoiceOf(token: string): string {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).invoiceId;
}

let invoiceSeq = Math.floor(Math.random() * 1e6);
/** A fresh invoice number (the bank refuses reuse). */
export function nextInvoice(): string {
  invoiceSeq += 1;
  return String(Date.now()).slice(-7) + String(invoiceSeq).padStart(6, '0').slice(-6);
}

export function order(claims: Partial<OrderClaims> = {}): Promise<string> {
  return signOrder(
    { invoiceId: nextInvoice(), amount: 1500, exp: Math.floor(Date.now() / 1000) + 600, ...claims },
    ORDER_SECRET,
  );
}

/**
 * Pays an order through the stack's proxy and returns its invoice; fails unless the answer is `paid` (AUTH: the
 * sandbox terminal is two-stage).
 */
export async function paidInvoice(s: Pick<Stack, 'url' | 'apple'>, amount: number = SCENARIO_AMOUNT.paid) {
  const { invoiceId, r } = await payOrder(s, amount);
  if (r.json.status !== 'paid') throw new Error(`expected paid, got ${JSON.stringify(r.json)}`);
  return invoiceId;
}

/**
 * Pays a new order of `amount` (with extra order claims, and request headers) with the test card, whatever the
 * answer: the order token, its invoice and the proxy's answer.
 *
 * @example
 * const { invoiceId, r } = await payOrder(s, SCENARIO_AMOUNT.declined);
 */
export async function payOrder(
  s: Pick<Stack, 'url' | 'apple'>,
  amount: number = SCENARIO_AMOUNT.paid,
  options: { claims?: Record<string, unknown>; headers?: Record<string, string> } = {},
) {
  const o = await order({ amount, ...options.claims });
  const r = await post(
    `${s.url}/applepay/payments`,
    { order: o, payment: payment(s.apple, { amount, pan: TEST_PAN }) },
    options.headers,
  );
  return { o, invoiceId: invoiceOf(o), r };
}

/** A loopback port free now (listened on and closed). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** An ApplePayPayment as the element posts it, with a token minted by the sandbox Apple. */
export function payment(apple: FakeApple, input: Partial<MintTokenInput> & { amount?: number } = {}) {
  const { amount = 1500, ...rest } = input;
  return {
    token: apple.mintToken({ amountMinor: Math.round(amount * 100), currencyCode: '398', ...rest }),
    billingContact: { givenName: 'Arman', familyName: 'Ali' },
    shippingContact: { emailAddress: 'arman@example.kz', phoneNumber: '+77771232380' },
  };
}

export async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    redirect: 'manual',
  });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** Reads every `<form>` of an HTML page: its action and named input values. */
export function forms(html: string): Array<{ action: string; fields: Record<string, string>; buttons: string[] }> {
  const out: Array<{ action: string; fields: Record<string, string>; buttons: string[] }> = [];
  for (const m of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const action = /action="([^"]*)"/i.exec(m[1] ?? '')?.[1] ?? '';
    const fields: Record<string, string> = {};
    const buttons: string[] = [];
    for (const i of (m[2] ?? '').matchAll(/<(input|button)\b([^>]*)>/gi)) {
      const name = /name="([^"]*)"/i.exec(i[2] ?? '')?.[1];
      const value = /value="([^"]*)"/i.exec(i[2] ?? '')?.[1] ?? '';
      if (!name) continue;
      if (i[1]?.toLowerCase() === 'button') buttons.push(`${name}=${value}`);
      else fields[name] = decodeEntities(value);
    }
    out.push({ action: decodeEntities(action), fields, buttons });
  }
  return out;
}

function decodeEntities(s: string): string {
  return s
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

export async function postForm(url: string, fields: Record<string, string>) {
  const res = await fetch(url, { method: 'POST', body: new URLSearchParams(fields), redirect: 'manual' });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** The sandbox's 3-D Secure amount: its minor units `11` pick the 3-D Secure scenario. */
export const THREE_DS_AMOUNT = SCENARIO_AMOUNT.threeDs;

/** Pays an order of {@link THREE_DS_AMOUNT}: the bank asks for 3-D Secure; returns the order and the bank's form. */
export async function start3ds(s: Stack, claims: Partial<OrderClaims> = {}) {
  const o = await order({ amount: THREE_DS_AMOUNT, ...claims });
  const r = await post(`${s.url}/applepay/payments`, {
    order: o,
    payment: payment(s.apple, { amount: THREE_DS_AMOUNT }),
  });
  if (r.status !== 200 || r.json?.status !== '3ds') throw new Error(`expected 3-D Secure, got ${r.status} ${r.text}`);
  return { o, form: r.json.form as { action: string; fields: Record<string, string> } };
}

/** Goes through the sandbox bank's password page as a person would, up to the form it posts to the `TermUrl`. */
export async function passwordPage(form: { action: string; fields: Record<string, string> }, approve: boolean) {
  const page = await postForm(form.action, form.fields);
  if (page.status !== 200) throw new Error(`password page answered ${page.status}`);
  const [pw] = forms(page.text);
  if (!pw) throw new Error('no form on the password page');
  const choice = pw.buttons.find((b) => (approve ? /confirm|approve|ok/i : /decline|cancel|fail/i).test(b)) ?? '';
  const [name, value] = choice.split('=');
  const code: Record<string, string> = approve ? { code: THREE_DS_CODE } : {};
  const done = await postForm(new URL(pw.action, form.action).href, {
    ...pw.fields,
    ...code,
    ...(name ? { [name]: value ?? '' } : {}),
  });
  const [back] = forms(done.text);
  if (!back || back.action !== form.fields.TermUrl)
    throw new Error('the password page did not post back to the TermUrl');
  return back;
}

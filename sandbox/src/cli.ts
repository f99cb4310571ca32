/**
 * @module `pnpm --filter @epay-applepay/sandbox start`: runs the sandbox bank and the sandbox Apple on loopback for a
 * proxy of your own, writes Apple's certificates and keys to a folder, and prints the proxy settings that point at them.
 *
 * Options: `--dir <path>` (default `.sandbox/cli` at the repository root, git-ignored), `--bank-port <n>` (8790),
 * `--apple-port <n>` (8791, the merchant validation gateway, HTTPS), `--tokens-port <n>` (8792, mints Apple Pay
 * tokens for your tests); 0 picks a free port. Ctrl-C stops everything.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { sign } from 'hono/jwt';
import { createFakeApple, type FakeApple } from './apple/index.js';
import { CURRENCY_NUMERIC, SANDBOX_EPAY, startFakeEpay } from './epay/index.js';

const DEFAULT_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '.sandbox', 'cli');
const DEFAULT_BANK_PORT = 8790;
const DEFAULT_APPLE_PORT = 8791;
const DEFAULT_TOKENS_PORT = 8792;
/** A token request is a few dozen bytes. */
const MAX_TOKEN_REQUEST_BYTES = 4 * 1024;

function port(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65_535)
    throw new Error(`--${name} must be a port number (0 for a free one)`);
  return n;
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown> | undefined> {
  let text = '';
  for await (const chunk of req as AsyncIterable<Buffer>) {
    text += chunk.toString('utf8');
    if (text.length > MAX_TOKEN_REQUEST_BYTES) return undefined;
  }
  try {
    const body = JSON.parse(text) as unknown;
    return body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Lifetime of an order signed by `POST /checkout`. */
const CHECKOUT_ORDER_TTL_S = 15 * 60;

/**
 * `POST /payment-token` `{ "amount": 1500, "currency": "KZT", "pan": "4400430100000011", "version": "EC_v1" }` → an
 * `ApplePayPaymentToken` as Safari hands it to `onpaymentauthorized`, for this sandbox merchant. `amount` is required.
 *
 * `POST /checkout` (same body) plays the merchant's backend and the customer's Safari at once: it answers
 * `{ order, payment }`, an order token signed with the printed ORDER_SIGNING_SECRET (a plain HS256 JWT) and an
 * `ApplePayPayment` carrying a fresh token: exactly the body of the proxy's `POST /applepay/payments`.
 */
function startTokenServer(apple: FakeApple, host: string, listenPort: number, orderSecret: string): Promise<Server> {
  const server = createServer((req, res) => {
    const send = (status: number, body: unknown) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    const checkout = req.url === '/checkout';
    if (req.method !== 'POST' || (req.url !== '/payment-token' && !checkout)) {
      return send(404, { error: 'POST /payment-token or POST /checkout' });
    }
    void readJson(req).then(async (body) => {
      const amount = body?.['amount'];
      const currency = CURRENCY_NUMERIC.get(String(body?.['currency'] ?? 'KZT'));
      const pan = body?.['pan'];
      const version = body?.['version'] ?? 'EC_v1';
      if (typeof amount !== 'number' || !(amount > 0)) return send(400, { error: 'amount must be a number above 0' });
      if (!currency) return send(400, { error: `currency must be one of ${[...CURRENCY_NUMERIC.keys()].join(', ')}` });
      if (pan !== undefined && (typeof pan !== 'string' || !/^\d{13,19}$/.test(pan)))
        return send(400, { error: 'pan must be 13 to 19 digits' });
      if (version !== 'EC_v1' && version !== 'RSA_v1') return send(400, { error: 'version must be EC_v1 or RSA_v1' });
      const token = apple.mintToken({
        amountMinor: Math.round(amount * 100),
        currencyCode: currency,
        version,
        ...(pan ? { pan } : {}),
      });
      if (!checkout) return send(200, token);
      // A fresh invoice number each time: the bank refuses a reused one.
      const invoiceId = `${Date.now()}`.slice(-12);
      const order = await sign(
        {
          invoiceId,
          amount,
          currency: String(body?.['currency'] ?? 'KZT'),
          exp: Math.floor(Date.now() / 1000) + CHECKOUT_ORDER_TTL_S,
        },
        orderSecret,
        'HS256',
      );
      send(200, { order, payment: { token, billingContact: { givenName: 'Sandbox', familyName: 'Customer' } } });
    });
  });
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(listenPort, host, () => ok(server));
  });
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const { values } = parseArgs({
    // `pnpm … start -- --dir x` hands the `--` through.
    args: argv[0] === '--' ? argv.slice(1) : argv,
    options: {
      dir: { type: 'string' },
      'bank-port': { type: 'string' },
      'apple-port': { type: 'string' },
      'tokens-port': { type: 'string' },
    },
  });
  const dir = resolve(values.dir ?? DEFAULT_DIR);
  const host = '127.0.0.1';
  await mkdir(dir, { recursive: true, mode: 0o700 });

  const apple = await createFakeApple();
  const files = await apple.writeFiles(join(dir, 'apple'));
  const bank = await startFakeEpay({ host, port: port('bank-port', values['bank-port'], DEFAULT_BANK_PORT) });
  const gateway = await apple.startGateway({
    host,
    port: port('apple-port', values['apple-port'], DEFAULT_APPLE_PORT),
  });
  const orderSecret = randomBytes(32).toString('hex');
  const tokens = await startTokenServer(
    apple,
    host,
    port('tokens-port', values['tokens-port'], DEFAULT_TOKENS_PORT),
    orderSecret,
  );
  const tokensUrl = `http://${host}:${(tokens.address() as AddressInfo).port}/payment-token`;

  const settings = [
    '# The sandbox bank (docs/sandbox.md lists the test data that picks each outcome)',
    `EPAY_CLIENT_ID=${SANDBOX_EPAY.clientId}`,
    `EPAY_CLIENT_SECRET=${SANDBOX_EPAY.clientSecret}`,
    `EPAY_TERMINAL_ID=${SANDBOX_EPAY.terminalId}`,
    `EPAY_OAUTH_URL=${bank.oauthUrl}`,
    `EPAY_API_URL=${bank.apiUrl}`,
    '# The sandbox Apple (new certificates every start: restart the proxy after this)',
    `APPLE_MERCHANT_ID=${apple.merchantId}`,
    `APPLE_DISPLAY_NAME='${apple.displayName}'`,
    `APPLE_IDENTITY_CERT=${files.identityCert}`,
    `APPLE_IDENTITY_KEY=${files.identityKey}`,
    `APPLE_PROCESSING_CERT=${files.processingCert},${files.processingRsaCert}`,
    `APPLE_PROCESSING_KEY=${files.processingKey},${files.processingRsaKey}`,
    `APPLE_ROOT_CA=${files.rootCa}`,
    `APPLE_VALIDATION_HOSTS=${gateway.host}`,
    `NODE_EXTRA_CA_CERTS=${files.tlsCa}`,
    '# Yours to choose (these work for a proxy and a page on this machine)',
    'PUBLIC_URL=http://127.0.0.1:8787',
    'APPLE_PAY_DOMAINS=localhost',
    `ORDER_SIGNING_SECRET=${orderSecret}`,
  ].join('\n');
  const envFile = join(dir, 'proxy.env');
  await writeFile(envFile, `${settings}\n`, { mode: 0o600 });

  process.stdout.write(
    `Sandbox running: bank ${bank.url}, Apple gateway ${gateway.url}, tokens ${tokensUrl}\n` +
      `Settings for the proxy (also in ${envFile}):\n\n${settings}\n\n` +
      `Merchant validation URL for your page: ${gateway.validationUrl}\n` +
      `Mint a token: curl -s ${tokensUrl} -d '{"amount":1500,"pan":"4400430100000011"}'\n` +
      `Pay through a proxy started with these settings:\n` +
      `  curl -s ${tokensUrl.replace('/payment-token', '/checkout')} -d '{"amount":1500}' | curl -s http://127.0.0.1:8787/applepay/payments -H 'content-type: application/json' --data-binary @-\n` +
      'Ledger: GET /_sandbox/ledger on the bank. Never point a production proxy at this Apple root. Ctrl-C stops.\n',
  );

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void Promise.allSettled([bank.close(), gateway.close(), new Promise((r) => tokens.close(r))]).then(() =>
      process.exit(0),
    );
    tokens.closeAllConnections();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: unknown) => {
  const busy = (err as NodeJS.ErrnoException).code === 'EADDRINUSE';
  process.stderr.write(
    `sandbox: ${busy ? 'a port is taken; pass --bank-port 0 --apple-port 0 --tokens-port 0 for free ones' : err instanceof Error ? err.message : String(err)}\n`,
  );
  process.exit(1);
});

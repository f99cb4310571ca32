/** @module Test fixtures for the sandbox bank's own tests: a cached key, a merchant-side client and valid request bodies. */
import { constants, createPublicKey, generateKeyPairSync, publicEncrypt, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SANDBOX_EPAY } from './sandbox-credentials.js';
import { SANDBOX_RSA_MODULUS_BITS } from './rsa-keys.js';
import { TOKEN_SCOPE } from './token-request.js';

/** Test files run in separate workers; they share one generated key through this file instead of each paying seconds for it. */
const keyCacheFile = (name: string): string =>
  join(tmpdir(), `epay-sandbox-test-rsa${SANDBOX_RSA_MODULUS_BITS}-${name}.pem`);

/**
 * An RSA-4096 private key PEM, generated once per name and cached in the temp directory
 * (`other` is a second key, for "encrypted for the wrong key" tests).
 *
 * @example
 * ```ts
 * const epay = await startFakeEpay({ privateKeyPem: testKeyPem() });
 * ```
 */
export function testKeyPem(name: 'bank' | 'other' = 'bank'): string {
  const file = keyCacheFile(name);
  if (existsSync(file)) return readFileSync(file, 'utf8');
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: SANDBOX_RSA_MODULUS_BITS });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const partial = `${file}.${process.pid}.tmp`;
  writeFileSync(partial, pem, { mode: 0o600 });
  renameSync(partial, file);
  return pem;
}

/**
 * Parses `/public.rsa` in any of its spellings the way a merchant should: strip any PEM armor,
 * then try SPKI, then PKCS#1.
 *
 * @example
 * ```ts
 * const key = parsePublicKeyText(await (await fetch(`${epay.apiUrl}/public.rsa`)).text());
 * ```
 */
export function parsePublicKeyText(text: string): KeyObject {
  const der = Buffer.from(text.replace(/-----(BEGIN|END) [A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64');
  try {
    return createPublicKey({ key: der, format: 'der', type: 'spki' });
  } catch {
    return createPublicKey({ key: der, format: 'der', type: 'pkcs1' });
  }
}

/**
 * RSA PKCS#1 v1.5 encryption of a plaintext, as standard base64.
 *
 * @example
 * ```ts
 * encryptCryptogram(publicKey, cardCryptogramText('4400430000000000'));
 * ```
 */
export function encryptCryptogram(publicKey: KeyObject, plaintext: string | Buffer): string {
  return publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, Buffer.from(plaintext)).toString(
    'base64',
  );
}

/**
 * A card expiry (MMYY) a year or more ahead.
 *
 * @example
 * ```ts
 * futureExpDate(); // '0727' in 2026
 * ```
 */
export function futureExpDate(now = new Date()): string {
  return `${String(now.getUTCMonth() + 1).padStart(2, '0')}${String((now.getUTCFullYear() + 1) % 100).padStart(2, '0')}`;
}

/**
 * The plaintext of a decrypt-mode cryptogram.
 *
 * @example
 * ```ts
 * cardCryptogramText('4400430000000000'); // '{"hpan":"4400430000000000","expDate":"…","cvc":"","terminalId":"…"}'
 * ```
 */
export function cardCryptogramText(
  pan: string,
  expDate = futureExpDate(),
  terminalId: string = SANDBOX_EPAY.terminalId,
): string {
  return JSON.stringify({ hpan: pan, expDate, cvc: '', terminalId });
}

/** The plaintext of a passthrough cryptogram (Halyk SDK placeholders). */
export const PASSTHROUGH_CRYPTOGRAM_TEXT = JSON.stringify({
  hpan: 'AppleToken',
  expDate: 'expToken',
  cvc: '',
  terminalId: SANDBOX_EPAY.terminalId,
});

/** Base64 of an Apple `paymentData` JSON's shape (its content is opaque to the bank). */
export const APPLE_PAYMENT_DATA_BASE64 = Buffer.from(
  JSON.stringify({
    version: 'EC_v1',
    data: Buffer.from('encrypted payment data').toString('base64'),
    signature: Buffer.from('pkcs7 signature').toString('base64'),
    header: {
      ephemeralPublicKey: Buffer.from('ephemeral key').toString('base64'),
      publicKeyHash: Buffer.from('hash').toString('base64'),
      transactionId: 'c1caf5ae72f0039a82bad92b828363734f85bf2f9cadf193d1bad9ddcb60a795',
    },
  }),
).toString('base64');

/** An online payment cryptogram's shape. */
export const ONLINE_CRYPTOGRAM = Buffer.from('0123456789abcdefghij').toString('base64');

/** `app.request` or `fetch` against a running sandbox, behind one signature. */
export type Fetcher = (path: string, init?: RequestInit) => Promise<Response>;

/** The fields of a token request, all as text. */
export type TokenForm = Record<string, string>;

/**
 * A complete, valid token form for an invoice and amount.
 *
 * @example
 * ```ts
 * tokenForm('000000100001', '100');
 * ```
 */
export function tokenForm(invoiceId: string, amount: string, currency = 'KZT'): TokenForm {
  return {
    grant_type: 'client_credentials',
    scope: TOKEN_SCOPE,
    client_id: SANDBOX_EPAY.clientId,
    client_secret: SANDBOX_EPAY.clientSecret,
    invoiceID: invoiceId,
    amount,
    currency,
    terminal: SANDBOX_EPAY.terminalId,
  };
}

/**
 * Asks for a token and returns it, failing the test if the bank refuses.
 *
 * @example
 * ```ts
 * const token = await getToken(fetcher, '000000100001', 100);
 * ```
 */
export async function getToken(fetcher: Fetcher, invoiceId: string, amount: number, currency = 'KZT'): Promise<string> {
  const res = await fetcher('/oauth2/token', {
    method: 'POST',
    body: new URLSearchParams(tokenForm(invoiceId, String(amount), currency)),
  });
  if (res.status !== 200) throw new Error(`token request answered ${res.status}: ${await res.text()}`);
  const body = (await res.json()) as { access_token: string };
  return body.access_token;
}

/**
 * A terminal token's form: the token form less `invoiceID`, `amount` and `currency`.
 *
 * @example
 * ```ts
 * new URLSearchParams(terminalTokenForm());
 * ```
 */
export function terminalTokenForm(): TokenForm {
  const { invoiceID: _invoiceId, amount: _amount, currency: _currency, ...form } = tokenForm('000000100001', '100');
  return form;
}

/**
 * Asks for a terminal token (the status call's and the operations') and returns it, failing the test if the bank refuses.
 *
 * @example
 * ```ts
 * const token = await getTerminalToken(fetcher);
 * ```
 */
export async function getTerminalToken(fetcher: Fetcher): Promise<string> {
  const res = await fetcher('/oauth2/token', { method: 'POST', body: new URLSearchParams(terminalTokenForm()) });
  if (res.status !== 200) throw new Error(`terminal token request answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

/**
 * POSTs an operation on a payment id with a token; `query` goes after `?` as given, `body` is sent as JSON.
 *
 * @example
 * ```ts
 * const res = await postOperation(fetcher, token, paymentId, 'refund', { query: 'amount=40&externalID=r-1' });
 * ```
 */
export function postOperation(
  fetcher: Fetcher,
  token: string,
  paymentId: string,
  kind: 'charge' | 'cancel' | 'refund',
  input: { query?: string; body?: unknown } = {},
): Promise<Response> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (input.body !== undefined) headers['content-type'] = 'application/json';
  return fetcher(`/operation/${encodeURIComponent(paymentId)}/${kind}${input.query ? `?${input.query}` : ''}`, {
    method: 'POST',
    headers,
    ...(input.body !== undefined ? { body: JSON.stringify(input.body) } : {}),
  });
}

/**
 * A valid decrypt-mode cryptopay body.
 *
 * @example
 * ```ts
 * const body = cryptopayBody(publicKey, { invoiceId: '000000100001', amount: 100, pan: '4400430000000000' });
 * ```
 */
export function cryptopayBody(
  publicKey: KeyObject,
  payment: { invoiceId: string; amount: number; pan?: string; currency?: string },
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const passthrough = payment.pan === undefined;
  return {
    amount: payment.amount,
    currency: payment.currency ?? 'KZT',
    name: 'Arman Ali',
    cryptogram: encryptCryptogram(
      publicKey,
      passthrough ? PASSTHROUGH_CRYPTOGRAM_TEXT : cardCryptogramText(payment.pan ?? ''),
    ),
    cryptogramApplePay: passthrough ? APPLE_PAYMENT_DATA_BASE64 : ONLINE_CRYPTOGRAM,
    invoiceId: payment.invoiceId,
    description: 'Payment by ApplePay',
    email: 'armanali@example.com',
    phone: '+77771232380',
    paymentType: 'applePay',
    cardSave: false,
    ...extra,
  };
}

/**
 * POSTs a cryptopay call with a token.
 *
 * @example
 * ```ts
 * const res = await postCryptopay(fetcher, token, body);
 * ```
 */
export function postCryptopay(fetcher: Fetcher, token: string, body: unknown): Promise<Response> {
  return fetcher('/payment/cryptopay', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
}

let invoiceCounter = 0;

/**
 * A fresh invoice number whose last six digits are unique within the test file run.
 *
 * @example
 * ```ts
 * nextInvoiceId(); // '700000000001'
 * ```
 */
export function nextInvoiceId(): string {
  invoiceCounter += 1;
  return `7${String(process.pid % 100000).padStart(5, '0')}${String(invoiceCounter).padStart(6, '0')}`;
}

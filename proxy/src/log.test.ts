/**
 * The logger: `sanitize`, the last line of defence (what it must redact whatever field it comes in, and what it keeps),
 * and `createLogger`, the pino-backed line writer (redaction of every secret at any depth, levels, the line's shape).
 */
import { describe, expect, it } from 'vitest';
import { createLogger, type LogLevel, type LogRecord, sanitize } from './log.js';

/** Where the proxy's own secrets would sit in a line, were a caller to pass the object whole. */
const SECRET_PLACES = [
  ...[
    'authorization',
    'Authorization',
    'cookie',
    'token',
    'access_token',
    'order',
    'paymentData',
    'cryptogram',
    'onlinePaymentCryptogram',
    'applicationPrimaryAccountNumber',
    'pan',
    'paRes',
    'PaRes',
    'MD',
    'clientSecret',
    'client_secret',
    'orderSigningSecret',
    'operationsApiKeys',
    'signingSecrets',
    'privateKey',
    'keyPem',
    'redisUrl',
    'EPAY_CLIENT_SECRET',
    'ORDER_SIGNING_SECRET',
    'WEBHOOK_SIGNING_SECRET',
    'OPERATIONS_API_KEYS',
    'REDIS_URL',
  ],
  'headers.authorization',
  'headers.cookie',
  'headers.x-api-key',
  'req.headers.authorization',
  'payment.token.paymentData',
  'token.paymentData',
  'paymentData.data',
  'card.cryptogram',
  'card.pan',
  'card.applicationPrimaryAccountNumber',
  'decrypted.applicationPrimaryAccountNumber',
  'decrypted.paymentData.onlinePaymentCryptogram',
  'epay.clientSecret',
  'config.epay.clientSecret',
  'config.orderSigningSecret',
  'config.operationsApiKeys',
  'config.redisUrl',
  'config.apple.identityKeyPem',
  'apple.identityKeyPem',
  'config.webhooks.signingSecrets',
  'webhooks.signingSecrets',
  'env.EPAY_CLIENT_SECRET',
  'env.ORDER_SIGNING_SECRET',
  'env.WEBHOOK_SIGNING_SECRET',
  'env.OPERATIONS_API_KEYS',
  'env.REDIS_URL',
];

const PAN = '4400430100000001';
const CRYPTOGRAM = 'AMwBRjPWDnAgAA7Rls7mAoABFA=='; // a real online payment cryptogram (20 bytes)

describe('sanitize', () => {
  it.each([
    ['a PAN', `card ${PAN} refused`],
    ['a 19-digit PAN', '6250947000000014123'],
    ['an online payment cryptogram', CRYPTOGRAM],
    ['a base64 blob (a token, paymentData)', Buffer.from('x'.repeat(60)).toString('base64url')],
    ['a bearer token', 'Authorization: Bearer DCEB8O_ZM5U7SO'],
    ['PEM material', '-----BEGIN EC PRIVATE KEY-----'],
  ])('redacts %s in any untrusted field, and in reason and path', (_name, value) => {
    expect(sanitize({ extra: value, reason: value, path: `/x/${value}` })).toEqual({
      extra: '[redacted]',
      reason: '[redacted]',
      path: '[redacted]',
    });
  });

  it('keeps ordinary values and the trusted fields as they are, and drops undefined', () => {
    const record = {
      method: 'POST',
      path: '/applepay/payments',
      status: 402,
      outcome: 'declined',
      code: 'declined',
      bankCode: 51,
      invoiceId: '000123456',
      reason: 'refused: 51',
      ms: 12,
      gone: undefined,
    };
    const { gone: _gone, ...kept } = record;
    expect(sanitize(record)).toEqual(kept);
  });

  it('keeps a trusted field long by construction (a request id), but never lets reason or path carry a secret', () => {
    const reqId = 'a'.repeat(48);
    expect(sanitize({ reqId })).toEqual({ reqId });
    expect(sanitize({ reason: `cryptopay refused ${PAN}` }).reason).toBe('[redacted]');
  });

  it('does not treat a 6 to 11 digit invoice or an amount as a PAN', () => {
    expect(sanitize({ note: 'invoice 00012345678 amount 1500.51' })).toEqual({
      note: 'invoice 00012345678 amount 1500.51',
    });
  });
});

/** A logger writing into an array, one parsed line per record written. */
function capture(level: LogLevel = 'debug') {
  const raw: string[] = [];
  const log = createLogger({ level, destination: { write: (line: string) => void raw.push(line) } });
  return { log, raw, lines: () => raw.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

/** Every secret the proxy holds or may be handed, by the name it would come under and a value of its shape. */
const SECRETS: Record<string, string> = {
  authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.operations.key',
  cookie: 'session=shh-cookie-value',
  order: 'eyJhbGciOiJIUzI1NiJ9.eyJpbnZvaWNlSWQiOiIxMjMifQ.c2lnbmF0dXJl',
  paymentData: 'opaque-apple-payment-data-blob',
  data: Buffer.from('y'.repeat(90)).toString('base64'),
  cryptogram: 'cryptogram-value-short',
  onlinePaymentCryptogram: CRYPTOGRAM,
  applicationPrimaryAccountNumber: 'device-pan-as-text',
  applicationExpirationDate: '291231',
  clientSecret: 'epay-client-secret-value',
  client_secret: 'epay-client-secret-form-field',
  EPAY_CLIENT_SECRET: 'epay-client-secret-env',
  orderSigningSecret: 'order-signing-secret-value',
  ORDER_SIGNING_SECRET: 'order-signing-secret-env',
  operationsApiKeys: 'operations-api-key-value',
  OPERATIONS_API_KEYS: 'operations-api-keys-env',
  signingSecrets: 'webhook-signing-secret-value',
  WEBHOOK_SIGNING_SECRET: 'webhook-signing-secret-env',
  'x-api-key': 'x-api-key-value',
  apiKey: 'api-key-value',
  privateKey: 'private-key-value',
  identityKeyPem: '-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY-----',
  keyPem: 'processing-key-pem-value',
  redisUrl: 'rediss://:redis-password@redis.internal:6380',
  REDIS_URL: 'rediss://:redis-password-env@redis.internal:6380',
  access_token: 'bank-access-token-value',
  token: 'a-token-value',
  PaRes: 'pares-value-from-the-acs',
  MD: 'md-value-from-the-bank',
  password: 'hunter2-password',
};
/** Values that must go whatever field they come in: their shape gives them away. */
const SHAPES = [PAN, CRYPTOGRAM, 'Bearer DCEB8O_ZM5U7SO', '-----BEGIN PRIVATE KEY-----', 'Q'.repeat(44)];

describe('createLogger', () => {
  it('writes no secret, by name at any depth or by shape in any field, and keeps the facts around them', () => {
    const { log, raw, lines } = capture();
    const nested = (depth: number): LogRecord => {
      let v: LogRecord = { ...SECRETS, shapes: SHAPES, kept: `depth ${depth}` };
      for (let i = 0; i < depth; i++) v = { inner: v, list: [v], kept: `depth ${depth - i - 1}` };
      return v;
    };
    log({ level: 'info', msg: 'a record full of secrets', status: 200, ...SECRETS, shapes: SHAPES, nested: nested(2) });
    log({ level: 'warn', msg: 'headers', headers: { authorization: SECRETS.authorization!, accept: 'json' } });
    log({
      level: 'error',
      msg: 'config',
      config: { epay: { clientSecret: SECRETS.clientSecret!, terminalId: 't-1' } },
    });
    log({ level: 'info', msg: 'card', card: { pan: PAN, cryptogram: CRYPTOGRAM, last4: '0001' } });
    log({ level: 'info', msg: 'the payment', payment: { token: { paymentData: { data: SECRETS.data! } } } });
    log({ level: 'info', msg: 'too deep', a: { b: { c: { d: { e: { f: 'unknown-deep-value' } } } } } });
    const text = raw.join('');
    for (const value of [...Object.values(SECRETS), ...SHAPES]) expect(text).not.toContain(value);
    expect(text).not.toContain('redis-password');
    expect(text).not.toContain('unknown-deep-value'); // a field nested that deep is not a fact: its contents are unknown
    const [first, headers, config, card] = lines();
    expect(first).toMatchObject({
      level: 'info',
      msg: 'a record full of secrets',
      status: 200,
      clientSecret: '[redacted]',
    });
    expect(JSON.stringify(first)).toContain('"kept":"depth 0"');
    expect(headers).toMatchObject({ headers: { authorization: '[redacted]', accept: 'json' } });
    expect(config).toMatchObject({
      level: 'error',
      config: { epay: { clientSecret: '[redacted]', terminalId: 't-1' } },
    });
    expect(card).toMatchObject({ card: { pan: '[redacted]', cryptogram: '[redacted]', last4: '0001' } });
  });

  it("censors a secret at each place the proxy keeps one: settings, headers, Apple's token, the card, the env", () => {
    const { log, raw } = capture();
    for (const path of SECRET_PLACES) {
      const keys = path.split('.');
      const record: LogRecord = { level: 'info', msg: 'x' };
      let at = record as Record<string, unknown>;
      for (const k of keys.slice(0, -1)) at = (at[k] = {}) as Record<string, unknown>;
      at[keys.at(-1)!] = `secret-at-${path}`;
      log(record);
    }
    expect(raw).toHaveLength(SECRET_PLACES.length);
    expect(raw.join('')).not.toContain('secret-at-');
  });

  it('writes one JSON line per record: level as a label, time in ISO 8601, msg and the fields kept', () => {
    const { log, raw, lines } = capture();
    log({
      level: 'info',
      method: 'POST',
      path: '/applepay/payments',
      status: 200,
      ms: 12.5,
      reqId: 'r-1',
      gone: undefined,
    });
    log({ msg: 'no level given' });
    expect(raw).toHaveLength(2);
    expect(raw.every((l) => l.endsWith('\n') && !l.slice(0, -1).includes('\n'))).toBe(true);
    const [line, plain] = lines();
    expect(line).toEqual({
      level: 'info',
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      method: 'POST',
      path: '/applepay/payments',
      status: 200,
      ms: 12.5,
      reqId: 'r-1',
    });
    expect(plain).toMatchObject({ level: 'info', msg: 'no level given' });
    expect(raw[0]!.match(/"level"/g)).toHaveLength(1);
  });

  it.each([
    ['debug', ['debug', 'info', 'warn', 'error']],
    ['info', ['info', 'warn', 'error']],
    ['warn', ['warn', 'error']],
    ['error', ['error']],
  ] as const)('LOG_LEVEL=%s writes only %j', (level, written) => {
    const { log, lines } = capture(level);
    for (const l of ['debug', 'info', 'warn', 'error']) log({ level: l, msg: l });
    expect(lines().map((l) => l.level)).toEqual(written);
    expect(lines().map((l) => l.msg)).toEqual(written);
  });
});

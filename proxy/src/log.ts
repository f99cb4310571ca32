/**
 * @module Structured logs: one JSON line per call, written by pino (docs/settings.md, "Logs"). Callers pass only
 * known-safe fields; `sanitize` stands behind them on every line: it drops the value of any field named like a secret,
 * at any depth, and any string that looks like a PAN, a base64 blob, a bearer token or a PEM block. (pino's own
 * `redact` is not used: its paths could only name keys `sanitize` has already censored by then.)
 */
import { pino, type DestinationStream } from 'pino';

/** A field's value: what JSON can carry. */
export type LogValue =
  | string
  | number
  | boolean
  | null
  | undefined
  | readonly LogValue[]
  | { readonly [field: string]: LogValue };

export interface LogRecord {
  [field: string]: LogValue;
}

/** The proxy's logger: one record, one line. Tests and benchmarks pass their own (`(r) => logs.push(r)`). */
export type Logger = (record: LogRecord) => void;

/** `LOG_LEVEL`'s values, least severe first. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const DEFAULT_LOG_LEVEL: LogLevel = 'info';

/** What replaces a secret in a line. */
export const REDACTED = '[redacted]';
/** Nested values deeper than this are not logged: a log field is a fact, not a document. */
const MAX_DEPTH = 4;

/** Values that never belong in a log line, whatever field they come in. */
const SECRET_SHAPES: RegExp[] = [
  /\b\d{12,19}\b/, // a PAN or device PAN
  /-----BEGIN [A-Z ]+-----/, // PEM material
  /\bBearer\s+\S+/i,
  /[A-Za-z0-9+/_-]{40,}={0,2}/, // base64 blobs: tokens, paymentData
  /[A-Za-z0-9+/]{20,}={1,2}/, // padded base64 from 15 bytes: an online payment cryptogram is 20 bytes, 28 characters
];

/** Whether a string has the shape of a secret (a PAN, a blob, a bearer token, a PEM block). */
export function looksSecret(value: string): boolean {
  for (const re of SECRET_SHAPES) if (re.test(value)) return true;
  return false;
}

/**
 * Field names (lower case, without `_`, `-` or `.`) whose value is dropped whatever it looks like: every secret the
 * proxy holds or could be handed. See `config.ts` for the settings behind them.
 */
const SECRET_KEYS = new Set(
  [
    // HTTP credentials
    'authorization',
    'proxy-authorization',
    'cookie',
    'set-cookie',
    'x-api-key',
    'api_key',
    'apiKey',
    'apiKeys',
    'bearer',
    'password',
    'passwd',
    'secret',
    'secrets',
    // the bank (EPAY_CLIENT_SECRET) and its tokens
    'client_secret',
    'clientSecret',
    'EPAY_CLIENT_SECRET',
    'token',
    'access_token',
    'refresh_token',
    'id_token',
    // the order token (ORDER_SIGNING_SECRET signs it) and the sealed contexts
    'order',
    'orderToken',
    'orderSigningSecret',
    'ORDER_SIGNING_SECRET',
    'ctx',
    // Apple's token and what it decrypts to
    'paymentData',
    'cryptogram',
    'onlinePaymentCryptogram',
    'applicationPrimaryAccountNumber',
    'applicationExpirationDate',
    'pan',
    'cardNumber',
    'cvc',
    'cvv',
    'signature',
    // 3-D Secure fields
    'paReq',
    'paRes',
    'md',
    // keys: Apple's identity and processing keys (APPLE_IDENTITY_KEY, APPLE_PROCESSING_KEY), PEM text
    'key',
    'privateKey',
    'keyPem',
    'identityKeyPem',
    'pem',
    // the operations API (OPERATIONS_API_KEYS), events (WEBHOOK_SIGNING_SECRET), Redis (REDIS_URL may hold a password)
    'operationsApiKeys',
    'OPERATIONS_API_KEYS',
    'signingSecret',
    'signingSecrets',
    'WEBHOOK_SIGNING_SECRET',
    'redisUrl',
    'REDIS_URL',
  ].map(normalizeKey),
);

function normalizeKey(key: string): string {
  return key.toLowerCase().replace(/[-_.]/g, '');
}

/** Whether a field's name says it holds a secret. */
export function isSecretKey(key: string): boolean {
  return SECRET_KEYS.has(normalizeKey(key));
}

/** Fields whose values are safe by construction and may be long (request ids, paths). */
const TRUSTED_FIELDS = new Set([
  'time',
  'level',
  'msg',
  'method',
  'path',
  'status',
  'ms',
  'outcome',
  'code',
  'invoiceId',
  'bankCode',
  'reason',
  'reqId',
]);

function cleanValue(key: string, v: LogValue, depth: number, top: boolean): LogValue {
  if (typeof v === 'string') {
    if (top && TRUSTED_FIELDS.has(key) && key !== 'reason' && key !== 'path') return v;
    return looksSecret(v) ? REDACTED : v;
  }
  if (v === null || typeof v !== 'object') return v;
  if (depth >= MAX_DEPTH) return REDACTED;
  if (Array.isArray(v)) return v.map((x: LogValue) => cleanValue('', x, depth + 1, false));
  const proto = Object.getPrototypeOf(v);
  // A Buffer, an Error, a class instance: not a log field; its contents are unknown.
  if (proto !== Object.prototype && proto !== null) return REDACTED;
  const out: Record<string, LogValue> = {};
  for (const k of Object.keys(v)) {
    const x = (v as Record<string, LogValue>)[k];
    if (x === undefined) continue;
    out[k] = isSecretKey(k) ? REDACTED : cleanValue(k, x, depth + 1, false);
  }
  return out;
}

/**
 * The last line of defence of every line: drops undefined fields, censors a field named like a secret (at any
 * depth) and any string that looks like one, except in the trusted fields that are safe by construction.
 *
 * @example
 * ```ts
 * sanitize({ status: 402, note: 'card 4400430100000001' }); // { status: 402, note: '[redacted]' }
 * ```
 */
export function sanitize(record: LogRecord): LogRecord {
  return sanitizeFields(record, false);
}

function sanitizeFields(record: LogRecord, withoutLevel: boolean): LogRecord {
  const out: LogRecord = {};
  for (const k of Object.keys(record)) {
    const v = record[k];
    if (v === undefined || (withoutLevel && k === 'level')) continue;
    out[k] = isSecretKey(k) ? REDACTED : cleanValue(k, v, 0, true);
  }
  return out;
}

export interface LoggerOptions {
  /** Least severe level written; default `info`. */
  level?: LogLevel;
  /** Where lines go; default stdout (synchronous writes: no line is lost when the process exits). */
  destination?: DestinationStream;
}

/** A record's level, as pino names it; anything else is `info`. */
function levelOf(v: LogValue): LogLevel {
  return v === 'debug' || v === 'warn' || v === 'error' ? v : 'info';
}

/**
 * The proxy's logger: one JSON line per record through pino, `{"level":"info","time":"<ISO 8601>",…fields}`, the
 * record's `level` as pino's label, its `msg` kept, its other fields sanitized. Records below `level`
 * cost only a comparison.
 *
 * @example
 * ```ts
 * const log = createLogger({ level: config.logLevel });
 * log({ level: 'warn', msg: 'bank slow', ms: 5200 });
 * ```
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const logger = pino(
    {
      level: options.level ?? DEFAULT_LOG_LEVEL,
      // No pid or hostname in every line: the process manager knows them.
      base: undefined,
      messageKey: 'msg',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
  return (record) => {
    const level = levelOf(record.level);
    if (!logger.isLevelEnabled(level)) return;
    // pino writes the level itself (the record's own would be a second `level` key).
    logger[level](sanitizeFields(record, true));
  };
}

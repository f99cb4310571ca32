/**
 * @module Structured logs: one JSON line per request. Callers pass only known-safe fields; `sanitize` is the last
 * line of defence and drops any value that looks like a PAN, a base64 blob, a bearer token or a PEM block.
 */

export interface LogRecord {
  [field: string]: string | number | boolean | undefined;
}

export type Logger = (record: LogRecord) => void;

/** Values that never belong in a log line, whatever field they come in. */
const SECRET_SHAPES: RegExp[] = [
  /\b\d{12,19}\b/, // a PAN or device PAN
  /-----BEGIN [A-Z ]+-----/, // PEM material
  /\bBearer\s+\S+/i,
  /[A-Za-z0-9+/_-]{40,}={0,2}/, // base64 blobs: tokens, paymentData
  /[A-Za-z0-9+/]{20,}={1,2}/, // padded base64 from 15 bytes: an online payment cryptogram is 20 bytes, 28 characters
];

/** Fields whose values are safe by construction and may be long (request ids, paths). */
const TRUSTED_FIELDS = new Set([
  't',
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

export function sanitize(record: LogRecord): LogRecord {
  const out: LogRecord = {};
  for (const [k, v] of Object.entries(record)) {
    if (v === undefined) continue;
    if (typeof v === 'string' && (!TRUSTED_FIELDS.has(k) || k === 'reason' || k === 'path')) {
      out[k] = SECRET_SHAPES.some((re) => re.test(v)) ? '[redacted]' : v;
    } else {
      out[k] = v;
    }
  }
  return out;
}

/** The default logger: one JSON line on stdout. */
export const jsonLineLogger: Logger = (record) => {
  process.stdout.write(`${JSON.stringify({ t: new Date().toISOString(), ...sanitize(record) })}\n`);
};

/** @module The request id: the caller's `X-Request-Id` when it is sane, else a new one; logged and sent back. */
import { randomUUID } from 'node:crypto';
import { looksSecret } from '../log.js';

export const REQUEST_ID_HEADER = 'x-request-id';
/** What an id may be: 1 to 128 characters that need no quoting in a log line or a header. */
const SANE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The id of a request: the one it came with when that is 1 to 128 of `A-Z a-z 0-9 . _ : -` and does not look like a
 * secret (a PAN, a long base64 run), else a random UUID. An id is logged and answered back, so it must never be able to
 * carry a card number or a token.
 *
 * @example
 * ```ts
 * requestIdOf(c.req.header('x-request-id')); // 'lb-7f3a…' as sent, or a fresh UUID
 * ```
 */
export function requestIdOf(sent: string | undefined): string {
  return sent !== undefined && SANE_ID.test(sent) && !looksSecret(sent) ? sent : randomUUID();
}

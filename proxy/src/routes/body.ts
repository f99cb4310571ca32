/** @module Reads a JSON request body; anything unreadable, or nested deeper than any request needs, is `invalid_request`. */
import type { Context } from 'hono';
import { ProxyError } from '../errors.js';

/**
 * Deepest nesting of arrays and objects in a request body. The deepest real one is a payment's
 * `payment.token.paymentMethod.billingContact.addressLines`, six levels. JSON.parse takes tens of thousands of levels,
 * but a recursive step after it overflows the stack (JSON.stringify of `paymentData` for the bank did: a 500 after the
 * payment had claimed its invoice and its token's replay key).
 */
export const MAX_JSON_DEPTH = 16;

/**
 * Whether a parsed JSON value nests arrays and objects deeper than `max`. Iterative (an explicit stack), as anything
 * recursive over such a value is what overflows; JSON.parse itself is iterative in V8 and the body is at most 64 KiB.
 *
 * @example
 * ```ts
 * nestsDeeperThan(JSON.parse('{"a":[[1]]}'), 2); // true: an object, an array, an array
 * nestsDeeperThan(JSON.parse('{"a":"[[[["}'), 2); // false
 * ```
 */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  const values: unknown[] = [value];
  const depths: number[] = [1];
  while (values.length > 0) {
    const v = values.pop();
    const depth = depths.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (child !== null && typeof child === 'object') {
        values.push(child);
        depths.push(depth + 1);
      }
    }
  }
  return false;
}

/**
 * Reads the request's body as JSON.
 *
 * @example
 * ```ts
 * const body = await readJsonBody(c); // unknown: check its shape next
 * ```
 * @throws {ProxyError} `invalid_request` when the body cannot be read, is not JSON, or nests deeper than `MAX_JSON_DEPTH`.
 */
export async function readJsonBody(c: Context): Promise<unknown> {
  let text: string;
  try {
    text = await c.req.text();
  } catch {
    throw new ProxyError('invalid_request', 'The body could not be read');
  }
  let body: unknown;
  try {
    body = JSON.parse(text) as unknown;
  } catch {
    throw new ProxyError('invalid_request', 'The body must be JSON');
  }
  if (nestsDeeperThan(body, MAX_JSON_DEPTH)) {
    throw new ProxyError('invalid_request', `The body nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels`);
  }
  return body;
}

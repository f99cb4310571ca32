/** @module Reads a JSON request body; anything unreadable is `invalid_request`. */
import type { Context } from 'hono';
import { ProxyError } from '../errors.js';

export async function readJsonBody(c: Context): Promise<unknown> {
  let text: string;
  try {
    text = await c.req.text();
  } catch {
    throw new ProxyError('invalid_request', 'The body could not be read');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ProxyError('invalid_request', 'The body must be JSON');
  }
}

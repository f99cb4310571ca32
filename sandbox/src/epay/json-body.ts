/** @module Reading a JSON request body the way a strict API does. */
import type { SandboxContext } from './http-context.js';

/**
 * The parsed JSON body, or `undefined` when the content type is not `application/json` or the
 * text is not JSON.
 *
 * @example
 * ```ts
 * const body = await readJsonBody(c);
 * if (body === undefined) return refuse('body: must be JSON');
 * ```
 */
export async function readJsonBody(c: SandboxContext): Promise<{ value: unknown } | undefined> {
  const mediaType = c.req.header('content-type')?.split(';')[0]?.trim().toLowerCase();
  if (mediaType !== 'application/json') return undefined;
  try {
    return { value: JSON.parse(await c.req.text()) as unknown };
  } catch {
    return undefined;
  }
}

/**
 * A string field of a body that may not be an object, for labelling errors and calls.
 *
 * @example
 * ```ts
 * stringField(body, 'invoiceId'); // '000000123456' or undefined
 * ```
 */
export function stringField(body: unknown, key: string): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const value = (body as Record<string, unknown>)[key];
  return typeof value === 'string' ? value : undefined;
}

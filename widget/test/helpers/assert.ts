/** @module A tiny assertion library: no dependency, so the same files run in any engine the runner drives. */

/** Thrown by every assertion; mocha prints its message. */
export class AssertionError extends Error {
  override name = 'AssertionError';
}

function show(value: unknown): string {
  try {
    return typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  } catch {
    return String(value);
  }
}

/**
 * Fails unless `value` is truthy.
 *
 * @example
 * ok(el.hasAttribute('available'), 'the button is shown');
 */
export function ok(value: unknown, message = 'expected a truthy value'): asserts value {
  if (!value) throw new AssertionError(`${message} (got ${show(value)})`);
}

/**
 * Fails unless `actual` is `expected` (Object.is).
 *
 * @example
 * equal(event.detail.code, 'timeout');
 */
export function equal<T>(actual: T, expected: T, message = ''): void {
  if (!Object.is(actual, expected)) {
    throw new AssertionError(`${message ? `${message}: ` : ''}expected ${show(expected)}, got ${show(actual)}`);
  }
}

/**
 * Fails unless both values have the same structure (plain objects, arrays, primitives).
 *
 * @example
 * deepEqual(request.supportedNetworks, ['visa', 'masterCard']);
 */
export function deepEqual(actual: unknown, expected: unknown, message = ''): void {
  if (!same(actual, expected)) {
    throw new AssertionError(`${message ? `${message}: ` : ''}expected ${show(expected)}, got ${show(actual)}`);
  }
}

function same(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/**
 * Fails unless `fn` throws an error whose `name` is `name` (and whose message matches `message`, when given).
 *
 * @example
 * throws(() => session.begin(), 'InvalidAccessError');
 * throws(() => session.authorize(), 'Error', /shows errors/);
 */
export function throws(fn: () => unknown, name: string, message?: RegExp): void {
  try {
    fn();
  } catch (e) {
    equal((e as Error).name, name, 'error name');
    if (message) ok(message.test((e as Error).message), `error message ${(e as Error).message} matches ${message}`);
    return;
  }
  throw new AssertionError(`expected ${name} to be thrown`);
}

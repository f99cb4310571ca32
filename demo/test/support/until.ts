/** @module Retrying an assertion on a page value until it holds (neither driver has web-first assertions). */
import { expect } from 'vitest';

/** Longer than any step of a payment against the sandbox on a slow machine. */
const UNTIL_TIMEOUT_MS = 15_000;
const UNTIL_INTERVAL_MS = 100;

/**
 * `expect.poll` with the end-to-end tests' patience.
 *
 * @example
 * await until(() => page.text('#total')).toBe('5,900.00 KZT');
 */
export function until<T>(read: () => Promise<T>) {
  return expect.poll(read, { timeout: UNTIL_TIMEOUT_MS, interval: UNTIL_INTERVAL_MS });
}

/** @module How an outbound call ended, as the metrics label it: a bounded set, whatever the other side answers. */

/**
 * `ok` for a 2xx answer, the status class of any other answer, `timeout` when no answer came in time, `network` when
 * the connection failed, `invalid` for an answer that could not be used (too large, not JSON).
 */
export type CallResult = 'ok' | '1xx' | '3xx' | '4xx' | '5xx' | 'timeout' | 'network' | 'invalid';

/**
 * @example
 * ```ts
 * resultOfStatus(200); // 'ok'
 * resultOfStatus(503); // '5xx'
 * ```
 */
export function resultOfStatus(status: number): CallResult {
  if (status >= 200 && status < 300) return 'ok';
  if (status >= 300 && status < 400) return '3xx';
  if (status >= 400 && status < 500) return '4xx';
  if (status >= 500 && status < 600) return '5xx';
  return status >= 100 && status < 200 ? '1xx' : 'invalid';
}

/** @module The proxy's one error type and its fixed set of codes; `onError` maps it to the JSON error shape. */

/** Every error code the proxy's HTTP API can answer with, and its HTTP status. */
export const ERROR_STATUS = {
  invalid_request: 400,
  invalid_order: 400,
  order_expired: 400,
  token_invalid: 400,
  token_expired: 400,
  amount_mismatch: 400,
  invalid_validation_url: 400,
  origin_not_allowed: 403,
  not_found: 404,
  method_not_allowed: 405,
  payment_in_progress: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal_error: 500,
  bank_unavailable: 502,
  apple_unavailable: 502,
  /** The shared store (Redis) did not answer: nothing was sent to the bank. */
  store_unavailable: 503,
  outcome_unknown: 504,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/**
 * A failure the proxy answers with `{ status: "error", error: { code, message } }`.
 * The message is shown to the merchant's page: it never carries a PAN, a cryptogram, a token or a secret.
 */
export class ProxyError extends Error {
  override readonly name = 'ProxyError';
  readonly code: ErrorCode;
  readonly status: number;
  /** Extra headers for the answer (for example `Retry-After`). */
  readonly headers: Record<string, string> | undefined;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; headers?: Record<string, string> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = ERROR_STATUS[code];
    this.headers = options?.headers;
  }
}

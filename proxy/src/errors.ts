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
  /** Operations API: an amount that is not > 0, has more than two decimals, or is more than the payment allows. */
  invalid_amount: 400,
  /** Operations API: a `POST` without an `Idempotency-Key` header (or with one that is not 1 to 255 printable characters). */
  idempotency_key_required: 400,
  /** Operations API: no bearer key, or not one of `OPERATIONS_API_KEYS`. */
  unauthorized: 401,
  origin_not_allowed: 403,
  not_found: 404,
  /** Operations API: the bank holds no payment for the invoice (its status code 102). */
  payment_not_found: 404,
  method_not_allowed: 405,
  payment_in_progress: 409,
  /** Operations API: the payment's state does not allow the operation (`error.state` names it). */
  invalid_state: 409,
  /** Operations API: the bank refused the operation (`error.bankCode`, `error.message`). */
  operation_refused: 409,
  /** Operations API: an operation on this invoice (or with this idempotency key) is still running, or its outcome is unknown. */
  operation_in_progress: 409,
  /** Operations API: an idempotency key used again with another path or body. */
  idempotency_key_reused: 422,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal_error: 500,
  bank_unavailable: 502,
  apple_unavailable: 502,
  /** The shared store (Redis) did not answer: nothing was sent to the bank. */
  store_unavailable: 503,
  not_ready: 503,
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
  /** Extra fields of `error` in the answer (`state`, `bankCode`): never a secret. */
  readonly details: Record<string, string | number | null> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options?: { cause?: unknown; headers?: Record<string, string>; details?: Record<string, string | number | null> },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = ERROR_STATUS[code];
    this.headers = options?.headers;
    this.details = options?.details;
  }
}

/**
 * @module `@epay-applepay/proxy/webhooks`: the merchant's check of an event (docs/webhooks.md), and the event's types.
 * Pure and standalone: it loads `node:crypto` and `./signature.js`, no server dependency.
 */
import { timingSafeEqual } from 'node:crypto';
import { assertSecrets, parseSignatureHeader, signatureDigest, WEBHOOK_SIGNATURE_HEADER } from './signature.js';

export {
  parseSignatureHeader,
  signWebhook,
  WEBHOOK_SIGNATURE_HEADER,
  type ParsedSignatureHeader,
} from './signature.js';

/** How far, in seconds, the signature's `t` may be from the receiver's clock, either way, by default. */
export const DEFAULT_WEBHOOK_TOLERANCE_S = 300;

/** Every event type, in the contract's order. */
export const WEBHOOK_EVENT_TYPES = [
  'payment.paid',
  'payment.declined',
  'payment.charged',
  'payment.cancelled',
  'payment.refunded',
] as const;

/**
 * What an event reports: `payment.paid` (the bank holds or took the money), `payment.declined`, `payment.charged`
 * (an authorized payment captured), `payment.cancelled` (voided), `payment.refunded` (a full or partial refund).
 */
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** Every source of an event. */
export const WEBHOOK_SOURCES = ['payment', '3ds', 'notification', 'reconciliation', 'operation'] as const;

/**
 * Where the proxy learned the fact: its own `/applepay/payments` answer, the 3-D Secure callback, the bank's
 * notification (confirmed by the status call), its own later status call, or an operation.
 */
export type WebhookSource = (typeof WEBHOOK_SOURCES)[number];

/** The operations API's `Payment` (docs/operations-api.md); more fields may be added. */
export interface WebhookPayment {
  invoiceId: string;
  /** The bank's payment id. */
  id: string;
  amount: number;
  currency: string;
  /** `pending`, `authorized`, `charged`, `cancelled`, `refunded`, `declined` or `failed`. */
  state: string;
  /** The bank's `statusName`, as the bank wrote it. */
  bankStatus: string;
  reference: string;
  [field: string]: unknown;
}

/** The refund a `payment.refunded` event reports. */
export interface WebhookRefund {
  amount: number;
  externalId: string;
}

/** The body of an event. */
export interface WebhookEvent {
  /** Stable across retries of this event: dedupe on it. */
  id: string;
  type: WebhookEventType;
  /** When the fact was learned, in unix seconds. */
  created: number;
  data: { payment: WebhookPayment; source: WebhookSource; refund?: WebhookRefund };
}

/** Every reason {@link verifyWebhook} refuses a delivery, in the order it checks them. */
export const WEBHOOK_VERIFICATION_ERROR_CODES = [
  'signature_missing',
  'signature_mismatch',
  'timestamp_out_of_tolerance',
  'malformed',
] as const;

export type WebhookVerificationErrorCode = (typeof WEBHOOK_VERIFICATION_ERROR_CODES)[number];

/** A delivery that is not a genuine, fresh event. Its message names the check, never a secret or a signature. */
export class WebhookVerificationError extends Error {
  override readonly name = 'WebhookVerificationError';
  readonly code: WebhookVerificationErrorCode;
  constructor(code: WebhookVerificationErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

export interface VerifyWebhookOptions {
  /** Seconds the signature's `t` may differ from `now`, either way (default {@link DEFAULT_WEBHOOK_TOLERANCE_S}). */
  toleranceS?: number;
  /** The receiver's clock (default: now). */
  now?: Date;
}

/** Fails on bytes that are not UTF-8 rather than replacing them: such a body is no event. */
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Checks a delivery and returns its event; throws {@link WebhookVerificationError} otherwise. Checks, in order: the
 * header is there (`signature_missing`) and well-formed (`malformed`); one of its `v1` signatures is the HMAC of
 * `${t}.${rawBody}` under one of `secrets` (`signature_mismatch`); `t` is within `toleranceS` of `now`, either way
 * (`timestamp_out_of_tolerance`); the body is a JSON object with a string `id` and `type`, a number `created` and an
 * object `data` (`malformed`).
 *
 * `rawBody` must be the body exactly as received (a string, or the bytes, e.g. the `Buffer` of `express.raw`): a body
 * parsed and serialised again is not what was signed. While rotating, pass the old and the new secret. An empty
 * `secrets`, an empty secret, a parsed body or a bad option throws a `TypeError`: a mistake in the caller, not a
 * verification result.
 *
 * A newer proxy may send an event `type` this version does not list: keep a default branch.
 *
 * @example
 * ```ts
 * import express from 'express';
 * import { verifyWebhook, WebhookVerificationError } from '@epay-applepay/proxy/webhooks';
 *
 * app.post('/epay/events', express.raw({ type: 'application/json' }), (req, res) => {
 *   let event;
 *   try {
 *     event = verifyWebhook(req.body, req.get('epay-signature'), process.env.EPAY_WEBHOOK_SECRET!);
 *   } catch (err) {
 *     if (err instanceof WebhookVerificationError) return res.status(400).send(err.code);
 *     throw err;
 *   }
 *   res.sendStatus(204);
 *   queueForProcessing(event); // dedupe on event.id
 * });
 * ```
 */
export function verifyWebhook(
  rawBody: string | Uint8Array,
  signatureHeader: string | null | undefined,
  secrets: string | readonly string[],
  options: VerifyWebhookOptions = {},
): WebhookEvent {
  const secretList: readonly unknown[] = typeof secrets === 'string' ? [secrets] : secrets;
  assertSecrets(secretList);
  if (typeof rawBody !== 'string' && !(rawBody instanceof Uint8Array)) {
    throw new TypeError('verifyWebhook: rawBody must be the raw request body (a string or bytes), not a parsed object');
  }
  const toleranceS = options.toleranceS ?? DEFAULT_WEBHOOK_TOLERANCE_S;
  if (typeof toleranceS !== 'number' || !Number.isFinite(toleranceS) || toleranceS < 0) {
    throw new TypeError('verifyWebhook: toleranceS must be a non-negative number of seconds');
  }
  const nowMs = (options.now ?? new Date()).getTime();
  if (!Number.isFinite(nowMs)) throw new TypeError('verifyWebhook: now must be a valid Date');

  if (signatureHeader === undefined || signatureHeader === null || signatureHeader.trim?.() === '') {
    throw new WebhookVerificationError('signature_missing', `The ${WEBHOOK_SIGNATURE_HEADER} header is missing`);
  }
  // A header repeated may reach a caller as an array: that is not one signature header.
  const parsed = typeof signatureHeader === 'string' ? parseSignatureHeader(signatureHeader) : undefined;
  if (!parsed) {
    throw new WebhookVerificationError(
      'malformed',
      `The ${WEBHOOK_SIGNATURE_HEADER} header is malformed: expected t=<unix seconds>,v1=<64 hex characters>`,
    );
  }

  const given = parsed.v1.map((hex) => Buffer.from(hex, 'hex'));
  let matched = false;
  for (const secret of secretList) {
    const expected = signatureDigest(rawBody, secret, parsed.t);
    for (const signature of given) {
      // Every pair is compared in constant time, with no early exit: the time taken says nothing about how close a
      // forged signature came. The length check only guards timingSafeEqual; lengths are public.
      const equal = signature.length === expected.length && timingSafeEqual(signature, expected);
      matched ||= equal;
    }
  }
  if (!matched) {
    throw new WebhookVerificationError(
      'signature_mismatch',
      'No v1 signature matches a signing secret: check the secret, and verify the raw body as received',
    );
  }

  const skewS = Math.abs(nowMs - parsed.t * 1000) / 1000;
  if (skewS > toleranceS) {
    throw new WebhookVerificationError(
      'timestamp_out_of_tolerance',
      `The signature's timestamp is ${Math.round(skewS)} s away from this clock, more than ${toleranceS} s`,
    );
  }

  return parseEvent(rawBody);
}

/** The event in a verified body, or `malformed`. */
function parseEvent(rawBody: string | Uint8Array): WebhookEvent {
  let value: unknown;
  try {
    value = JSON.parse(typeof rawBody === 'string' ? rawBody : UTF8.decode(rawBody));
  } catch {
    throw new WebhookVerificationError('malformed', 'The body is not UTF-8 JSON');
  }
  if (!isObject(value)) throw new WebhookVerificationError('malformed', 'The body is not a JSON object');
  if (
    typeof value['id'] !== 'string' ||
    typeof value['type'] !== 'string' ||
    typeof value['created'] !== 'number' ||
    !Number.isFinite(value['created']) ||
    !isObject(value['data'])
  ) {
    throw new WebhookVerificationError(
      'malformed',
      'The body is not an event: it needs a string id and type, a number created and an object data',
    );
  }
  return value as unknown as WebhookEvent;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

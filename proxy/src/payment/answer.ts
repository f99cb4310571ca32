/** @module What the proxy answers for a payment, and the 3-D Secure context sealed into the `TermUrl`. */
import { createHash } from 'node:crypto';
import type { Order } from '../order.js';

/** How long the bank's 3-D Secure step may take before the callback is refused. */
export const THREE_DS_CONTEXT_TTL_MS = 30 * 60_000;

/** What the proxy answers for a payment (docs/proxy-http-api.md). */
export type PaymentAnswer =
  | { status: 'paid'; payment: { id: string; invoiceId: string; amount: number; currency: string; reference: string } }
  | { status: '3ds'; form: { action: string; fields: { PaReq: string; MD: string; TermUrl: string } } }
  | { status: 'declined'; error: { code: 'declined'; bankCode: number | null; message: string } };

/** The 3-D Secure context sealed into the `TermUrl`. */
export interface ThreeDsContext {
  /** The bank's payment id. */
  id: string;
  invoiceId: string;
  amount: number;
  currency: string;
  backLink?: string;
  failureBackLink?: string;
  /** {@link mdDigest} of the bank's `MD`: a callback post with another `MD` is refused before the bank is called. */
  mdHash?: string;
}

/**
 * Whether an unsealed value is a 3-D Secure context (it was sealed by this proxy, but perhaps by an older version).
 *
 * @example
 * ```ts
 * if (!isThreeDsContext(sealer.unseal(ctx))) refuse();
 * ```
 */
export function isThreeDsContext(v: unknown): v is ThreeDsContext {
  const o = v as Partial<ThreeDsContext> | null;
  return (
    !!o &&
    typeof o.id === 'string' &&
    typeof o.invoiceId === 'string' &&
    typeof o.amount === 'number' &&
    typeof o.currency === 'string' &&
    (o.mdHash === undefined || typeof o.mdHash === 'string')
  );
}

/**
 * The digest of a 3-D Secure `MD` that the sealed context carries, so a post with another payment's `MD` is refused
 * before the bank is called (a fixed size, whatever the bank's `MD`).
 *
 * @example
 * ```ts
 * const ctx = { ...context, mdHash: mdDigest(bankAnswer.md) };
 * ```
 */
export function mdDigest(md: string): string {
  return createHash('sha256').update(md).digest('base64url');
}

/**
 * @example
 * ```ts
 * paidAnswer(order, 'bank-id', '114537489258');
 * ```
 */
export function paidAnswer(order: Order, id: string, reference: string): PaymentAnswer {
  return {
    status: 'paid',
    payment: { id, invoiceId: order.invoiceId, amount: order.amount, currency: order.currency, reference },
  };
}

/**
 * @example
 * ```ts
 * declinedAnswer(51, 'Insufficient funds');
 * ```
 */
export function declinedAnswer(bankCode: number | undefined, message: string): PaymentAnswer {
  return {
    status: 'declined',
    error: { code: 'declined', bankCode: bankCode ?? null, message: message || 'Declined by the bank' },
  };
}

/** @module The eight fields of the bank's token form, checked exactly. */
import { isValidInvoiceId, parseAmountText, SUPPORTED_CURRENCIES } from './amount.js';
import type { TokenBinding } from './token-store.js';

/** The only grant the bank issues. */
export const TOKEN_GRANT_TYPE = 'client_credentials';
/** The bank's page asks for exactly this scope string. */
export const TOKEN_SCOPE = 'webapi usermanagement email_send verification statement statistics payment';
const TOKEN_FIELDS = [
  'grant_type',
  'scope',
  'client_id',
  'client_secret',
  'invoiceID',
  'amount',
  'currency',
  'terminal',
] as const;
/** A payment's token names these three; a terminal token (the status call's and the operations') names none. */
const PAYMENT_FIELDS: ReadonlySet<string> = new Set(['invoiceID', 'amount', 'currency']);

/** An OAuth 2.0 error (RFC 6749 §5.2), which is what the token endpoint answers with. */
export interface TokenRequestError {
  status: 400 | 401;
  error: 'invalid_request' | 'invalid_client' | 'unsupported_grant_type' | 'invalid_scope';
  description: string;
}

/** The credentials the bank expects. */
export interface TokenCredentials {
  clientId: string;
  clientSecret: string;
  terminalId: string;
}

/**
 * Checks the token form: every one of the eight fields present once as text, no others, the grant
 * and scope exact, the credentials right (401), the invoice 6-15 digits, the amount positive decimal
 * text with at most two places, a supported currency and our terminal. A terminal token's form has
 * the same fields less `invoiceID`, `amount` and `currency` (all three absent, or none).
 *
 * @example
 * ```ts
 * const checked = checkTokenRequest(formEntries, SANDBOX_EPAY);
 * if (!checked.ok) return c.json({ error: checked.error.error }, checked.error.status);
 * ```
 */
export function checkTokenRequest(
  entries: ReadonlyArray<[string, unknown]>,
  expected: TokenCredentials,
): { ok: true; binding: TokenBinding } | { ok: false; error: TokenRequestError } {
  const bad = (description: string): { ok: false; error: TokenRequestError } => ({
    ok: false,
    error: { status: 400, error: 'invalid_request', description },
  });
  const fields = new Map<string, string>();
  for (const [name, value] of entries) {
    if (!(TOKEN_FIELDS as readonly string[]).includes(name)) return bad(`unexpected field ${name}`);
    if (fields.has(name)) return bad(`field ${name} given more than once`);
    if (typeof value !== 'string') return bad(`field ${name} must be text`);
    fields.set(name, value);
  }
  const terminalOnly = ![...PAYMENT_FIELDS].some((name) => fields.has(name));
  const missing = TOKEN_FIELDS.filter((name) => !fields.has(name) && !(terminalOnly && PAYMENT_FIELDS.has(name)));
  if (missing.length > 0) return bad(`missing field(s) ${missing.join(', ')}`);
  const field = (name: (typeof TOKEN_FIELDS)[number]): string => fields.get(name) ?? '';

  if (field('grant_type') !== TOKEN_GRANT_TYPE) {
    return {
      ok: false,
      error: { status: 400, error: 'unsupported_grant_type', description: 'grant_type must be client_credentials' },
    };
  }
  if (field('scope') !== TOKEN_SCOPE) {
    return { ok: false, error: { status: 400, error: 'invalid_scope', description: 'scope is not the payment scope' } };
  }
  if (field('client_id') !== expected.clientId || field('client_secret') !== expected.clientSecret) {
    return { ok: false, error: { status: 401, error: 'invalid_client', description: 'client authentication failed' } };
  }
  if (terminalOnly) {
    if (field('terminal') !== expected.terminalId) return bad('terminal is not this client’s terminal');
    return { ok: true, binding: { terminal: expected.terminalId } };
  }
  const invoiceId = field('invoiceID');
  if (!isValidInvoiceId(invoiceId)) return bad('invoiceID must be 6 to 15 digits');
  const amount = parseAmountText(field('amount'));
  if (amount === undefined) return bad('amount must be a positive number with at most 2 decimals');
  const currency = field('currency');
  if (!SUPPORTED_CURRENCIES.has(currency)) return bad('currency is not supported');
  if (field('terminal') !== expected.terminalId) return bad('terminal is not this client’s terminal');
  return { ok: true, binding: { invoiceId, amount, currency, terminal: expected.terminalId } };
}

/** @module The shape of a cryptopay body, checked field by field as the bank would (the cryptogram itself is opened elsewhere). */
import { isValidAmount, isValidInvoiceId, SUPPORTED_CURRENCIES } from './amount.js';
import { isHttpUrl } from './http-url.js';

/** Free-text fields longer than this are refused rather than truncated. */
const MAX_TEXT_LENGTH = 1024;
/** ECI values are one or two digits (`05`, `07`, `7`, …). */
const ECI_PATTERN = /^\d{1,2}$/;
/** A plain address check: the bank sends receipts there. */
const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

const REQUIRED_FIELDS = [
  'amount',
  'currency',
  'name',
  'cryptogram',
  'cryptogramApplePay',
  'invoiceId',
  'paymentType',
  'cardSave',
] as const;
const OPTIONAL_TEXT_FIELDS = [
  'invoiceIdAlt',
  'description',
  'accountId',
  'email',
  'phone',
  'backLink',
  'failureBackLink',
  'postLink',
  'failurePostLink',
  'eci',
  // The bank's own SDK sends the terminal here as well as inside the cryptogram.
  'terminalId',
] as const;
const LINK_FIELDS = ['backLink', 'failureBackLink', 'postLink', 'failurePostLink'] as const;
const KNOWN_FIELDS: ReadonlySet<string> = new Set([...REQUIRED_FIELDS, ...OPTIONAL_TEXT_FIELDS]);

/** A well-formed cryptopay body. Optional text fields are `""` when absent. */
export interface CryptopayRequest {
  amount: number;
  currency: string;
  name: string;
  cryptogram: string;
  cryptogramApplePay: string;
  invoiceId: string;
  paymentType: 'applePay';
  cardSave: boolean;
  invoiceIdAlt: string;
  description: string;
  accountId: string;
  email: string;
  phone: string;
  backLink: string;
  failureBackLink: string;
  postLink: string;
  failurePostLink: string;
  eci: string;
  terminalId: string;
}

/**
 * Checks a parsed cryptopay body. The problem names the field and the rule, never the value.
 *
 * @example
 * ```ts
 * const checked = checkCryptopayRequest(JSON.parse(text));
 * if (!checked.ok) refuse(checked.problem); // e.g. 'amount: must be a positive number with at most 2 decimals'
 * ```
 */
export function checkCryptopayRequest(
  body: unknown,
): { ok: true; request: CryptopayRequest } | { ok: false; problem: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return { ok: false, problem: 'body: must be a JSON object' };
  const record = body as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!KNOWN_FIELDS.has(key)) return { ok: false, problem: `${key}: unknown field` };
  }
  for (const key of REQUIRED_FIELDS) {
    if (record[key] === undefined) return { ok: false, problem: `${key}: required` };
  }
  const { amount, currency, name, cryptogram, cryptogramApplePay, invoiceId, paymentType, cardSave } = record;
  if (!isValidAmount(amount))
    return { ok: false, problem: 'amount: must be a positive number with at most 2 decimals' };
  if (typeof currency !== 'string' || !SUPPORTED_CURRENCIES.has(currency))
    return { ok: false, problem: 'currency: not supported' };
  if (typeof name !== 'string' || name.length > MAX_TEXT_LENGTH)
    return { ok: false, problem: 'name: must be a string' };
  if (typeof cryptogram !== 'string' || cryptogram === '')
    return { ok: false, problem: 'cryptogram: must be a base64 string' };
  if (typeof cryptogramApplePay !== 'string' || cryptogramApplePay === '') {
    return { ok: false, problem: 'cryptogramApplePay: must be a non-empty string' };
  }
  if (!isValidInvoiceId(invoiceId)) return { ok: false, problem: 'invoiceId: must be 6 to 15 digits' };
  if (paymentType !== 'applePay') return { ok: false, problem: 'paymentType: must be "applePay"' };
  if (typeof cardSave !== 'boolean') return { ok: false, problem: 'cardSave: must be a boolean' };

  const text: Record<(typeof OPTIONAL_TEXT_FIELDS)[number], string> = {
    invoiceIdAlt: '',
    description: '',
    accountId: '',
    email: '',
    phone: '',
    backLink: '',
    failureBackLink: '',
    postLink: '',
    failurePostLink: '',
    eci: '',
    terminalId: '',
  };
  for (const key of OPTIONAL_TEXT_FIELDS) {
    const value = record[key];
    if (value === undefined) continue;
    if (typeof value !== 'string' || value.length > MAX_TEXT_LENGTH)
      return { ok: false, problem: `${key}: must be a string` };
    text[key] = value;
  }
  for (const key of LINK_FIELDS) {
    if (text[key] !== '' && !isHttpUrl(text[key]))
      return { ok: false, problem: `${key}: must be an absolute http(s) URL` };
  }
  if (text.email !== '' && !EMAIL_PATTERN.test(text.email))
    return { ok: false, problem: 'email: not an email address' };
  if (record.eci !== undefined && !ECI_PATTERN.test(text.eci))
    return { ok: false, problem: 'eci: must be one or two digits' };

  return {
    ok: true,
    request: { amount, currency, name, cryptogram, cryptogramApplePay, invoiceId, paymentType, cardSave, ...text },
  };
}

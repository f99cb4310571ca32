/** @module Opens and checks the `cryptogram` of a cryptopay call exactly as strictly as the bank should. */
import type { KeyObject } from 'node:crypto';
import { decryptPkcs1v15 } from './pkcs1-v15.js';

/** The keys of the plaintext, in this order and no others. */
const CRYPTOGRAM_KEYS = ['hpan', 'expDate', 'cvc', 'terminalId'] as const;

/** Halyk's SDK's placeholders for "the card is inside cryptogramApplePay" (docs/epay-api.md). */
export const PASSTHROUGH_PLACEHOLDERS = { hpan: 'AppleToken', expDate: 'expToken', cvc: '' } as const;

/** Device PANs are 13 to 19 digits. */
const PAN_PATTERN = /^\d{13,19}$/;
/** Card expiry is MMYY. */
const EXP_DATE_PATTERN = /^(0[1-9]|1[0-2])(\d{2})$/;
/** Apple Pay gives no CVC; a card-entry CVC would be 3 or 4 digits. */
const CVC_PATTERN = /^(?:|\d{3,4})$/;
/** Standard base64 (RFC 4648 §4) with correct padding: the bank's cryptogram format. */
const STANDARD_BASE64_PATTERN = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** What the cryptogram says the card is. */
export type CryptogramCard = { kind: 'passthrough' } | { kind: 'pan'; pan: string; expMonth: number; expYear: number };

/** Why a cryptogram is refused; deliberately without any of its content. */
export type CryptogramProblem = 'not_base64' | 'undecryptable' | 'malformed' | 'terminal_mismatch' | 'expired_card';

/**
 * Decrypts the cryptogram and checks its plaintext: compact JSON with exactly `hpan, expDate, cvc,
 * terminalId` in that order, all strings, `terminalId` our terminal, and either the passthrough
 * placeholders or a 13-19 digit PAN with an unexpired MMYY expiry.
 *
 * @example
 * ```ts
 * const opened = openCryptogram(body.cryptogram, privateKey, terminalId, new Date());
 * if (!opened.ok) refuse(opened.problem);
 * ```
 */
export function openCryptogram(
  cryptogram: string,
  privateKey: KeyObject,
  terminalId: string,
  now: Date,
): { ok: true; card: CryptogramCard } | { ok: false; problem: CryptogramProblem } {
  if (cryptogram === '' || !STANDARD_BASE64_PATTERN.test(cryptogram)) return { ok: false, problem: 'not_base64' };
  const plain = decryptPkcs1v15(privateKey, Buffer.from(cryptogram, 'base64'));
  if (!plain) return { ok: false, problem: 'undecryptable' };
  const fields = parseCompactFields(plain);
  if (!fields) return { ok: false, problem: 'malformed' };
  if (fields.terminalId !== terminalId) return { ok: false, problem: 'terminal_mismatch' };
  const { hpan, expDate, cvc } = fields;
  if (
    hpan === PASSTHROUGH_PLACEHOLDERS.hpan &&
    expDate === PASSTHROUGH_PLACEHOLDERS.expDate &&
    cvc === PASSTHROUGH_PLACEHOLDERS.cvc
  ) {
    return { ok: true, card: { kind: 'passthrough' } };
  }
  const expiry = EXP_DATE_PATTERN.exec(expDate);
  if (!PAN_PATTERN.test(hpan) || !expiry || !CVC_PATTERN.test(cvc)) return { ok: false, problem: 'malformed' };
  const expMonth = Number(expiry[1]);
  const expYear = 2000 + Number(expiry[2]);
  // A card is good through the last day of its expiry month.
  const firstInvalidDay = Date.UTC(expYear, expMonth, 1);
  if (now.getTime() >= firstInvalidDay) return { ok: false, problem: 'expired_card' };
  return { ok: true, card: { kind: 'pan', pan: hpan, expMonth, expYear } };
}

function parseCompactFields(plain: Buffer): Record<(typeof CRYPTOGRAM_KEYS)[number], string> | undefined {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(plain);
  } catch {
    return undefined;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const record = parsed as Record<string, unknown>;
  const keys = Object.keys(record);
  if (keys.length !== CRYPTOGRAM_KEYS.length || keys.some((key, i) => key !== CRYPTOGRAM_KEYS[i])) return undefined;
  if (!CRYPTOGRAM_KEYS.every((key) => typeof record[key] === 'string')) return undefined;
  // Exactly compact JSON: no spaces, no escapes a plain JSON.stringify would not write, no duplicate keys.
  if (JSON.stringify(record) !== text) return undefined;
  return record as Record<(typeof CRYPTOGRAM_KEYS)[number], string>;
}

/**
 * Whether `cryptogramApplePay` is, in passthrough mode, base64 of an Apple `paymentData` JSON
 * (`version`, `data`, `signature`, `header`).
 *
 * @example
 * ```ts
 * isApplePaymentDataBase64(Buffer.from(JSON.stringify(paymentData)).toString('base64')); // true
 * ```
 */
export function isApplePaymentDataBase64(value: string): boolean {
  if (value === '' || !STANDARD_BASE64_PATTERN.test(value)) return false;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value, 'base64').toString('utf8'));
  } catch {
    return false;
  }
  if (typeof parsed !== 'object' || parsed === null) return false;
  const { version, data, signature, header } = parsed as Record<string, unknown>;
  return (
    typeof version === 'string' &&
    /^(?:EC|RSA)_v1$/.test(version) &&
    typeof data === 'string' &&
    data !== '' &&
    typeof signature === 'string' &&
    signature !== '' &&
    typeof header === 'object' &&
    header !== null &&
    !Array.isArray(header)
  );
}

/**
 * Whether a value is a non-empty standard base64 string (the online payment cryptogram in decrypt mode).
 *
 * @example
 * ```ts
 * isStandardBase64('AOR3Qm2Xn6oAAAAAAAAAAAA='); // true
 * ```
 */
export function isStandardBase64(value: string): boolean {
  return value !== '' && STANDARD_BASE64_PATTERN.test(value);
}

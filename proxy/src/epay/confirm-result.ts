/**
 * @module Reads `payment/confirm`'s answer. The bank's page says "a redirect, HTTP code 200": accept a 3xx with
 * `Location` as well as a 200 whose body names the page. The path tells the outcome:
 * `…/payform/success.html?…` is success, `…/payform/?invoiceID&code&message` is failure.
 */
import { jsonObject, type HttpOutcome } from './http.js';

export type ConfirmResult =
  | { kind: 'success'; reference: string }
  /** `refused`: the bank refused the confirmation request itself (4xx), which a repeat of a good one also gets. */
  | { kind: 'failure'; code: string; message: string; refused?: boolean }
  /** The bank refused our access token (401/403): the confirmation was not looked at. */
  | { kind: 'token_refused'; status: number }
  /** No readable answer: the status call must settle it. */
  | { kind: 'unknown'; reason: string };

const PAYFORM_URL_RE = /https?:\/\/[^\s"'<>\\]+\/payform\/[^\s"'<>\\]*/i;

function header(h: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Finds the bank's result page URL in a JSON or HTML/text body. */
function findPayformUrl(text: string): string | undefined {
  const json = jsonObject(text);
  if (json) {
    for (const v of Object.values(json)) {
      if (typeof v === 'string' && /\/payform\//i.test(v)) return v;
    }
  }
  const m = PAYFORM_URL_RE.exec(text.replace(/&amp;/g, '&'));
  return m?.[0];
}

/** Classifies a result page URL by its path. */
export function classifyPayformUrl(raw: string, base = 'https://epay.homebank.kz/'): ConfirmResult {
  let u: URL;
  try {
    u = new URL(raw, base);
  } catch {
    return { kind: 'unknown', reason: 'unreadable result URL' };
  }
  const path = u.pathname.replace(/\/+$/, '/');
  const q = u.searchParams;
  if (/\/payform\/success\.html$/i.test(path)) return { kind: 'success', reference: q.get('reference') ?? '' };
  // The bank's own SDK reads the failure's code from `errorCode`; its page names it `code`: either is read.
  if (/\/payform\/(?:failure\.html)?$/i.test(path) || q.has('code') || q.has('errorCode')) {
    return { kind: 'failure', code: q.get('code') ?? q.get('errorCode') ?? '', message: q.get('message') ?? '' };
  }
  return { kind: 'unknown', reason: 'result URL names no known page' };
}

export function readConfirmAnswer(res: HttpOutcome): ConfirmResult {
  if (res.kind !== 'answer') return { kind: 'unknown', reason: res.reason };
  if (res.status >= 300 && res.status < 400) {
    const loc = header(res.headers, 'location');
    return loc ? classifyPayformUrl(loc) : { kind: 'unknown', reason: `HTTP ${res.status} without Location` };
  }
  if (res.status >= 200 && res.status < 300) {
    const url = findPayformUrl(res.text);
    return url ? classifyPayformUrl(url) : { kind: 'unknown', reason: `HTTP ${res.status} names no result page` };
  }
  if (res.status === 401 || res.status === 403) return { kind: 'token_refused', status: res.status };
  // A 4xx with the bank's error shape is a refusal of the confirmation itself.
  const json = jsonObject(res.text);
  if (res.status >= 400 && res.status < 500 && json && json.code !== undefined) {
    return {
      kind: 'failure',
      code: String(json.code),
      message: typeof json.message === 'string' ? json.message : '',
      refused: true,
    };
  }
  return { kind: 'unknown', reason: `HTTP ${res.status}` };
}

/** @module The element's two calls to the proxy, each with its own timeout, answered as typed results that never throw. */
import type { Epay3dsDetail, EpayDeclinedDetail, EpayPayment } from './events.js';
import { isFormAction } from './three-ds.js';

/**
 * Time the element gives each proxy call. The proxy answers within 25 s whatever Apple or the bank
 * do; Apple closes the sheet 30 s into a step. 27 s leaves the element time to close the sheet
 * itself with a failure, so the customer is never left with a sheet Apple kills.
 */
export const PROXY_TIMEOUT_MS = 27_000;

/** A call that did not produce a usable answer: the proxy's own error code, or one of the element's. */
export interface ProxyFailure {
  ok: false;
  code: string;
  message: string;
  /** The proxy's own code, when the element reports the failure under its own (`session_refused`). */
  proxyCode?: string;
}

/** The answer of `POST {proxy}/applepay/session`. */
export type MerchantSessionResult = { ok: true; merchantSession: object } | ProxyFailure;

/** The answer of `POST {proxy}/applepay/payments`. */
export type PaymentResult =
  | { ok: true; status: 'paid'; payment: EpayPayment }
  | { ok: true; status: '3ds'; form: Epay3dsDetail }
  | { ok: true; status: 'declined'; declined: EpayDeclinedDetail }
  | ProxyFailure;

/** Per-call options: the timeout, and a signal to give up early (the customer closed the sheet). */
export interface CallOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

// biome-ignore lint/suspicious/noExplicitAny: the proxy's JSON is checked field by field where it is read
type Json = Record<string, any>;

/**
 * Asks the proxy for Apple's merchant session. Any refusal is `session_refused`, with the proxy's
 * own code in `proxyCode` when it gave one (an HTML 403 from a gateway gives none).
 *
 * @example
 * const r = await requestMerchantSession('https://pay.example.kz', { validationURL, order });
 * if (r.ok) session.completeMerchantValidation(r.merchantSession);
 */
export async function requestMerchantSession(
  proxy: string,
  body: { validationURL: string; order: string },
  options?: CallOptions,
): Promise<MerchantSessionResult> {
  const answer = await post(proxy, '/applepay/session', body, options);
  if (!Array.isArray(answer)) return answer;
  const [status, json] = answer;
  if (status < 300) return json ? { ok: true, merchantSession: json } : failure(status, json, 'proxy_error');
  // A refused merchant validation is `session_refused` (docs/element.md); the proxy's reason travels as `proxyCode`.
  const refused = failure(status, json, 'session_refused');
  return refused.code === 'session_refused'
    ? refused
    : { ...refused, code: 'session_refused', proxyCode: refused.code };
}

/**
 * Sends the authorized payment to the proxy: `paid`, `3ds` or `declined`, else a failure with the
 * proxy's code (`outcome_unknown`, `amount_mismatch`, …) or the element's own.
 *
 * @example
 * const r = await authorizePayment('/pay', { order, payment: event.payment });
 */
export async function authorizePayment(
  proxy: string,
  body: { order: string; payment: unknown },
  options?: CallOptions,
): Promise<PaymentResult> {
  const answer = await post(proxy, '/applepay/payments', body, options);
  if (!Array.isArray(answer)) return answer;
  const [status, json] = answer;
  const { status: kind, payment, form, error } = json ?? {};
  return status === 200 && kind === 'paid' && payment
    ? { ok: true, status: kind, payment }
    : status === 200 &&
        kind === '3ds' &&
        isFormAction(form?.action) &&
        ['PaReq', 'MD', 'TermUrl'].every((k) => typeof form.fields?.[k] === 'string')
      ? { ok: true, status: kind, form }
      : status === 402 && kind === 'declined'
        ? {
            ok: true,
            status: kind,
            declined: { code: error?.code ?? kind, bankCode: error?.bankCode ?? null, message: error?.message ?? kind },
          }
        : failure(status, json, 'proxy_error');
}

/**
 * Joins the proxy's base URL (absolute or a same-origin path) and an endpoint path.
 *
 * @example
 * endpoint('https://pay.example.kz/', '/applepay/session'); // "https://pay.example.kz/applepay/session"
 */
export function endpoint(proxy: string, path: string): string {
  return proxy.trim().replace(/\/+$/, '') + path;
}

/** One POST: the status and the body when it is JSON (else undefined), or why there is no answer. */
async function post(
  proxy: string,
  path: string,
  body: object,
  { timeoutMs = PROXY_TIMEOUT_MS, signal }: CallOptions = {},
): Promise<[number, Json | undefined] | ProxyFailure> {
  const controller = new AbortController();
  const abort = () => controller.abort();
  let timer: ReturnType<typeof setTimeout> | undefined;
  // A race rather than only the abort signal: the timeout holds even where aborting a fetch does
  // not stop the reading of its body.
  const timeout = new Promise<ProxyFailure>((resolve) => {
    timer = setTimeout(() => {
      resolve({ ok: false, code: 'timeout', message: `No answer from the proxy in ${timeoutMs} ms` });
      abort();
    }, timeoutMs);
  });
  signal?.addEventListener('abort', abort);
  const call = async (): Promise<[number, Json | undefined] | ProxyFailure> => {
    try {
      const res = await fetch(endpoint(proxy, path), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        cache: 'no-store',
        signal: controller.signal,
      });
      const text = await res.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        // HTML from a gateway, an empty body: treated as no JSON at all.
      }
      return [res.status, json instanceof Object ? json : undefined];
    } catch {
      return { ok: false, code: 'network_error', message: 'The proxy could not be reached' };
    }
  };
  try {
    return await Promise.race([call(), timeout]);
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', abort);
  }
}

/** The proxy's own `{status:"error", error:{code,message}}` when it sent one, else the element's `fallback` code. */
function failure(status: number, json: Json | undefined, fallback: string): ProxyFailure {
  const { code, message } = json?.['error'] ?? {};
  return typeof code === 'string'
    ? { ok: false, code, message: String(message ?? code) }
    : { ok: false, code: fallback, message: `HTTP ${status} from the proxy` };
}

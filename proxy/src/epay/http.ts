/** @module One outbound HTTP call to the bank over a shared keep-alive undici Agent, classified by what is known to have happened. */
import { Agent, request } from 'undici';
import { type CallResult, resultOfStatus } from '../call-result.js';
import type { BankEndpoint, BankLine } from './bank-line.js';

/** TCP+TLS connect timeout for bank hosts. */
export const CONNECT_TIMEOUT_MS = 3_000;
/** Idle keep-alive sockets are kept this long: bank calls come in bursts around each payment. */
export const KEEP_ALIVE_MS = 30_000;
/** Longest bank answer body we read; a larger one is garbage. */
export const MAX_BANK_BODY_BYTES = 256 * 1024;

/** What one call produced. `not_sent` means the request provably never reached the bank. */
export type HttpOutcome =
  | { kind: 'answer'; status: number; headers: Record<string, string | string[] | undefined>; text: string }
  | { kind: 'not_sent'; reason: string }
  | { kind: 'no_answer'; reason: string };

/**
 * Errors that can only happen before any byte of the request left this machine: name resolution and connecting.
 * Anything else (a reset, an unreachable host on an open keep-alive socket) may come after the request was written.
 */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT', 'ENOTFOUND', 'EAI_AGAIN']);
/** Failures that mean the time ran out (the metrics' `timeout`), rather than the connection failing. */
const TIMEOUT_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'TimeoutError',
  'ETIMEDOUT',
]);
/** The reason of a call never sent because the caller's deadline had passed. */
const NO_TIME_LEFT = 'no time left';

export function createBankAgent(): Agent {
  return new Agent({
    keepAliveTimeout: KEEP_ALIVE_MS,
    keepAliveMaxTimeout: KEEP_ALIVE_MS,
    connections: 128,
    connect: { timeout: CONNECT_TIMEOUT_MS },
  });
}

function failedWhileConnecting(err: unknown): boolean {
  const e = err as { syscall?: unknown; cause?: { syscall?: unknown } };
  return e?.syscall === 'connect' || e?.cause?.syscall === 'connect' || e?.syscall === 'getaddrinfo';
}

function errorCode(err: unknown): string {
  const e = err as { code?: unknown; name?: unknown; cause?: { code?: unknown } };
  if (typeof e?.code === 'string') return e.code;
  if (typeof e?.cause?.code === 'string') return e.cause.code;
  return typeof e?.name === 'string' ? e.name : 'unknown';
}

/** How a call ended, as the metrics label it. */
export function callResult(outcome: HttpOutcome): CallResult {
  if (outcome.kind === 'answer') return resultOfStatus(outcome.status);
  return outcome.reason === NO_TIME_LEFT || TIMEOUT_CODES.has(outcome.reason) ? 'timeout' : 'network';
}

type BankRequest = { method: 'GET' | 'POST'; headers?: Record<string, string>; body?: string; timeoutMs: number };

/**
 * Sends one request to an endpoint of the bank and tells the line's observer how it went. Never throws: every
 * failure is an outcome, and never carries the request body. Redirects are not followed (the bank's confirm answer
 * is a redirect we read, not follow).
 *
 * @example
 * ```ts
 * const res = await bankCall(line, 'status', `${line.credentials.api}/check-status/payment/transaction/${id}`, init);
 * ```
 */
export async function bankCall(
  line: Pick<BankLine, 'agent' | 'observe'>,
  endpoint: BankEndpoint,
  url: string,
  init: BankRequest,
): Promise<HttpOutcome> {
  if (!line.observe) return send(line.agent, url, init);
  const started = performance.now();
  const outcome = await send(line.agent, url, init);
  const sent = !(outcome.kind === 'not_sent' && outcome.reason === NO_TIME_LEFT);
  line.observe(endpoint, callResult(outcome), sent ? (performance.now() - started) / 1000 : undefined);
  return outcome;
}

async function send(agent: Agent, url: string, init: BankRequest): Promise<HttpOutcome> {
  if (init.timeoutMs <= 0) return { kind: 'not_sent', reason: NO_TIME_LEFT };
  try {
    const res = await request(url, {
      dispatcher: agent,
      method: init.method,
      headers: init.headers,
      body: init.body,
      headersTimeout: init.timeoutMs,
      bodyTimeout: init.timeoutMs,
      signal: AbortSignal.timeout(init.timeoutMs),
    });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body) {
      size += (chunk as Buffer).length;
      if (size > MAX_BANK_BODY_BYTES) {
        res.body.destroy();
        return { kind: 'answer', status: res.statusCode, headers: res.headers, text: '' };
      }
      chunks.push(chunk as Buffer);
    }
    return {
      kind: 'answer',
      status: res.statusCode,
      headers: res.headers,
      text: Buffer.concat(chunks).toString('utf8'),
    };
  } catch (err) {
    const code = errorCode(err);
    return NOT_SENT_CODES.has(code) || failedWhileConnecting(err)
      ? { kind: 'not_sent', reason: code }
      : { kind: 'no_answer', reason: code };
  }
}

/** Parses a JSON object body, or undefined for anything else. */
export function jsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

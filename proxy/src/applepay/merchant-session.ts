/** @module Requests an Apple Pay merchant session from Apple's gateway over mutual TLS with the Merchant Identity certificate. */
import { rootCertificates } from 'node:tls';
import { Agent, request } from 'undici';
import { type CallResult, resultOfStatus } from '../call-result.js';
import { ProxyError } from '../errors.js';

/** Apple closes the payment sheet after 30 s; leave most of that for the rest of the page's work. */
export const MERCHANT_SESSION_TIMEOUT_MS = 10_000;
/** A merchant session is about 2 KB of JSON; anything far larger is not Apple. */
export const MAX_MERCHANT_SESSION_BYTES = 64 * 1024;

/** Settings of the merchant session client. */
export interface MerchantSessionClientOptions {
  /** PEM of the Merchant Identity certificate (the TLS client certificate Apple expects). */
  identityCertPem: string;
  identityKeyPem: string;
  merchantIdentifier: string;
  displayName: string;
  /** Whole-request timeout; default {@link MERCHANT_SESSION_TIMEOUT_MS}. */
  timeoutMs?: number;
  /**
   * Extra trust anchors for Apple's server certificate, added to Node's bundled roots (tests against a
   * local gateway). Without it the process defaults apply, including `NODE_EXTRA_CA_CERTS`.
   */
  ca?: string | string[];
  /** Told how each call to Apple went and how long it took (the proxy's metrics). Must not throw. */
  observe?: (result: CallResult, seconds: number) => void;
}

/** The client the `/applepay/session` route uses. */
export interface MerchantSessionClient {
  /** Posts the session request to an already allowlisted URL and returns Apple's JSON unchanged. */
  requestSession(url: URL, initiativeContext: string, signal?: AbortSignal): Promise<unknown>;
  /** Closes the pooled TLS connections. */
  close(): Promise<void>;
}

function unavailable(why: string, cause?: unknown): ProxyError {
  // Apple's body is never quoted: it may echo the merchant's identifiers back.
  return new ProxyError(
    'apple_unavailable',
    `Apple Pay merchant validation failed: ${why}`,
    cause === undefined ? undefined : { cause },
  );
}

/**
 * Builds the client once per process: one undici `Agent` presents the Merchant Identity certificate on
 * every connection and keeps them alive. Redirects are never followed (undici's `request` does not); a
 * redirect, a non-2xx answer, a network error, a timeout or a body that is not a JSON object all become
 * `ProxyError('apple_unavailable')`.
 *
 * @example
 * const apple = createMerchantSessionClient({ identityCertPem, identityKeyPem, merchantIdentifier, displayName });
 * const session = await apple.requestSession(checkValidationUrl(body.validationURL, APPLE_VALIDATION_HOSTS), 'shop.example.kz');
 */
export function createMerchantSessionClient(o: MerchantSessionClientOptions): MerchantSessionClient {
  const timeoutMs = o.timeoutMs ?? MERCHANT_SESSION_TIMEOUT_MS;
  const extraCa = o.ca === undefined ? undefined : Array.isArray(o.ca) ? o.ca : [o.ca];
  const agent = new Agent({
    connect: {
      cert: o.identityCertPem,
      key: o.identityKeyPem,
      // Setting `ca` replaces Node's roots, so the bundled ones are named too.
      ...(extraCa ? { ca: [...rootCertificates, ...extraCa] } : {}),
      timeout: timeoutMs,
    },
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });

  return {
    async requestSession(url, initiativeContext, signal) {
      const started = performance.now();
      // How the call ended, for the metrics: set where it fails.
      let result: CallResult = 'ok';
      const timeout = AbortSignal.timeout(timeoutMs);
      const body = JSON.stringify({
        merchantIdentifier: o.merchantIdentifier,
        displayName: o.displayName,
        initiative: 'web',
        initiativeContext,
      });
      try {
        let text: string;
        try {
          const response = await request(url, {
            method: 'POST',
            dispatcher: agent,
            headers: { 'content-type': 'application/json', accept: 'application/json' },
            body,
            signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
          });
          const statusCode = response.statusCode;
          if (statusCode < 200 || statusCode > 299) {
            result = resultOfStatus(statusCode);
            await response.body.dump().catch(() => undefined);
            throw unavailable(
              statusCode >= 300 && statusCode < 400 ? `a redirect (${statusCode})` : `HTTP ${statusCode}`,
            );
          }
          const chunks: Buffer[] = [];
          let size = 0;
          for await (const chunk of response.body as AsyncIterable<Buffer>) {
            size += chunk.length;
            if (size > MAX_MERCHANT_SESSION_BYTES) {
              result = 'invalid';
              response.body.destroy();
              throw unavailable('the answer is too large');
            }
            chunks.push(chunk);
          }
          text = Buffer.concat(chunks).toString('utf8');
        } catch (err) {
          if (err instanceof ProxyError) throw err;
          if (timeout.aborted) {
            result = 'timeout';
            throw unavailable(`no answer within ${timeoutMs} ms`, err);
          }
          result = 'network';
          throw unavailable('the gateway could not be reached', err);
        }
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        if (typeof json !== 'object' || json === null || Array.isArray(json)) {
          result = 'invalid';
          throw unavailable(json === undefined ? 'the answer is not JSON' : 'the answer is not a JSON object');
        }
        return json;
      } finally {
        o.observe?.(result, (performance.now() - started) / 1000);
      }
    },
    async close() {
      await agent.close();
    },
  };
}

/** @module `GET /public.rsa`: the key merchants encrypt cryptograms with. */
import { bankCall } from '../bank-call.js';
import { formatPublicKey } from '../rsa-keys.js';
import type { FakeEpayState } from '../state.js';

/**
 * The public key route, in the configured spelling (default: SPKI inside `BEGIN RSA PUBLIC KEY`).
 *
 * @example
 * ```ts
 * app.get('/public.rsa', publicKeyRoute(state));
 * ```
 */
export function publicKeyRoute(state: FakeEpayState) {
  // Formatted per request: the key can be rotated while the bank runs.
  return bankCall(state, { latency: true, faultable: false }, async (c) =>
    c.body(formatPublicKey(state.keys.publicKey, state.config.publicKeyFormat), 200, {
      'content-type': 'application/octet-stream',
    }),
  );
}

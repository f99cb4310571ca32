/** @module `POST /oauth2/token`: the bank's token endpoint. */
import { bankCall } from '../bank-call.js';
import type { SandboxContext } from '../http-context.js';
import type { FakeEpayState } from '../state.js';
import { checkTokenRequest, TOKEN_SCOPE } from '../token-request.js';
import type { BankCall } from '../types.js';

const FORM_MEDIA_TYPES = new Set(['application/x-www-form-urlencoded', 'multipart/form-data']);

/**
 * The token route: a form (urlencoded or multipart) in, an OAuth 2.0 answer out. The token is
 * bound to the form's invoice, amount, currency and terminal, and is spent by its first use.
 *
 * @example
 * ```ts
 * app.post('/oauth2/token', oauthTokenRoute(state));
 * ```
 */
export function oauthTokenRoute(state: FakeEpayState) {
  return bankCall(state, { latency: true, faultable: true }, async (c: SandboxContext, call: BankCall) => {
    const mediaType = c.req.header('content-type')?.split(';')[0]?.trim().toLowerCase() ?? '';
    if (!FORM_MEDIA_TYPES.has(mediaType)) {
      return c.json({ error: 'invalid_request', error_description: 'the body must be a form' }, 400);
    }
    let entries: Array<[string, unknown]>;
    try {
      entries = [...(await c.req.raw.formData()).entries()];
    } catch {
      return c.json({ error: 'invalid_request', error_description: 'the form cannot be read' }, 400);
    }
    const invoiceEntry = entries.find(([name]) => name === 'invoiceID');
    if (typeof invoiceEntry?.[1] === 'string' && /^\d{1,15}$/.test(invoiceEntry[1])) call.invoiceId = invoiceEntry[1];

    const checked = checkTokenRequest(entries, state.config);
    if (!checked.ok) {
      return c.json({ error: checked.error.error, error_description: checked.error.description }, checked.error.status);
    }
    const accessToken = state.tokens.issue(checked.binding);
    // Whole seconds, as the bank answers; the real lifetime is the same.
    const expiresIn = Math.max(1, Math.round(state.config.tokenTtlS));
    return c.json({
      access_token: accessToken,
      expires_in: state.config.expiresInAsString ? String(expiresIn) : expiresIn,
      scope: TOKEN_SCOPE,
      token_type: 'Bearer',
    });
  });
}

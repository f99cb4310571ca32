/** @module The sandbox bank's built-in merchant credentials (the ones Halyk's public examples use). */

/**
 * Credentials the fake ePay accepts unless told otherwise. They are the public example values of the
 * bank's own documentation, so they are not secret; a real merchant's credentials never go here.
 *
 * @example
 * ```ts
 * const epay = await startFakeEpay();
 * const env = { EPAY_CLIENT_ID: SANDBOX_EPAY.clientId, EPAY_CLIENT_SECRET: SANDBOX_EPAY.clientSecret,
 *   EPAY_TERMINAL_ID: SANDBOX_EPAY.terminalId, EPAY_OAUTH_URL: epay.oauthUrl, EPAY_API_URL: epay.apiUrl };
 * ```
 */
export const SANDBOX_EPAY = {
  clientId: 'test',
  clientSecret: 'yF587AV9Ms94qN2QShFzVR3vFnWkhjbAK3sG',
  terminalId: '67e34d63-102f-4bd1-898e-370781d0074d',
} as const satisfies { clientId: string; clientSecret: string; terminalId: string };

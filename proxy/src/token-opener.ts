/** @module Opens Apple Pay tokens for the payment path: decrypt mode verifies and decrypts, passthrough mode verifies. */
import type { ProxyConfig } from './config.js';
import { ProxyError } from './errors.js';
import { createPaymentTokenDecryptor, PaymentTokenError, verifyPaymentTokenSignature } from './applepay/decrypt-token.js';
import type { TokenOpener } from './payment.js';

function toProxyError(err: unknown): never {
  if (err instanceof PaymentTokenError) {
    // The check that failed is named (never any token content), so the merchant can tell a forged token from an old one.
    if (err.expired) throw new ProxyError('token_expired', `The Apple Pay token is too old (${err.code})`, { cause: err });
    throw new ProxyError('token_invalid', `The Apple Pay token was refused (${err.code})`, { cause: err });
  }
  throw err;
}

export function createTokenOpener(config: ProxyConfig): TokenOpener {
  const maxAgeMs = config.apple.tokenMaxAgeS * 1000;
  const rootCaPem = config.apple.rootCaPem;
  const decryptor =
    config.epay.tokenMode === 'decrypt'
      ? createPaymentTokenDecryptor({ pairs: config.apple.processing, maxAgeMs, ...(rootCaPem ? { rootCaPem } : {}) })
      : undefined;
  return {
    async decrypt(paymentData) {
      if (!decryptor) throw new Error('decrypt mode is not configured');
      return decryptor.decrypt(paymentData).catch(toProxyError);
    },
    async verify(paymentData) {
      await verifyPaymentTokenSignature(paymentData, { maxAgeMs, ...(rootCaPem ? { rootCaPem } : {}) }).catch(toProxyError);
    },
  };
}

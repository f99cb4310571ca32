/**
 * @module Reads Apple Pay tokens for the payment path. Decrypt mode verifies Apple's signature and decrypts.
 * Passthrough mode checks the token's shape only: the token is encrypted for the bank, which holds the processing key
 * and verifies and decrypts it (as a PSP does for a merchant that passes tokens through); a forged or replayed token
 * cannot be read or charged there.
 */
import type { ProxyConfig } from '../config.js';
import { ProxyError } from '../errors.js';
import type { AppleTokenReader } from '../payment/deps.js';
import { createPaymentTokenDecryptor, PaymentTokenError } from './decrypt-token.js';
import { decodePaymentData } from './payment-data.js';

function toProxyError(err: unknown): never {
  if (err instanceof PaymentTokenError) {
    // The check that failed is named (never any token content), so the merchant can tell a forged token from an old one.
    if (err.expired)
      throw new ProxyError('token_expired', `The Apple Pay token is too old (${err.code})`, { cause: err });
    // A genuine token of a kind ePay cannot charge (EMV): say so, so the merchant can ask for another card.
    const why = err.code === 'unsupported_payment_data_type' ? `: ${err.message}` : '';
    throw new ProxyError('token_invalid', `The Apple Pay token was refused (${err.code})${why}`, { cause: err });
  }
  throw err;
}

/**
 * @example
 * ```ts
 * const appleTokens = createAppleTokenReader(config);
 * const card = await appleTokens.decrypt(payment.token.paymentData);
 * ```
 */
export function createAppleTokenReader(config: ProxyConfig): AppleTokenReader {
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
    async checkShape(paymentData) {
      try {
        decodePaymentData(paymentData);
      } catch (err) {
        toProxyError(err);
      }
    },
  };
}

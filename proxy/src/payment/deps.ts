/** @module What the payment path is given: the settings, the bank client, the store, the sealer and Apple's token. */
import type { DecryptedCard } from '../applepay/payment-types.js';
import type { ProxyConfig } from '../config.js';
import type { EpayClient } from '../epay/client.js';
import type { ProxyMetrics } from '../metrics.js';
import type { Sealer } from '../seal.js';
import type { ProxyStore } from '../store.js';
import type { PaymentEvents } from '../webhooks/event-service.js';

/** Reads Apple's payment token: verifies and decrypts it (decrypt mode), or checks its shape (passthrough mode). */
export interface AppleTokenReader {
  decrypt(paymentData: unknown): Promise<DecryptedCard & { transactionAmount: number; currencyCode: string }>;
  checkShape(paymentData: unknown): Promise<void>;
}

export interface PaymentDeps {
  config: ProxyConfig;
  epay: EpayClient;
  store: ProxyStore;
  sealer: Sealer;
  appleTokens: AppleTokenReader;
  /** With `WEBHOOK_URL`: the payment's outcomes become events (docs/webhooks.md). */
  events?: PaymentEvents;
  /** Counts each payment's answer by outcome (docs/metrics.md). */
  metrics?: ProxyMetrics;
}

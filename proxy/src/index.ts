/** @module @epay-applepay/proxy: the server that holds the secrets. */
export { createProxyApp, closeProxyApp, metricsOf, MAX_BODY_BYTES, type ProxyAppOptions } from './app.js';
export { createProxyMetrics, serveMetrics, type MetricsServer, type ProxyMetrics } from './metrics.js';
export { serveProxy, type ServeProxyOptions } from './node-server.js';
export { loadConfig, ConfigError, type ProxyConfig, type ProcessingPair, type TokenMode } from './config.js';
export {
  signOrder,
  verifyOrder,
  updateOrder,
  type OrderClaims,
  type Order,
  type OrderChanges,
  type LineItem,
  type ShippingMethod,
  type ShippingType,
} from './order.js';
export { ProxyError, ERROR_STATUS, type ErrorCode } from './errors.js';
export {
  decryptPaymentToken,
  createPaymentTokenDecryptor,
  verifyPaymentTokenSignature,
  PaymentTokenError,
} from './applepay/decrypt-token.js';
export type { ProxyStore } from './store.js';
export { MemoryStore } from './store.js';
export { RedisStore, StoreUnavailableError, type RedisStoreOptions } from './redis-store.js';
export { createLogger, type Logger, type LoggerOptions, type LogLevel, type LogRecord } from './log.js';

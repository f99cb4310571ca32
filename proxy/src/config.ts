/** @module loadConfig: every setting of the proxy, validated once at start, every problem named in one error. */
import { CERT, checkAppleFiles, createSettingsReader, type Env, KEY, LOOPBACK_HOSTS } from './config-reader.js';
import { DEFAULT_LOG_LEVEL, LOG_LEVELS, type LogLevel } from './log.js';

/** Halyk ePay's production hosts (docs/epay-api.md). */
export const DEFAULT_EPAY_OAUTH_URL = 'https://epay-oauth.homebank.kz/oauth2/token';
export const DEFAULT_EPAY_API_URL = 'https://epay-api.homebank.kz';
export const DEFAULT_PORT = 8787;
export const DEFAULT_APPLE_TOKEN_MAX_AGE_S = 300;
export const DEFAULT_RATE_LIMIT_PER_MINUTE = 60;
/**
 * Open client connections one instance holds before it drops new ones. Each is a file descriptor and a little memory;
 * 1024 is far above what one instance serves (a payment holds its connection for at most 25 s, and a buffering reverse
 * proxy opens one per request in flight), and keeps descriptors free for the bank, Apple and Redis under the usual
 * open-file limits (Node raises its soft limit to the hard one, 524288 under systemd).
 */
export const DEFAULT_MAX_CONNECTIONS = 1024;
/**
 * HS256 wants a key of at least 256 bits. A shorter shared secret still works (docs/settings.md sets no length, and a
 * merchant's backend may already use one), so it is a warning at start, not a refusal.
 */
export const MIN_ORDER_SECRET_LENGTH = 32;
/** Shortest bearer key of the operations API. */
export const MIN_OPERATIONS_KEY_LENGTH = 32;
/** Shortest `WEBHOOK_SIGNING_SECRET` entry (the contract). */
export const MIN_WEBHOOK_SECRET_LENGTH = 32;

export type TokenMode = 'decrypt' | 'passthrough';

/** A Payment Processing certificate and its private key, as PEM text. */
export interface ProcessingPair {
  certPem: string;
  keyPem: string;
}

/** The proxy's settings, parsed and checked. Holds secrets: never log it. */
export interface ProxyConfig {
  port: number;
  /** The proxy's public base URL without a trailing slash, for `TermUrl`. */
  publicUrl: string;
  epay: {
    clientId: string;
    clientSecret: string;
    terminalId: string;
    oauthUrl: string;
    /** API base without a trailing slash. */
    apiUrl: string;
    tokenMode: TokenMode;
  };
  orderSigningSecret: string;
  apple: {
    merchantId: string;
    displayName: string;
    /** Lower-case domains the button may run on (`initiativeContext`). */
    domains: string[];
    identityCertPem: string;
    identityKeyPem: string;
    /** Empty in `passthrough` mode when none is configured. */
    processing: ProcessingPair[];
    /** Trust root for token signatures; undefined = the bundled Apple Root CA - G3. */
    rootCaPem: string | undefined;
    /** Exact `host` or `host:port` entries; undefined = Apple's published gateways. */
    validationHosts: string[] | undefined;
    tokenMaxAgeS: number;
  };
  /** Exact origins allowed by CORS (scheme://host[:port]). */
  allowedOrigins: string[];
  /** Requests per client address per minute on `/applepay/*`, and separately on `/3ds/callback`; 0 = off. */
  rateLimitPerMinute: number;
  /** Open client connections at most; the server drops new ones past it. */
  maxConnections: number;
  /** Take the client address from `X-Forwarded-For` (behind a reverse proxy that sets it). */
  trustProxy: boolean;
  /** Settings that work but should be changed; the start command prints them. */
  warnings: string[];
  /**
   * `redis://` or `rediss://` URL of the Redis that several instances share for the invoice lock and the replay
   * guard; undefined = in memory (one instance). May hold a password: never log it.
   */
  redisUrl: string | undefined;
  /** Bearer keys of the merchant's backend for `/operations/*`; empty: the operations API is not served. */
  operationsApiKeys: string[];
  /**
   * Signed events for the merchant's backend (docs/webhooks.md); undefined = no events, and the order's own
   * postLink/failurePostLink go to the bank as before.
   */
  webhooks: WebhookSettings | undefined;
  /** Least severe log line written (`LOG_LEVEL`). */
  logLevel: LogLevel;
  /** Port of the Prometheus endpoint (`METRICS_PORT`), never the public one; undefined = no metrics served. */
  metricsPort?: number;
}

export interface WebhookSettings {
  /** The merchant backend's endpoint, exactly as configured. */
  url: string;
  /** Each signs every delivery (one `v1=` per secret): several while rotating. Secrets: never log them. */
  signingSecrets: string[];
}

/** Thrown by {@link loadConfig}; `problems` names every missing or invalid setting. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid proxy settings:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.problems = problems;
  }
}

const HOST_RE = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * Parses and validates the proxy's settings from an environment.
 *
 * @throws {ConfigError} naming every missing or invalid setting at once.
 * @example
 * ```ts
 * const config = loadConfig(process.env);
 * serve({ fetch: createProxyApp(config).fetch, port: config.port });
 * ```
 */
export function loadConfig(env: Env): ProxyConfig {
  const { problems, raw, required, int, url, pemFiles } = createSettingsReader(env);

  const publicUrl = url('PUBLIC_URL', required('PUBLIC_URL'));
  const clientId = required('EPAY_CLIENT_ID');
  const clientSecret = required('EPAY_CLIENT_SECRET');
  const terminalId = required('EPAY_TERMINAL_ID');
  const oauthUrl = url('EPAY_OAUTH_URL', raw('EPAY_OAUTH_URL') ?? DEFAULT_EPAY_OAUTH_URL);
  const apiUrl = url('EPAY_API_URL', raw('EPAY_API_URL') ?? DEFAULT_EPAY_API_URL);
  const modeRaw = raw('EPAY_TOKEN_MODE') ?? 'decrypt';
  if (modeRaw !== 'decrypt' && modeRaw !== 'passthrough')
    problems.push('EPAY_TOKEN_MODE must be decrypt or passthrough');
  const tokenMode: TokenMode = modeRaw === 'passthrough' ? 'passthrough' : 'decrypt';

  const orderSigningSecret = required('ORDER_SIGNING_SECRET');
  const warnings: string[] = [];
  if (orderSigningSecret && orderSigningSecret.length < MIN_ORDER_SECRET_LENGTH) {
    warnings.push(
      `ORDER_SIGNING_SECRET is shorter than ${MIN_ORDER_SECRET_LENGTH} characters: use a longer random secret`,
    );
  }

  const merchantId = required('APPLE_MERCHANT_ID');
  const displayName = required('APPLE_DISPLAY_NAME');
  if (displayName.length > 64) problems.push('APPLE_DISPLAY_NAME must be at most 64 characters (Apple)');
  const domains = (raw('APPLE_PAY_DOMAINS') ?? '')
    .split(',')
    .map((d) => d.trim().toLowerCase())
    .filter(Boolean);
  if (raw('APPLE_PAY_DOMAINS') === undefined) problems.push('APPLE_PAY_DOMAINS is required');
  for (const d of domains) if (!HOST_RE.test(d)) problems.push(`APPLE_PAY_DOMAINS: '${d}' is not a domain name`);

  const identityCertPem = pemFiles('APPLE_IDENTITY_CERT', required('APPLE_IDENTITY_CERT') || undefined, CERT)[0] ?? '';
  const identityKeyPem = pemFiles('APPLE_IDENTITY_KEY', required('APPLE_IDENTITY_KEY') || undefined, KEY)[0] ?? '';

  const certs = pemFiles('APPLE_PROCESSING_CERT', raw('APPLE_PROCESSING_CERT'), CERT);
  const keys = pemFiles('APPLE_PROCESSING_KEY', raw('APPLE_PROCESSING_KEY'), KEY);
  if (tokenMode === 'decrypt') {
    if (raw('APPLE_PROCESSING_CERT') === undefined) problems.push('APPLE_PROCESSING_CERT is required in decrypt mode');
    if (raw('APPLE_PROCESSING_KEY') === undefined) problems.push('APPLE_PROCESSING_KEY is required in decrypt mode');
  }
  if (certs.length !== keys.length) {
    problems.push(
      'APPLE_PROCESSING_CERT and APPLE_PROCESSING_KEY must list the same number of files, in matching order',
    );
  }
  const processing = certs.map((certPem, i) => ({ certPem, keyPem: keys[i] ?? '' }));

  const rootCaPem = pemFiles('APPLE_ROOT_CA', raw('APPLE_ROOT_CA'), CERT)[0];

  let validationHosts: string[] | undefined;
  const hostsRaw = raw('APPLE_VALIDATION_HOSTS');
  if (hostsRaw !== undefined) {
    validationHosts = hostsRaw
      .split(',')
      .map((h) => h.trim().toLowerCase())
      .filter(Boolean);
    for (const h of validationHosts) {
      const m = /^(\[[0-9a-f:.]+\]|[^:]+)(?::(\d{1,5}))?$/.exec(h);
      const host = m?.[1] ?? '';
      const port = m?.[2] === undefined ? 443 : Number(m[2]);
      const ipLiteral = /^\d{1,3}(?:\.\d{1,3}){3}$/.test(host) || /^\[[0-9a-f:.]+\]$/.test(host);
      if (!(HOST_RE.test(host) || ipLiteral) || port < 1 || port > 65535) {
        problems.push(`APPLE_VALIDATION_HOSTS: '${h}' is not host or host:port`);
      }
    }
  }
  const tokenMaxAgeS = int('APPLE_TOKEN_MAX_AGE_S', DEFAULT_APPLE_TOKEN_MAX_AGE_S, 1, 86_400);

  let allowedOrigins = domains.map((d) => `https://${d}`);
  const originsRaw = raw('ALLOWED_ORIGINS');
  if (originsRaw !== undefined) {
    allowedOrigins = [];
    for (const o of originsRaw
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)) {
      let u: URL | undefined;
      try {
        u = new URL(o);
      } catch {
        u = undefined;
      }
      if (!u || (u.protocol !== 'https:' && u.protocol !== 'http:') || u.origin !== o.replace(/\/$/, '')) {
        problems.push(`ALLOWED_ORIGINS: '${o}' is not an origin (scheme://host[:port])`);
      } else {
        allowedOrigins.push(u.origin);
      }
    }
  }

  const port = int('PORT', DEFAULT_PORT, 0, 65_535);
  const rateLimitPerMinute = int('RATE_LIMIT_PER_MINUTE', DEFAULT_RATE_LIMIT_PER_MINUTE, 0, 1_000_000);
  const maxConnections = int('MAX_CONNECTIONS', DEFAULT_MAX_CONNECTIONS, 1, 1_000_000);
  const trustRaw = raw('TRUST_PROXY') ?? 'false';
  if (!['true', 'false', '1', '0'].includes(trustRaw)) problems.push('TRUST_PROXY must be true or false');

  const operationsApiKeys = (raw('OPERATIONS_API_KEYS') ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  // Never quoted back: a key is a secret.
  if (operationsApiKeys.some((k) => k.length < MIN_OPERATIONS_KEY_LENGTH || /\s/.test(k))) {
    problems.push(
      `OPERATIONS_API_KEYS: each key must be at least ${MIN_OPERATIONS_KEY_LENGTH} characters, without spaces`,
    );
  }
  const redisUrl = raw('REDIS_URL');
  if (redisUrl !== undefined) {
    let u: URL | undefined;
    try {
      u = new URL(redisUrl);
    } catch {
      u = undefined;
    }
    // The value is never quoted back: it may carry the Redis password.
    if (!u || (u.protocol !== 'redis:' && u.protocol !== 'rediss:') || !u.hostname) {
      problems.push('REDIS_URL must be a redis:// or rediss:// URL');
    }
  }

  const webhooks = readWebhookSettings(raw, problems);

  const logLevelRaw = raw('LOG_LEVEL')?.toLowerCase() ?? DEFAULT_LOG_LEVEL;
  const logLevel = LOG_LEVELS.find((l) => l === logLevelRaw);
  if (logLevel === undefined) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  // Metrics are for the operator's network only: never on the public port.
  const metricsPort = raw('METRICS_PORT') === undefined ? undefined : int('METRICS_PORT', 0, 1, 65_535) || undefined;
  if (metricsPort !== undefined && metricsPort === port) problems.push('METRICS_PORT must differ from PORT');

  checkAppleFiles(problems, { identityCertPem, identityKeyPem, processing, rootCaPem });

  if (problems.length > 0) throw new ConfigError(problems);

  return {
    port,
    publicUrl,
    epay: { clientId, clientSecret, terminalId, oauthUrl, apiUrl, tokenMode },
    orderSigningSecret,
    apple: {
      merchantId,
      displayName,
      domains,
      identityCertPem,
      identityKeyPem,
      processing,
      rootCaPem,
      validationHosts,
      tokenMaxAgeS,
    },
    allowedOrigins,
    rateLimitPerMinute,
    maxConnections,
    trustProxy: trustRaw === 'true' || trustRaw === '1',
    warnings,
    redisUrl,
    operationsApiKeys,
    webhooks,
    logLevel: logLevel ?? DEFAULT_LOG_LEVEL,
    metricsPort,
  };
}

/** `WEBHOOK_URL` (https; http only on loopback; a query is kept, credentials and fragments are refused) and its secrets. */
function readWebhookSettings(
  raw: (name: string) => string | undefined,
  problems: string[],
): WebhookSettings | undefined {
  const url = raw('WEBHOOK_URL');
  const secretsRaw = raw('WEBHOOK_SIGNING_SECRET');
  const signingSecrets = (secretsRaw ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  if (url === undefined) {
    if (secretsRaw !== undefined) problems.push('WEBHOOK_SIGNING_SECRET is set but WEBHOOK_URL is not');
    return undefined;
  }
  let u: URL | undefined;
  try {
    u = new URL(url);
  } catch {
    u = undefined;
  }
  if (!u) {
    problems.push('WEBHOOK_URL must be an absolute URL');
  } else {
    const httpOk = u.protocol === 'http:' && LOOPBACK_HOSTS.has(u.hostname);
    if (u.protocol !== 'https:' && !httpOk) problems.push('WEBHOOK_URL must be https (http only on localhost)');
    if (u.username || u.password || u.hash) problems.push('WEBHOOK_URL must have no credentials or fragment');
  }
  // Never quoted back: a secret.
  if (signingSecrets.length === 0) problems.push('WEBHOOK_SIGNING_SECRET is required with WEBHOOK_URL');
  if (signingSecrets.some((k) => k.length < MIN_WEBHOOK_SECRET_LENGTH || /\s/.test(k))) {
    problems.push(
      `WEBHOOK_SIGNING_SECRET: each secret must be at least ${MIN_WEBHOOK_SECRET_LENGTH} characters, without spaces`,
    );
  }
  return { url: u?.href ?? url, signingSecrets };
}

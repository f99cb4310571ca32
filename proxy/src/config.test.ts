import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createFakeApple } from '@epay-applepay/sandbox';
import { ConfigError, loadConfig } from './config.js';

const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
const apple = await createFakeApple();
const files = await apple.writeFiles(dir);
const cert = files.processingCert;
const key = files.processingKey;

const base = {
  PUBLIC_URL: 'https://pay.shop.kz',
  EPAY_CLIENT_ID: 'id',
  EPAY_CLIENT_SECRET: 'secret-value',
  EPAY_TERMINAL_ID: '67e34d63-102f-4bd1-898e-370781d0074d',
  ORDER_SIGNING_SECRET: 'x'.repeat(32),
  APPLE_MERCHANT_ID: 'merchant.kz.shop',
  APPLE_DISPLAY_NAME: 'Shop',
  APPLE_PAY_DOMAINS: 'shop.kz, WWW.shop.kz',
  APPLE_IDENTITY_CERT: files.identityCert,
  APPLE_IDENTITY_KEY: files.identityKey,
  APPLE_PROCESSING_CERT: cert,
  APPLE_PROCESSING_KEY: key,
};

function problems(env: Record<string, string | undefined>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  return [];
}

describe('loadConfig', () => {
  it('applies the defaults of docs/settings.md', () => {
    const c = loadConfig(base);
    expect(c.port).toBe(8787);
    expect(c.epay.oauthUrl).toBe('https://epay-oauth.homebank.kz/oauth2/token');
    expect(c.epay.apiUrl).toBe('https://epay-api.homebank.kz');
    expect(c.epay.tokenMode).toBe('decrypt');
    expect(c.apple.domains).toEqual(['shop.kz', 'www.shop.kz']);
    expect(c.allowedOrigins).toEqual(['https://shop.kz', 'https://www.shop.kz']);
    expect(c.apple.tokenMaxAgeS).toBe(300);
    expect(c.rateLimitPerMinute).toBe(60);
    expect(c.apple.rootCaPem).toBeUndefined();
    expect(c.apple.validationHosts).toBeUndefined();
    expect(c.apple.processing).toHaveLength(1);
  });

  it('names every missing setting in one error', () => {
    const p = problems({});
    for (const name of [
      'PUBLIC_URL',
      'EPAY_CLIENT_ID',
      'EPAY_CLIENT_SECRET',
      'EPAY_TERMINAL_ID',
      'ORDER_SIGNING_SECRET',
      'APPLE_MERCHANT_ID',
      'APPLE_DISPLAY_NAME',
      'APPLE_PAY_DOMAINS',
      'APPLE_IDENTITY_CERT',
      'APPLE_IDENTITY_KEY',
      'APPLE_PROCESSING_CERT',
      'APPLE_PROCESSING_KEY',
    ]) {
      expect(
        p.some((x) => x.startsWith(name)),
        name,
      ).toBe(true);
    }
  });

  it('names every invalid setting, and never echoes a secret', () => {
    const p = problems({
      ...base,
      PUBLIC_URL: 'http://shop.kz',
      EPAY_TOKEN_MODE: 'magic',
      ORDER_SIGNING_SECRET: 'short-secret',
      PORT: 'eighty',
      RATE_LIMIT_PER_MINUTE: '-1',
      APPLE_TOKEN_MAX_AGE_S: '0',
      ALLOWED_ORIGINS: 'https://shop.kz/path',
      APPLE_VALIDATION_HOSTS: 'bad host',
      APPLE_PROCESSING_KEY: `${key},${key}`,
      APPLE_ROOT_CA: join(dir, 'missing.pem'),
    });
    expect(p).toHaveLength(9);
    expect(p.join('\n')).not.toContain('short-secret');
  });

  it('checks at start that each key belongs to its certificate and that the files are what they claim', () => {
    const garbage = join(dir, 'garbage.pem');
    writeFileSync(garbage, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const p = problems({
      ...base,
      APPLE_IDENTITY_KEY: files.processingKey, // another key
      APPLE_PROCESSING_CERT: `${files.identityCert},${files.processingRsaCert}`, // no merchant-id extension; the RSA pair's key below
      APPLE_PROCESSING_KEY: `${files.identityKey},${files.processingKey}`,
      APPLE_ROOT_CA: garbage,
    });
    expect(p).toEqual([
      'APPLE_IDENTITY_CERT and APPLE_IDENTITY_KEY: not a certificate and its own private key',
      expect.stringMatching(/^APPLE_PROCESSING_CERT \(pair 1\): /),
      'APPLE_PROCESSING_CERT and APPLE_PROCESSING_KEY (pair 2): not a certificate and its own private key',
      'APPLE_ROOT_CA: not an X.509 certificate',
    ]);
    expect(p.join('\n')).not.toMatch(/PRIVATE KEY|MII/);
    // The sandbox's own files pass, both pairs, with its root.
    expect(() =>
      loadConfig({
        ...base,
        APPLE_PROCESSING_CERT: `${files.processingCert},${files.processingRsaCert}`,
        APPLE_PROCESSING_KEY: `${files.processingKey},${files.processingRsaKey}`,
        APPLE_ROOT_CA: files.rootCa,
      }),
    ).not.toThrow();
  });

  it('warns about, but takes, an order secret shorter than 32 characters', () => {
    const c = loadConfig({ ...base, ORDER_SIGNING_SECRET: 'short-secret' });
    expect(c.orderSigningSecret).toBe('short-secret');
    expect(c.warnings).toEqual([expect.stringMatching(/^ORDER_SIGNING_SECRET is shorter than 32 characters/)]);
    expect(c.warnings.join()).not.toContain('short-secret');
    expect(loadConfig(base).warnings).toEqual([]);
  });

  it('LOG_LEVEL: info by default, one of debug, info, warn, error, else named', () => {
    expect(loadConfig(base).logLevel).toBe('info');
    expect(loadConfig({ ...base, LOG_LEVEL: 'debug' }).logLevel).toBe('debug');
    expect(loadConfig({ ...base, LOG_LEVEL: 'WARN' }).logLevel).toBe('warn');
    expect(problems({ ...base, LOG_LEVEL: 'verbose' })).toEqual(['LOG_LEVEL must be one of debug, info, warn, error']);
  });

  it('METRICS_PORT: none by default, a port other than PORT, each problem named with the others', () => {
    expect(loadConfig(base).metricsPort).toBeUndefined();
    expect(loadConfig({ ...base, METRICS_PORT: '9464' }).metricsPort).toBe(9464);
    for (const bad of ['0', '65536', 'nine', '-1', '94.64']) {
      expect(problems({ ...base, METRICS_PORT: bad }), bad).toEqual([
        'METRICS_PORT must be a whole number from 1 to 65535',
      ]);
    }
    expect(problems({ ...base, METRICS_PORT: '8787' })).toEqual(['METRICS_PORT must differ from PORT']);
    expect(problems({ ...base, PORT: '9000', METRICS_PORT: '9000', LOG_LEVEL: 'loud' })).toEqual([
      'LOG_LEVEL must be one of debug, info, warn, error',
      'METRICS_PORT must differ from PORT',
    ]);
  });

  it('passthrough mode needs no processing certificate', () => {
    const { APPLE_PROCESSING_CERT: _c, APPLE_PROCESSING_KEY: _k, ...rest } = base;
    const c = loadConfig({ ...rest, EPAY_TOKEN_MODE: 'passthrough' });
    expect(c.apple.processing).toEqual([]);
    expect(problems(rest).length).toBe(2);
  });

  it('takes comma-separated processing pairs, explicit origins and hosts', () => {
    const c = loadConfig({
      ...base,
      APPLE_PROCESSING_CERT: `${cert}, ${cert}`,
      APPLE_PROCESSING_KEY: `${key},${key}`,
      ALLOWED_ORIGINS: 'http://localhost:5173,https://shop.kz',
      APPLE_VALIDATION_HOSTS: '127.0.0.1:8443,apple-pay-gateway.apple.com,[::1]:8443',
      PUBLIC_URL: 'http://127.0.0.1:8787/',
      TRUST_PROXY: 'true',
    });
    expect(c.apple.processing).toHaveLength(2);
    expect(c.allowedOrigins).toEqual(['http://localhost:5173', 'https://shop.kz']);
    expect(c.apple.validationHosts).toEqual(['127.0.0.1:8443', 'apple-pay-gateway.apple.com', '[::1]:8443']);
    expect(c.publicUrl).toBe('http://127.0.0.1:8787');
    expect(c.trustProxy).toBe(true);
  });
});

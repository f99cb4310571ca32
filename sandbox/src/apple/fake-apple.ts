/** @module The fake Apple: generated keys and certificates, token minting, and the merchant validation gateway, in one object. */
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateFakeAppleCertificates } from './certificates.js';
import { startFakeAppleGateway, type FakeAppleGateway } from './gateway.js';
import { createTokenMinter, type ApplePayToken, type MintTokenInput } from './mint-token.js';

/** Options of {@link createFakeApple}. */
export interface FakeAppleOptions {
  /** Default 'merchant.kz.epay-applepay.sandbox'. */
  merchantId?: string;
  /** Default 'epay-applepay sandbox'; the name minted tokens' sessions are expected to carry. */
  displayName?: string;
}

/** Paths written by {@link FakeApple.writeFiles}. */
export interface FakeAppleFiles {
  rootCa: string;
  processingCert: string;
  processingKey: string;
  processingRsaCert: string;
  processingRsaKey: string;
  identityCert: string;
  identityKey: string;
  tlsCa: string;
}

/** A stand-in for Apple with freshly generated keys (nothing is ever committed). */
export interface FakeApple {
  merchantId: string;
  displayName: string;
  /** Self-signed EC P-384 root, in the place of Apple Root CA - G3: give it to the proxy as APPLE_ROOT_CA. */
  rootCaPem: string;
  /** Carries 1.2.840.113635.100.6.2.14, like Apple Application Integration CA - G3. */
  intermediatePem: string;
  /** Carries 1.2.840.113635.100.6.29: signs the tokens. */
  leafPem: string;
  /** EC P-256 Payment Processing certificate (with the merchant identifier extension) and key, for EC_v1. */
  processing: { certPem: string; keyPem: string };
  /** RSA-2048 Payment Processing certificate and key, for RSA_v1. */
  processingRsa: { certPem: string; keyPem: string };
  /** Merchant Identity certificate and key: the TLS client certificate the gateway demands. */
  identity: { certPem: string; keyPem: string };
  /** CA of the gateway's HTTPS certificate (for 127.0.0.1 and localhost): trust it with NODE_EXTRA_CA_CERTS. */
  tlsCaPem: string;
  /** Mints a token as Apple would for this merchant. */
  mintToken(input: MintTokenInput): ApplePayToken;
  startGateway(o?: { host?: string; port?: number }): Promise<FakeAppleGateway>;
  /** Writes the PEM files the proxy's settings point at; keys with mode 0600. */
  writeFiles(dir: string): Promise<FakeAppleFiles>;
}

export const DEFAULT_SANDBOX_MERCHANT_ID = 'merchant.kz.epay-applepay.sandbox';
export const DEFAULT_SANDBOX_DISPLAY_NAME = 'epay-applepay sandbox';
const PRIVATE_FILE_MODE = 0o600;

/**
 * Generates a fake Apple: a test root in the place of Apple Root CA - G3, Apple's intermediate and token
 * signing leaf under it, the merchant's Payment Processing (EC and RSA) and Merchant Identity certificates,
 * and a TLS CA for the gateway. EC keys throughout, one RSA-2048 key.
 *
 * @example
 * const apple = await createFakeApple();
 * const token = apple.mintToken({ amountMinor: 150000 });
 * const gateway = await apple.startGateway();
 */
export async function createFakeApple(o: FakeAppleOptions = {}): Promise<FakeApple> {
  const merchantId = o.merchantId ?? DEFAULT_SANDBOX_MERCHANT_ID;
  const displayName = o.displayName ?? DEFAULT_SANDBOX_DISPLAY_NAME;
  const certs = await generateFakeAppleCertificates(merchantId);
  const pair = (i: { certPem: string; keyPem: string }) => ({ certPem: i.certPem, keyPem: i.keyPem });
  const mintToken = createTokenMinter({
    leaf: certs.leaf,
    intermediate: certs.intermediate,
    processing: certs.processing,
    processingRsa: certs.processingRsa,
    faulty: certs.faulty,
  });

  return {
    merchantId,
    displayName,
    rootCaPem: certs.root.certPem,
    intermediatePem: certs.intermediate.certPem,
    leafPem: certs.leaf.certPem,
    processing: pair(certs.processing),
    processingRsa: pair(certs.processingRsa),
    identity: pair(certs.identity),
    tlsCaPem: certs.tlsCa.certPem,
    mintToken,
    startGateway: (options) =>
      startFakeAppleGateway({ tlsServer: certs.tlsServer, rootCaPem: certs.root.certPem, leaf: certs.leaf }, options),
    async writeFiles(dir) {
      await mkdir(dir, { recursive: true });
      const files: Array<[keyof FakeAppleFiles, string, string, boolean]> = [
        ['rootCa', 'apple-root-ca.pem', certs.root.certPem, false],
        ['processingCert', 'processing-cert.pem', certs.processing.certPem, false],
        ['processingKey', 'processing-key.pem', certs.processing.keyPem, true],
        ['processingRsaCert', 'processing-rsa-cert.pem', certs.processingRsa.certPem, false],
        ['processingRsaKey', 'processing-rsa-key.pem', certs.processingRsa.keyPem, true],
        ['identityCert', 'identity-cert.pem', certs.identity.certPem, false],
        ['identityKey', 'identity-key.pem', certs.identity.keyPem, true],
        ['tlsCa', 'tls-ca.pem', certs.tlsCa.certPem, false],
      ];
      const paths = {} as FakeAppleFiles;
      for (const [name, file, content, secret] of files) {
        const path = join(dir, file);
        await writeFile(path, content, { mode: secret ? PRIVATE_FILE_MODE : 0o644 });
        // writeFile's mode applies only when it creates the file; an existing key file is tightened too.
        if (secret) await chmod(path, PRIVATE_FILE_MODE);
        paths[name] = path;
      }
      return paths;
    },
  };
}

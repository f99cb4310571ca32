/** @module The demo's sandbox: the sandbox bank and the sandbox Apple (keys, files, gateway) in this process, and the proxy settings that point at them. */
import { generateKeyPairSync } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  createFakeApple,
  SANDBOX_EPAY,
  startFakeEpay,
  type FakeApple,
  type FakeAppleGateway,
  type FakeEpay,
} from '@epay-applepay/sandbox';

/** ePay's production key size; the sandbox bank should look like the real one. */
const BANK_KEY_BITS = 4096;
const BANK_KEY_FILE = 'bank-private-key.pem';
const PRIVATE_FILE_MODE = 0o600;
/**
 * How long after the customer's answer on the bank's 3-D Secure page the sandbox bank waits for the merchant's confirm
 * before it settles the payment itself and notifies (the sandbox's default is 10 s). Short enough to watch a closed tab
 * still end in an event; far longer than a browser's trip to the proxy's TermUrl, which confirms first.
 */
export const DEMO_THREE_DS_SELF_COMPLETE_MS = 3_000;

/** The running sandbox and the settings that point the proxy at it. */
export interface SandboxStack {
  bank: FakeEpay;
  apple: FakeApple;
  gateway: FakeAppleGateway;
  /** The proxy's settings for the sandbox (bank, Apple files, gateway, trust), without the shop's own. */
  proxyEnv: Record<string, string>;
  close(): Promise<void>;
}

/**
 * The bank's RSA-4096 key, generated once and kept in `dir` (0600): generating one takes seconds, and a
 * key that stays the same across runs changes nothing the demo shows.
 */
async function bankKey(dir: string): Promise<string> {
  const path = join(dir, BANK_KEY_FILE);
  try {
    return await readFile(path, 'utf8');
  } catch {
    const pem = generateKeyPairSync('rsa', { modulusLength: BANK_KEY_BITS })
      .privateKey.export({ format: 'pem', type: 'pkcs8' })
      .toString();
    // Written under a temporary name first, so a second demo starting at the same time never reads half a key.
    const temp = `${path}.${process.pid}.tmp`;
    await writeFile(temp, pem, { mode: PRIVATE_FILE_MODE });
    await chmod(temp, PRIVATE_FILE_MODE);
    await rename(temp, path);
    return pem;
  }
}

/**
 * Starts the sandbox bank and the sandbox Apple on loopback and writes Apple's certificates and keys under `dir`
 * (git-ignored; keys 0600), in a folder of this run that `close()` removes. Fresh Apple keys every run; the bank
 * key is kept and reused.
 *
 * @example
 * const sandbox = await startSandboxStack('.sandbox/demo');
 * spawnProxy({ ...sandbox.proxyEnv, PUBLIC_URL: '…', ORDER_SIGNING_SECRET: '…' });
 */
export async function startSandboxStack(dir: string, options: { singleStage?: boolean } = {}): Promise<SandboxStack> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const [privateKeyPem, apple] = await Promise.all([
    bankKey(dir),
    createFakeApple({ displayName: 'Demo Shop (sandbox)' }),
  ]);
  // One folder per run: two demos started at once never overwrite each other's keys.
  const appleDir = join(dir, `apple-${process.pid}`);
  const files = await apple.writeFiles(appleDir);
  const bank = await startFakeEpay({
    privateKeyPem,
    host: '127.0.0.1',
    singleStage: options.singleStage ?? false,
    threeDsSelfCompleteMs: DEMO_THREE_DS_SELF_COMPLETE_MS,
  });
  let gateway: FakeAppleGateway;
  try {
    gateway = await apple.startGateway({ host: '127.0.0.1' });
  } catch (err) {
    await bank.close();
    throw err;
  }
  return {
    bank,
    apple,
    gateway,
    proxyEnv: {
      EPAY_CLIENT_ID: SANDBOX_EPAY.clientId,
      EPAY_CLIENT_SECRET: SANDBOX_EPAY.clientSecret,
      EPAY_TERMINAL_ID: SANDBOX_EPAY.terminalId,
      EPAY_OAUTH_URL: bank.oauthUrl,
      EPAY_API_URL: bank.apiUrl,
      APPLE_MERCHANT_ID: apple.merchantId,
      APPLE_DISPLAY_NAME: apple.displayName,
      APPLE_IDENTITY_CERT: files.identityCert,
      APPLE_IDENTITY_KEY: files.identityKey,
      APPLE_PROCESSING_CERT: `${files.processingCert},${files.processingRsaCert}`,
      APPLE_PROCESSING_KEY: `${files.processingKey},${files.processingRsaKey}`,
      APPLE_ROOT_CA: files.rootCa,
      APPLE_VALIDATION_HOSTS: gateway.host,
      // The gateway's HTTPS certificate comes from the sandbox's own CA: trusted the standard Node way.
      NODE_EXTRA_CA_CERTS: files.tlsCa,
    },
    async close() {
      await Promise.allSettled([bank.close(), gateway.close(), rm(appleDir, { recursive: true, force: true })]);
    },
  };
}

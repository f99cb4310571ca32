/**
 * `pnpm demo` as a person runs it: one command prints one URL, and Ctrl-C stops every process and server it started
 * (the page, the proxy process, the sandbox bank, the sandbox Apple gateway) and removes the run's Apple keys.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { request as httpsRequest } from 'node:https';
import { describe, expect, it } from 'vitest';
import { startDemoCommand, TEST_SANDBOX_DIR } from './support/demo-command.js';

/** Resolves true when nothing listens at the URL any more. */
async function refused(url: string): Promise<boolean> {
  if (url.startsWith('https:')) {
    return new Promise((resolve) => {
      const req = httpsRequest(url, { rejectUnauthorized: false }, () => resolve(false));
      req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
      req.end();
    });
  }
  try {
    await fetch(url);
    return false;
  } catch (err) {
    return (err as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED';
  }
}

describe('pnpm demo', () => {
  it('prints one URL; Ctrl-C stops everything it started', { timeout: 120_000 }, async () => {
    const demo = await startDemoCommand();
    expect(demo.stdout().match(/https?:\/\/\S+/g)).toEqual([demo.url]);
    const { bankUrl, appleGatewayUrl, proxyUrl } = demo.sandbox;
    expect((await fetch(`${proxyUrl}/healthz`)).status).toBe(200);
    expect((await fetch(demo.url)).status).toBe(200);
    expect(await refused(appleGatewayUrl)).toBe(false);

    // The run's Apple keys sit in the git-ignored sandbox folder, readable by the owner only; the page never serves them.
    const appleDirs = readdirSync(TEST_SANDBOX_DIR).filter((d) => d.startsWith('apple-'));
    expect(appleDirs.length).toBeGreaterThan(0);
    const keyFile = appleDirs.map((d) => join(TEST_SANDBOX_DIR, d, 'identity-key.pem')).find((f) => existsSync(f))!;
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(statSync(join(TEST_SANDBOX_DIR, 'bank-private-key.pem')).mode & 0o777).toBe(0o600);
    for (const path of [
      '/.sandbox/demo/bank-private-key.pem',
      '/demo/src/main.ts',
      '/package.json',
      '/demo/web/index.html',
    ]) {
      expect((await fetch(new URL(path, demo.url))).status, path).toBe(404);
    }

    const before = new Set(appleDirs);
    expect(await demo.interrupt()).toBe(0);
    for (const url of [demo.url, proxyUrl, bankUrl, appleGatewayUrl]) expect(await refused(url), url).toBe(true);
    // This run's key folder is gone (another demo may be running with its own).
    const after = readdirSync(TEST_SANDBOX_DIR).filter((d) => d.startsWith('apple-'));
    expect(after.length).toBeLessThan(before.size);
  });
});

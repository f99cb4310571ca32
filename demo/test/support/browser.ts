/** @module Debian's Chromium driven by playwright-core (never a downloaded browser), and the sandbox bank's ledger. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { REPO_ROOT } from './demo-command.js';

export const CHROMIUM = '/usr/bin/chromium';
const HEADLESS_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
/** Screenshots are kept as test artifacts (git-ignored). */
export const ARTIFACTS = join(REPO_ROOT, 'demo', 'test-results');

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: HEADLESS_FLAGS });
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
}

/** One transaction as the sandbox bank's `GET /_sandbox/ledger` reports it. */
export interface LedgerEntry {
  id: string;
  invoiceId: string;
  amount: number;
  currency: string;
  reference: string;
  statusName: string;
  reasonCode: string;
  cardMask: string;
}

export async function ledgerOf(bankUrl: string, invoiceId: string): Promise<LedgerEntry[]> {
  const res = await fetch(`${bankUrl}/_sandbox/ledger`);
  const { transactions } = (await res.json()) as { transactions: LedgerEntry[] };
  return transactions.filter((t) => t.invoiceId === invoiceId);
}

/**
 * Retries an assertion on a page value until it holds (playwright-core has no web-first assertions of its own).
 *
 * @example
 * await until(() => page.getByTestId('total').textContent()).toBe('5,900.00 KZT');
 */
export function until<T>(read: () => Promise<T>) {
  return expect.poll(read, { timeout: UNTIL_TIMEOUT_MS, interval: 100 });
}
/** Longer than any step of a payment against the sandbox on a slow machine. */
const UNTIL_TIMEOUT_MS = 15_000;

/**
 * The two integration examples in Chromium, served by the demo (same origin, the proxy under /pay): a plain HTML page
 * with the classic script tag, and a Vite SPA importing the ES module. Each pays with the simulated sheet and the
 * sandbox bank's ledger shows the charge.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, ledgerOf, screenshot, until } from './support/browser.js';

const { url, sandbox } = inject('demo');
const STEP_TIMEOUT_MS = 10_000;
let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

async function open(path: string): Promise<{ page: Page; scripts: string[] }> {
  const context = await browser.newContext({ viewport: { width: 900, height: 760 } });
  context.setDefaultTimeout(STEP_TIMEOUT_MS);
  const page = await context.newPage();
  const scripts: string[] = [];
  page.on('request', (r) => r.resourceType() === 'script' && scripts.push(new URL(r.url()).pathname));
  await page.goto(new URL(path, url).href);
  return { page, scripts };
}

/** Pays with the wallet's first card (Visa 0001); returns the invoice the proxy reported, read from its answer. */
async function payOnSheet(page: Page): Promise<string> {
  const answer = page.waitForResponse((r) => r.url().endsWith('/pay/applepay/payments'));
  await page.getByRole('button', { name: 'Buy with Apple Pay' }).click();
  const sheet = page.getByRole('dialog', { name: 'Simulated Apple Pay' });
  await sheet.getByText('Verified by the sandbox Apple').waitFor();
  await sheet.getByRole('button', { name: 'Pay', exact: true }).click();
  const body = (await (await answer).json()) as { status: string; payment: { invoiceId: string } };
  expect(body.status).toBe('paid');
  await sheet.waitFor({ state: 'hidden' });
  return body.payment.invoiceId;
}

describe('integration examples', () => {
  it('plain HTML with the classic script tag: pays, shows the reference; the bank records AUTH', async () => {
    const { page, scripts } = await open('/examples/plain/');
    expect(scripts).toContain('/js/epay-applepay-button.iife.js');
    // The classic build defines the element and exposes the class on window.EpayApplePay.
    expect(await page.evaluate(() => typeof (globalThis as unknown as { EpayApplePay?: { EpayApplePayButton?: unknown } }).EpayApplePay?.EpayApplePayButton)).toBe('function');
    const invoiceId = await payOnSheet(page);
    await until(() => page.locator('#result').textContent()).toMatch(/^Paid\. Reference \d+\.$/);
    await screenshot(page, 'example-plain-paid');
    const reference = /Reference (\d+)/.exec((await page.locator('#result').textContent())!)?.[1];
    expect(await ledgerOf(sandbox.bankUrl, invoiceId)).toEqual([
      expect.objectContaining({ statusName: 'AUTH', reference, amount: 2400, currency: 'KZT' }),
    ]);
    await page.context().close();
  });

  it('SPA importing the ES module: a new order per quantity, pays, shows the reference; the bank records AUTH', async () => {
    const { page, scripts } = await open('/examples/spa/');
    expect(scripts.some((s) => s.includes('iife'))).toBe(false);
    await until(() => page.locator('#total').textContent()).toBe('9500.00 KZT');
    await page.getByLabel('Pairs').fill('2');
    await until(() => page.locator('#total').textContent()).toBe('19000.00 KZT');
    await until(() => page.getByRole('button', { name: 'Buy with Apple Pay' }).isEnabled()).toBe(true);

    const invoiceId = await payOnSheet(page);
    await until(() => page.locator('#view').textContent()).toMatch(/^Thank you! Paid, reference \d+\.$/);
    await screenshot(page, 'example-spa-paid');
    const reference = /reference (\d+)/.exec((await page.locator('#view').textContent())!)?.[1];
    expect(await ledgerOf(sandbox.bankUrl, invoiceId)).toEqual([
      expect.objectContaining({ statusName: 'AUTH', reference, amount: 19000, currency: 'KZT' }),
    ]);
    await page.context().close();
  });
});

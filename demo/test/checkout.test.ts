/**
 * The demo checkout clicked through in Chromium as a customer would, for every choice of the simulated sheet; each
 * checks what the page shows and what the sandbox bank's ledger recorded. Screenshots go to demo/test-results/.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { ledgerOf, launchChromium, screenshot, until } from './support/browser.js';

const { url, sandbox } = inject('demo');
/** Device PANs of the simulated wallet (demo/src/cards.ts): never in anything the browser receives. */
const PANS = ['4400430100000001', '4400430100000011', '5169490100000051'];
/** A customer's step never takes this long against the sandbox; a hung step fails here rather than at the test's end. */
const STEP_TIMEOUT_MS = 10_000;
let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

/** Opens the shop in a fresh browser context; resolves once the backend has signed an order. */
async function openShop(): Promise<{ page: Page; invoiceId: string; bodies: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1200, height: 860 } });
  context.setDefaultTimeout(STEP_TIMEOUT_MS);
  const page = await context.newPage();
  const bodies: string[] = [];
  page.on('response', (r) => {
    if (/\/(pay|demo-api|shop)\//.test(r.url())) void r.text().then((t) => bodies.push(t), () => undefined);
  });
  await page.goto(url);
  await until(() => page.getByTestId('invoice').textContent()).toMatch(/^\d{12}$/);
  const invoiceId = (await page.getByTestId('invoice').textContent())!;
  return { page, invoiceId, bodies };
}

/** Presses the Apple Pay button and waits until the sheet shows the merchant verified by the sandbox Apple. */
async function openSheet(page: Page) {
  await page.getByRole('button', { name: 'Buy with Apple Pay' }).click();
  const sheet = page.getByRole('dialog', { name: 'Simulated Apple Pay' });
  await sheet.getByText('Simulated Apple Pay · a stand-in').waitFor();
  await sheet.getByText('Verified by the sandbox Apple for 127.0.0.1').waitFor();
  return sheet;
}

async function payWith(page: Page, card: RegExp) {
  const sheet = await openSheet(page);
  await sheet.getByRole('radio', { name: card }).check();
  await sheet.getByRole('button', { name: 'Pay', exact: true }).click();
  return sheet;
}

describe('the demo checkout, in a browser without Apple Pay', () => {
  it('pays with Visa 0001: the sheet shows the order, the page the reference, the bank records AUTH', async () => {
    const { page, invoiceId, bodies } = await openShop();
    await until(() => page.getByRole('note').textContent()).toContain('installed a simulated ApplePaySession');
    const total = (await page.getByTestId('total').textContent())!; // "5,900.00 KZT"

    const sheet = await openSheet(page);
    await until(() => sheet.locator('.amount').textContent()).toBe(`${total.replace(/,/g, '')}`);
    await screenshot(page, 'sheet');
    await sheet.getByRole('radio', { name: /0001/ }).check();
    await sheet.getByRole('button', { name: 'Pay', exact: true }).click();

    const outcome = page.getByRole('status').filter({ hasText: 'Paid' });
    await until(() => outcome.textContent()).toContain(`Paid: order ${invoiceId}, ${total}, reference`);
    await sheet.waitFor({ state: 'hidden' });
    await screenshot(page, 'paid');
    const reference = /reference (\d+)/.exec((await outcome.textContent())!)?.[1];

    const charges = await ledgerOf(sandbox.bankUrl, invoiceId);
    expect(charges).toEqual([
      expect.objectContaining({ statusName: 'AUTH', reasonCode: '00', reference, amount: 5900, currency: 'KZT', cardMask: '440043******0001' }),
    ]);
    // The log tells the whole story in order: the wallet's steps and the element's events.
    const log = page.getByTestId('event-log');
    for (const step of ['epay-ready', 'epay-click', 'onvalidatemerchant', 'completeMerchantValidation', 'onpaymentauthorized', 'epay-success']) {
      await until(() => log.textContent()).toContain(step);
    }
    await until(() => page.getByTestId('ledger').locator(`tr[data-invoice="${invoiceId}"]`).textContent()).toContain('AUTH');
    // A new order is ready for the next payment.
    await until(() => page.getByTestId('invoice').textContent()).not.toBe(invoiceId);
    for (const body of bodies) for (const pan of PANS) expect(body).not.toContain(pan);
    await page.context().close();
  });

  it('pays with 3-D Secure: the bank password page, then the shop\u2019s own success page', async () => {
    const { page, invoiceId } = await openShop();
    await payWith(page, /0011/);

    await page.getByRole('heading', { name: 'Confirm the payment' }).waitFor();
    await page.getByText('440043******0011').waitFor();
    await screenshot(page, '3ds-bank-page');
    // The customer reads the one-time code from the sandbox bank's hint.
    const code = (await page.locator('.hint strong').textContent())!;
    await page.getByLabel('One-time code').fill(code);
    await page.getByRole('button', { name: 'Confirm' }).click();

    await page.waitForURL(/\/shop\/thanks\?/);
    expect(new URL(page.url()).origin).toBe(new URL(url).origin);
    await page.getByRole('heading', { name: 'Thank you, your order is paid' }).waitFor();
    await until(() => page.getByTestId('invoice').textContent()).toBe(invoiceId);
    await screenshot(page, '3ds-paid');
    const reference = await page.getByTestId('reference').textContent();

    const charges = await ledgerOf(sandbox.bankUrl, invoiceId);
    expect(charges).toEqual([expect.objectContaining({ statusName: 'AUTH', reasonCode: '00', reference, cardMask: '440043******0011' })]);
    await until(() => page.getByTestId('bank-record').textContent()).toContain('AUTH');

    // Back in the shop, the log kept the story across the bank's pages.
    await page.getByRole('link', { name: 'Back to the shop' }).click();
    await until(() => page.getByTestId('event-log').textContent()).toContain('epay-3ds');
    await page.context().close();
  });

  it('3-D Secure declined at the bank: the shop\u2019s failure page, FAILED 455, nothing charged', async () => {
    const { page, invoiceId } = await openShop();
    await payWith(page, /0011/);
    await page.getByRole('button', { name: 'Decline' }).click();

    await page.waitForURL(/\/shop\/payment-failed\?/);
    await page.getByRole('heading', { name: 'The payment did not go through' }).waitFor();
    await until(() => page.getByTestId('reason').textContent()).toContain('(455)');
    await screenshot(page, '3ds-declined');
    const charges = await ledgerOf(sandbox.bankUrl, invoiceId);
    expect(charges).toEqual([expect.objectContaining({ statusName: 'FAILED', reasonCode: '455' })]);
    await page.context().close();
  });

  it('a declined card: the sheet fails, the page says why, the bank records FAILED 51', async () => {
    const { page, invoiceId } = await openShop();
    const sheet = await payWith(page, /0051/);
    await sheet.getByText('Payment not completed').waitFor();
    await until(() => page.getByRole('status').filter({ hasText: 'Declined' }).textContent()).toContain(
      'Declined by the bank: Insufficient funds (code 51). Nothing was charged',
    );
    await sheet.waitFor({ state: 'hidden' });
    await screenshot(page, 'declined');
    const charges = await ledgerOf(sandbox.bankUrl, invoiceId);
    expect(charges).toEqual([expect.objectContaining({ statusName: 'FAILED', reasonCode: '51', cardMask: '516949******0051' })]);

    // The same order can be paid again with another card.
    await payWith(page, /0001/);
    await until(() => page.getByRole('status').filter({ hasText: 'Paid' }).textContent()).toContain(`Paid: order ${invoiceId}`);
    expect((await ledgerOf(sandbox.bankUrl, invoiceId)).map((c) => c.statusName)).toEqual(['FAILED', 'AUTH']);
    await page.context().close();
  });

  it('cancel: the sheet closes, the page says nothing was charged, the bank has no transaction', async () => {
    const { page, invoiceId } = await openShop();
    const sheet = await openSheet(page);
    await sheet.getByRole('button', { name: 'Cancel' }).click();
    await sheet.waitFor({ state: 'hidden' });
    await until(() => page.getByRole('status').filter({ hasText: 'closed the sheet' }).textContent()).toContain('Nothing was charged');
    await until(() => page.getByTestId('event-log').textContent()).toContain('epay-cancel');
    await screenshot(page, 'cancelled');
    expect(await ledgerOf(sandbox.bankUrl, invoiceId)).toEqual([]);
    await page.context().close();
  });

  it('the amount follows the basket: the backend re-signs the order and the sheet shows the new total', async () => {
    const { page, invoiceId } = await openShop();
    await page.getByRole('button', { name: 'One more Felt slippers' }).click();
    await until(() => page.getByTestId('invoice').textContent()).not.toBe(invoiceId);
    await until(() => page.getByTestId('total').textContent()).toBe('15,400.00 KZT');
    const sheet = await openSheet(page);
    await until(() => sheet.locator('.amount').textContent()).toBe('15400.00 KZT');
    await sheet.getByRole('button', { name: 'Cancel' }).click();
    await page.context().close();
  });
});

describe('a browser with a real ApplePaySession', () => {
  it('never gets the simulation', async () => {
    const context = await browser.newContext();
    context.setDefaultTimeout(STEP_TIMEOUT_MS);
    // Stands for Safari's own ApplePaySession, defined before any script of the page runs.
    await context.addInitScript(() => {
      (globalThis as unknown as { ApplePaySession: unknown }).ApplePaySession = class {
        static canMakePayments() {
          return false;
        }
        static supportsVersion() {
          return true;
        }
      };
    });
    const page = await context.newPage();
    await page.goto(url);
    await until(() => page.getByRole('note').textContent()).toContain('This browser has Apple Pay, so the demo leaves it alone');
    expect(await page.evaluate(() => (globalThis as unknown as { EpayDemoSimulator: { installed: boolean } }).EpayDemoSimulator.installed)).toBe(false);
    expect(await page.evaluate(() => 'simulated' in (globalThis as unknown as { ApplePaySession: object }).ApplePaySession)).toBe(false);
    await until(() => page.getByTestId('event-log').textContent()).toContain('cannot_make_payments');
    await page.getByRole('button', { name: 'Buy with Apple Pay' }).waitFor({ state: 'hidden' });
    await context.close();
  });
});

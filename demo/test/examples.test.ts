/**
 * The two integration examples, served by the demo (same origin, the proxy under /pay), in each engine from the same
 * scenario code: a plain HTML page with the classic script tag, and a Vite SPA importing the ES module. Each pays with
 * the simulated sheet and the sandbox bank's ledger shows the charge.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launchEngine } from './support/engines.js';
import { ledgerByReference, ledgerOf } from './support/ledger.js';
import { chosenEngines, type EngineBrowser, type PageDriver } from './support/page-driver.js';
import { BUY_BUTTON, inSheet, SHEET } from './support/selectors.js';
import { until } from './support/until.js';

const { url, sandbox } = inject('demo');
const VIEWPORT = { width: 900, height: 760 };
/** Paths of every resource the page loaded (Resource Timing: the same in both engines, no network hooks needed). */
const LOADED_PATHS = `performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname)`;

describe.each(chosenEngines())('integration examples in %s', (engine) => {
  let browser: EngineBrowser;
  /** The engine in every test's name, so the run's output tells the two apart. */
  const named = (title: string) => `${title} [${engine}]`;

  beforeAll(async () => {
    browser = await launchEngine(engine);
  });
  afterAll(async () => {
    await browser?.close();
  });

  async function open(path: string): Promise<PageDriver> {
    const page = await browser.newPage({ viewport: VIEWPORT });
    await page.open(new URL(path, url).href);
    return page;
  }

  /** Pays with the wallet's first card (Visa 0001, checked when the sheet opens) and waits for the sheet to close. */
  async function payOnSheet(page: PageDriver): Promise<void> {
    await page.click(BUY_BUTTON);
    await page.waitFor(inSheet('.verified', 'Verified by the sandbox Apple'));
    await page.click(inSheet('button.pay', /^Pay$/));
    await page.waitFor(SHEET, 'hidden');
  }

  /** The one charge with the reference the page showed: AUTH for the amount, and the only transaction of its invoice. */
  async function expectCharged(reference: string | undefined, amount: number): Promise<void> {
    expect(reference).toMatch(/^\d+$/);
    const [charge, ...more] = await ledgerByReference(sandbox.bankUrl, reference!);
    expect(more).toEqual([]);
    expect(charge).toEqual(
      expect.objectContaining({
        statusName: 'AUTH',
        reasonCode: '00',
        amount,
        currency: 'KZT',
        cardMask: '440043******0001',
      }),
    );
    expect(await ledgerOf(sandbox.bankUrl, charge!.invoiceId)).toEqual([charge]);
  }

  it(named('plain HTML with the classic script tag: pays, shows the reference; the bank records AUTH'), async () => {
    const page = await open('/examples/plain/');
    expect(await page.evaluate<string[]>(LOADED_PATHS)).toContain('/js/epay-applepay-button.iife.js');
    // The classic build defines the element and exposes the class on window.EpayApplePay.
    expect(await page.evaluate('typeof window.EpayApplePay?.EpayApplePayButton')).toBe('function');
    await payOnSheet(page);
    await until(() => page.text('#result[role=status]')).toMatch(/^Paid\. Reference \d+\.$/);
    await page.screenshot('example-plain-paid');
    await expectCharged(/Reference (\d+)/.exec((await page.text('#result'))!)?.[1], 2400);
    await page.close();
  });

  it(
    named('SPA importing the ES module: a new order per quantity, pays, shows the reference; the bank records AUTH'),
    async () => {
      const page = await open('/examples/spa/');
      await until(() => page.text('#total')).toBe('9500.00 KZT');
      expect((await page.evaluate<string[]>(LOADED_PATHS)).filter((p) => p.includes('iife'))).toEqual([]);
      await page.fill('label input#qty', '2');
      await until(() => page.text('#total')).toBe('19000.00 KZT');

      await payOnSheet(page);
      await until(() => page.text('#view')).toMatch(/^Thank you! Paid, reference \d+\.$/);
      await page.screenshot('example-spa-paid');
      await expectCharged(/reference (\d+)/.exec((await page.text('#view'))!)?.[1], 19000);
      await page.close();
    },
  );
});

/**
 * The product page's "Buy now" in each engine, as a customer clicks through it: the simulated sheet shows the order's
 * lines and the shop's two delivery methods, every change on the sheet (delivery, coupon, address) is re-priced and
 * re-signed by the shop's backend before the sheet shows it and lets the customer pay, and the sandbox bank charges
 * exactly the re-priced amount, once.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launchEngine } from './support/engines.js';
import { ledgerOf } from './support/ledger.js';
import { chosenEngines, type EngineBrowser, type PageDriver } from './support/page-driver.js';
import { BUY_BUTTON, inSheet, SHEET, testId } from './support/selectors.js';
import { until } from './support/until.js';

const { url, sandbox } = inject('demo');
const OUTCOME = '#outcome[role=status]';
const EVENT_LOG = testId('event-log');
/** The sheet's shadow root, for what a person sees but the driver's text reads do not give (checked, disabled). */
const SHEET_ROOT = "document.querySelector('#simulated-apple-pay-sheet').shadowRoot";

describe.each(chosenEngines())('the product page in %s', (engine) => {
  let browser: EngineBrowser;
  const named = (title: string) => `${title} [${engine}]`;

  beforeAll(async () => {
    browser = await launchEngine(engine);
  });
  afterAll(async () => {
    await browser?.close();
  });

  /** Opens the product page from the shop's page; resolves once the backend has signed an express order. */
  async function openProduct(): Promise<{ page: PageDriver; invoiceId: string }> {
    const page = await browser.newPage();
    await page.open(url);
    await page.click({ css: 'a#product-link', text: 'Buy now' });
    await until(() => page.url()).toBe(new URL('/product', url).href);
    await until(() => page.text(testId('invoice'))).toMatch(/^\d{12}$/);
    expect(await page.evaluate("document.querySelector('a#back').getAttribute('href')")).toBe('/');
    return { page, invoiceId: (await page.text(testId('invoice')))! };
  }

  /** Presses "Buy now" and waits until the sheet has the merchant verified and the first address re-priced. */
  async function openSheet(page: PageDriver): Promise<void> {
    await page.click(BUY_BUTTON);
    await page.waitFor(inSheet('.verified', 'Verified by the sandbox Apple for 127.0.0.1'));
    // Safari asks for the price at the default address at once; the sheet takes changes once that update is in.
    await until(() => page.text(EVENT_LOG)).toContain('completeShippingContactSelection');
    await page.waitFor(inSheet('input[name=method]:not(:disabled)'));
  }

  it(
    named(
      'Buy now: two delivery methods, pickup lowers the total, a wrong coupon blocks Pay, WELCOME10 re-prices, ' +
        'and the bank charges the re-priced amount once',
    ),
    async () => {
      const { page, invoiceId } = await openProduct();
      expect(await page.text(testId('product-name'))).toBe('Felt slippers');
      expect(await page.text(testId('total'))).toBe('11,000.00 KZT');

      await openSheet(page);
      // Both methods, their Russian labels intact, the courier selected and in the total.
      expect(
        await page.evaluate<string[]>(
          `[...${SHEET_ROOT}.querySelectorAll('label.method')].map((l) => l.textContent.replace(/\\s+/g, ' ').trim())`,
        ),
      ).toEqual(['Курьер / CourierАлматы, 1–2 дня1500.00 KZT', 'Самовывоз / PickupДостық даңғылы, 5 · Алматы0.00 KZT']);
      expect(await page.evaluate(`${SHEET_ROOT}.querySelector('input[name=method]:checked').value`)).toBe('courier');
      await until(() => page.text(inSheet('.amount'))).toBe('11000.00 KZT');
      expect(
        await page.evaluate<string[]>(`[...${SHEET_ROOT}.querySelectorAll('.line')].map((l) => l.textContent)`),
      ).toEqual(['Felt slippers9500.00 KZT', 'Курьер / Courier1500.00 KZT']);
      await page.screenshot('express-sheet');

      // Pickup: the backend re-prices, the total drops by the courier's 1,500.
      await page.click(inSheet('input[name=method][value=pickup]'));
      await until(() => page.text(inSheet('.amount'))).toBe('9500.00 KZT');
      await until(() => page.text(testId('total'))).toBe('9,500.00 KZT');

      // A wrong code: the sheet shows the shop's error, keeps the total, and will not pay.
      await page.fill(inSheet('input.coupon-code'), 'NOPE');
      await page.click(inSheet('button.apply', 'Apply'));
      await until(() => page.text(inSheet('ul.errors[role=alert]'))).toContain('The code NOPE is not valid');
      expect(await page.text(inSheet('.amount'))).toBe('9500.00 KZT');
      expect(await page.evaluate(`${SHEET_ROOT}.querySelector('button.pay').disabled`)).toBe(true);
      await page.screenshot('express-coupon-refused');

      // WELCOME10: 10 % off the slippers, the errors gone, pickup still chosen.
      await page.fill(inSheet('input.coupon-code'), 'WELCOME10');
      await page.click(inSheet('button.apply', 'Apply'));
      await until(() => page.text(inSheet('.amount'))).toBe('8550.00 KZT');
      expect(await page.text(inSheet('ul.errors'))).toBe('');
      expect(await page.evaluate(`${SHEET_ROOT}.querySelector('input[name=method]:checked').value`)).toBe('pickup');
      expect(await page.text(inSheet('.line', 'WELCOME10'))).toBe('Скидка / Discount WELCOME10-950.00 KZT');
      await page.screenshot('express-re-priced');

      await page.click(inSheet('label.card', /0001/));
      await page.click(inSheet('button.pay', /^Pay$/));
      await until(() => page.text({ css: OUTCOME, text: 'Paid' })).toContain(
        `Paid: order ${invoiceId}, 8,550.00 KZT, delivery pickup, reference`,
      );
      await page.waitFor(SHEET, 'hidden');
      expect(await ledgerOf(sandbox.bankUrl, invoiceId)).toEqual([
        expect.objectContaining({
          statusName: 'AUTH',
          reasonCode: '00',
          amount: 8550,
          currency: 'KZT',
          cardMask: '440043******0001',
        }),
      ]);
      // The page's ledger shows the same one charge, at the re-priced amount.
      await until(() => page.text(`${testId('ledger')} tr[data-invoice="${invoiceId}"]`)).toContain('8550 KZT');
      await page.screenshot('express-paid');
      for (const step of ['epay-shipping-contact', 'epay-shipping-method', 'epay-coupon-code', 'epay-success'])
        expect(await page.text(EVENT_LOG)).toContain(step);
      // A new order is ready for the next purchase.
      await until(() => page.text(testId('invoice'))).not.toBe(invoiceId);
      await page.close();
    },
  );

  it(
    named(
      'an address outside Kazakhstan: the sheet shows the shop cannot deliver and will not pay; cancel charges nothing',
    ),
    async () => {
      const { page, invoiceId } = await openProduct();
      await openSheet(page);
      await page.click(inSheet('input[name=address][value=bishkek]'));
      await until(() => page.text(inSheet('ul.errors[role=alert]'))).toContain('We deliver in Kazakhstan only');
      expect(await page.evaluate(`${SHEET_ROOT}.querySelector('button.pay').disabled`)).toBe(true);
      await page.screenshot('express-address-refused');

      await page.click(inSheet('input[name=address][value=almaty]'));
      await until(() => page.text(inSheet('ul.errors'))).toBe('');
      await until(() => page.evaluate(`${SHEET_ROOT}.querySelector('button.pay').disabled`)).toBe(false);
      await page.click(inSheet('button.cancel', 'Cancel'));
      await page.waitFor(SHEET, 'hidden');
      await until(() => page.text({ css: OUTCOME, text: 'closed the sheet' })).toContain('Nothing was charged');
      expect(await ledgerOf(sandbox.bankUrl, invoiceId)).toEqual([]);
      await page.close();
    },
  );
});

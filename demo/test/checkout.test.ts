/**
 * The demo checkout clicked through as a customer would, for every choice of the simulated sheet, in each engine
 * (Chromium through playwright-core, WebKitGTK through WebDriver; `DEMO_BROWSERS` picks) from the same scenario code.
 * Each checks what the page shows and what the sandbox bank's ledger recorded. Screenshots go to
 * demo/test-results/<engine>/.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launchEngine } from './support/engines.js';
import { ledgerOf } from './support/ledger.js';
import { chosenEngines, EngineLimitation, type EngineBrowser, type PageDriver } from './support/page-driver.js';
import { BUY_BUTTON, inSheet, PAGE_STATE, SHEET, testId } from './support/selectors.js';
import { until } from './support/until.js';

const { url, sandbox } = inject('demo');
/** Device PANs of the simulated wallet (demo/src/cards.ts): never in anything the browser receives. */
const PANS = ['4400430100000001', '4400430100000011', '5169490100000051'];
const OUTCOME = '#outcome[role=status]';
/** What the demo server gives the element as its `sdk` in the mode "Chrome with Apple's SDK" (demo/src/web-server.ts). */
const SDK_STAND_IN = '/simulator/simulated-apple-pay.js?as=apple-pay-sdk';
const EVENT_LOG = testId('event-log');
/** Stands for Safari's own ApplePaySession, defined before any script of the page runs. */
const REAL_APPLE_PAY = `globalThis.ApplePaySession = class {
  static canMakePayments() { return false; }
  static supportsVersion() { return true; }
};`;

describe.each(chosenEngines())('the demo checkout in %s', (engine) => {
  let browser: EngineBrowser;
  /** The engine in every test's name, so the run's output tells the two apart. */
  const named = (title: string) => `${title} [${engine}]`;

  beforeAll(async () => {
    browser = await launchEngine(engine);
  });
  afterAll(async () => {
    await browser?.close();
  });

  /** Opens the shop in a fresh tab; resolves once the backend has signed an order. */
  async function openShop(): Promise<{ page: PageDriver; invoiceId: string }> {
    const page = await browser.newPage();
    await page.open(url);
    await until(() => page.text(testId('invoice'))).toMatch(/^\d{12}$/);
    return { page, invoiceId: (await page.text(testId('invoice')))! };
  }

  /** Presses the Apple Pay button and waits until the sheet shows the merchant verified by the sandbox Apple. */
  async function openSheet(page: PageDriver): Promise<void> {
    await page.click(BUY_BUTTON);
    await page.waitFor(inSheet('.banner', 'Simulated Apple Pay · a stand-in'));
    await page.waitFor(inSheet('.verified', 'Verified by the sandbox Apple for 127.0.0.1'));
  }

  /** Opens the sheet, picks the card by the label's last digits and presses Pay. */
  async function payWith(page: PageDriver, card: RegExp): Promise<void> {
    await openSheet(page);
    await page.click(inSheet('label.card', card));
    await page.click(inSheet('button.pay', /^Pay$/));
  }

  it(
    named('pays with Visa 0001: the sheet shows the order, the page the reference, the bank records AUTH'),
    async () => {
      const { page, invoiceId } = await openShop();
      await until(() => page.text('#mode[role=note]')).toContain('installed a simulated ApplePaySession');
      const total = (await page.text(testId('total')))!; // "5,900.00 KZT"

      await openSheet(page);
      await until(() => page.text(inSheet('.amount'))).toBe(total.replace(/,/g, ''));
      await page.screenshot('sheet');
      await page.click(inSheet('label.card', /0001/));
      await page.click(inSheet('button.pay', /^Pay$/));

      const paid = { css: OUTCOME, text: 'Paid' };
      await until(() => page.text(paid)).toContain(`Paid: order ${invoiceId}, ${total}, reference`);
      await page.waitFor(SHEET, 'hidden');
      await page.screenshot('paid');
      const reference = /reference (\d+)/.exec((await page.text(paid))!)?.[1];

      expect(await ledgerOf(sandbox.bankUrl, invoiceId)).toEqual([
        expect.objectContaining({
          statusName: 'AUTH',
          reasonCode: '00',
          reference,
          amount: 5900,
          currency: 'KZT',
          cardMask: '440043******0001',
        }),
      ]);
      // The log tells the whole story in order: the wallet's steps and the element's events.
      const steps = [
        'epay-ready',
        'epay-click',
        'onvalidatemerchant',
        'completeMerchantValidation',
        'onpaymentauthorized',
        'epay-success',
      ];
      await until(async () => {
        // The log shows the newest entry first.
        const story = await page.evaluate<string>(
          `[...document.querySelectorAll('${EVENT_LOG} li')].reverse().map((li) => li.textContent).join('\\n')`,
        );
        const at = steps.map((s) => story.indexOf(s));
        return at.every((n, i) => n >= 0 && (i === 0 || n > at[i - 1]!)) ? 'in order' : story;
      }).toBe('in order');
      await until(() => page.text(`${testId('ledger')} tr[data-invoice="${invoiceId}"]`)).toContain('AUTH');
      // A new order is ready for the next payment.
      await until(() => page.text(testId('invoice'))).not.toBe(invoiceId);

      // No device PAN in what the page holds, nor (where the engine lets the test read them) in any response.
      const held = await page.evaluate<string>(PAGE_STATE);
      for (const pan of PANS) expect(held).not.toContain(pan);
      const bodies = page.responseBodies();
      if (bodies) {
        expect(bodies.length).toBeGreaterThan(3);
        for (const body of bodies) for (const pan of PANS) expect(body).not.toContain(pan);
      }
      await page.close();
    },
  );

  it(
    named(
      "Chrome with Apple's SDK: the element loads the stand-in SDK itself, once, shows Apple's button, and pays with Visa 0001",
    ),
    async () => {
      const page = await browser.newPage();
      await page.open(`${url}?mode=apple-sdk`);
      await until(() => page.text(testId('invoice'))).toMatch(/^\d{12}$/);
      const invoiceId = (await page.text(testId('invoice')))!;
      await until(() => page.text('#mode[role=note]')).toContain("Chrome with Apple's SDK");
      expect(await page.text('.modes a[aria-current=page]')).toBe("Chrome with Apple's SDK");
      // Nothing in front of the page: the one simulated-Apple script is the element's sdk, added by the element.
      await until(() => page.text(EVENT_LOG)).toContain('epay-ready');
      expect(
        await page.evaluate<unknown>(
          `[...document.scripts].filter((s) => s.src.includes('/simulator/')).map((s) => ({ path: new URL(s.src).pathname + new URL(s.src).search, crossorigin: s.getAttribute('crossorigin'), inHead: s.parentNode === document.head }))`,
        ),
      ).toEqual([{ path: SDK_STAND_IN, crossorigin: 'anonymous', inHead: true }]);
      expect(await page.evaluate('window.EpayDemoSimulator.role')).toBe('sdk');
      expect(await page.evaluate("'simulated' in window.ApplePaySession")).toBe(true);
      expect(await page.evaluate("document.querySelector('#pay').getAttribute('sdk')")).toBe(SDK_STAND_IN);
      await until(() => page.text(EVENT_LOG)).toContain('{ "available": true }');
      const total = (await page.text(testId('total')))!;

      // A real click on Apple's button (the stand-in's) in the element's shadow root opens the sheet.
      await payWith(page, /0001/);
      await until(() => page.text({ css: OUTCOME, text: 'Paid' })).toContain(
        `Paid: order ${invoiceId}, ${total}, reference`,
      );
      await page.waitFor(SHEET, 'hidden');
      await page.screenshot('sdk-paid');
      expect(await ledgerOf(sandbox.bankUrl, invoiceId)).toEqual([
        expect.objectContaining({ statusName: 'AUTH', reasonCode: '00', cardMask: '440043******0001' }),
      ]);
      const steps = ['epay-ready', 'epay-click', 'onvalidatemerchant', 'completeMerchantValidation', 'epay-success'];
      await until(async () => {
        const story = await page.evaluate<string>(
          `[...document.querySelectorAll('${EVENT_LOG} li')].reverse().map((li) => li.textContent).join('\\n')`,
        );
        const at = steps.map((step) => story.indexOf(step));
        return at.every((n, i) => n >= 0 && (i === 0 || n > at[i - 1]!)) ? 'in order' : story;
      }).toBe('in order');
      await page.close();
    },
  );

  it(named('pays with 3-D Secure: the bank password page, then the shop\u2019s own success page'), async () => {
    const { page, invoiceId } = await openShop();
    await payWith(page, /0011/);

    await page.waitFor({ css: 'h1', text: 'Confirm the payment' });
    await page.waitFor({ css: 'dd', text: '440043******0011' });
    await page.screenshot('3ds-bank-page');
    // The customer reads the one-time code from the sandbox bank's hint and types it into the labelled field.
    await page.waitFor({ css: 'label[for=code]', text: 'One-time code' });
    const code = (await page.text('.hint strong'))!;
    await page.fill('input#code', code);
    await page.click({ css: 'button[type=submit]', text: 'Confirm' });

    await until(() => page.url()).toMatch(/\/shop\/thanks\?/);
    expect(new URL(await page.url()).origin).toBe(new URL(url).origin);
    await page.waitFor({ css: 'h1', text: 'Thank you, your order is paid' });
    await until(() => page.text(testId('invoice'))).toBe(invoiceId);
    await page.screenshot('3ds-paid');
    const reference = await page.text(testId('reference'));

    expect(await ledgerOf(sandbox.bankUrl, invoiceId)).toEqual([
      expect.objectContaining({ statusName: 'AUTH', reasonCode: '00', reference, cardMask: '440043******0011' }),
    ]);
    await until(() => page.text(testId('bank-record'))).toContain('AUTH');

    // Back in the shop, the log kept the story across the bank's pages.
    await page.click({ css: 'a', text: 'Back to the shop' });
    await until(() => page.text(EVENT_LOG)).toContain('epay-3ds');
    await page.close();
  });

  it(
    named('3-D Secure declined at the bank: the shop\u2019s failure page, 3D 455 (a failed check), nothing charged'),
    async () => {
      const { page, invoiceId } = await openShop();
      await payWith(page, /0011/);
      await page.click({ css: 'button[type=submit]', text: 'Decline' });

      await until(() => page.url()).toMatch(/\/shop\/payment-failed\?/);
      await page.waitFor({ css: 'h1', text: 'The payment did not go through' });
      await until(() => page.text(testId('reason'))).toContain('(455)');
      await page.screenshot('3ds-declined');
      expect(await ledgerOf(sandbox.bankUrl, invoiceId)).toEqual([
        expect.objectContaining({ statusName: '3D', reasonCode: '455' }),
      ]);
      await page.close();
    },
  );

  it(named('a declined card: the sheet fails, the page says why, the bank records FAILED 51'), async () => {
    const { page, invoiceId } = await openShop();
    await payWith(page, /0051/);
    await page.waitFor(inSheet('[role=status]', 'Payment not completed'));
    await until(() => page.text({ css: OUTCOME, text: 'Declined' })).toContain(
      'Declined by the bank: Insufficient funds (code 51). Nothing was charged',
    );
    await page.waitFor(SHEET, 'hidden');
    await page.screenshot('declined');
    expect(await ledgerOf(sandbox.bankUrl, invoiceId)).toEqual([
      expect.objectContaining({ statusName: 'FAILED', reasonCode: '51', cardMask: '516949******0051' }),
    ]);

    // The same order can be paid again with another card.
    await payWith(page, /0001/);
    await until(() => page.text({ css: OUTCOME, text: 'Paid' })).toContain(`Paid: order ${invoiceId}`);
    expect((await ledgerOf(sandbox.bankUrl, invoiceId)).map((c) => c.statusName)).toEqual(['FAILED', 'AUTH']);
    await page.close();
  });

  it(named('cancel: the sheet closes, the page says nothing was charged, the bank has no transaction'), async () => {
    const { page, invoiceId } = await openShop();
    await openSheet(page);
    await page.click(inSheet('button.cancel', 'Cancel'));
    await page.waitFor(SHEET, 'hidden');
    await until(() => page.text({ css: OUTCOME, text: 'closed the sheet' })).toContain('Nothing was charged');
    await until(() => page.text(EVENT_LOG)).toContain('epay-cancel');
    await page.screenshot('cancelled');
    expect(await ledgerOf(sandbox.bankUrl, invoiceId)).toEqual([]);
    await page.close();
  });

  it(
    named('the amount follows the basket: the backend re-signs the order and the sheet shows the new total'),
    async () => {
      const { page, invoiceId } = await openShop();
      await page.click('button[aria-label="One more Felt slippers"]');
      await until(() => page.text(testId('invoice'))).not.toBe(invoiceId);
      await until(() => page.text(testId('total'))).toBe('15,400.00 KZT');
      await openSheet(page);
      await until(() => page.text(inSheet('.amount'))).toBe('15400.00 KZT');
      await page.click(inSheet('button.cancel', 'Cancel'));
      await page.waitFor(SHEET, 'hidden');
      await page.close();
    },
  );

  /** A browser with its own ApplePaySession (Safari) never gets the simulation; needs a script before the page's. */
  async function realApplePayNeverSimulated(): Promise<void> {
    const page = await browser.newPage({ initScript: REAL_APPLE_PAY });
    await page.open(url);
    await until(() => page.text('#mode[role=note]')).toContain(
      'This browser has Apple Pay, so the demo leaves it alone',
    );
    expect(await page.evaluate('window.EpayDemoSimulator.installed')).toBe(false);
    expect(await page.evaluate("'simulated' in window.ApplePaySession")).toBe(false);
    await until(() => page.text(EVENT_LOG)).toContain('cannot_make_payments');
    await page.waitFor(BUY_BUTTON, 'hidden');
    await page.close();
  }

  if (engine === 'chromium') {
    it(named('a browser with a real ApplePaySession never gets the simulation'), realApplePayNeverSimulated);
  } else {
    // Why: both need WebDriver BiDi (script.addPreloadScript, network events), which WebKitWebDriver 2.50 lacks.
    it(
      named(
        'expected difference: "a browser with a real ApplePaySession" (a script before the page\u2019s own) and the ' +
          'response-body PAN check run in Chromium only, WebKitWebDriver has no WebDriver BiDi; WebKitGTK itself has no ' +
          'ApplePaySession, so it gets the simulation',
      ),
      async () => {
        const refused = await realApplePayNeverSimulated().then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(refused).toBeInstanceOf(EngineLimitation);
        expect((refused as Error).message).toMatch(/Failed to match capabilities/);

        const page = await browser.newPage();
        expect(page.responseBodies()).toBeUndefined();
        // The engine's own window, before any script of the demo: no Apple Pay (WebKitGTK does not build it).
        await page.open('about:blank');
        expect(await page.evaluate("'ApplePaySession' in window")).toBe(false);
        await page.open(url);
        await until(() => page.text('#mode[role=note]')).toContain('installed a simulated ApplePaySession');
        expect(await page.evaluate('window.EpayDemoSimulator.installed')).toBe(true);
        expect(await page.evaluate("'simulated' in window.ApplePaySession")).toBe(true);
        await page.waitFor(BUY_BUTTON);
        await page.close();
      },
    );
  }
});

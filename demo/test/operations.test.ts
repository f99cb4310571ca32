/**
 * The merchant's side in the demo, clicked through in each engine: a payment held by the two-stage terminal (AUTH) is
 * captured (CHARGE) and partly refunded (PARTIAL_REFUND) from the ledger panel, another is voided (CANCEL); a
 * one-stage terminal (DEMO_SINGLE_STAGE=1, a second demo) charges at once and refunds. The page asks the shop's
 * backend, which asks the proxy's operations API with a key of the run that the browser and the output never see.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startDemoCommand, type RunningDemo } from './support/demo-command.js';
import { launchEngine } from './support/engines.js';
import { ledgerOf } from './support/ledger.js';
import { chosenEngines, type EngineBrowser, type PageDriver } from './support/page-driver.js';
import { proxySetting } from './support/proxy-env.js';
import { BUY_BUTTON, inSheet, PAGE_STATE, SHEET, testId } from './support/selectors.js';
import { until } from './support/until.js';

const { url, sandbox } = inject('demo');
const OUTCOME = '#outcome[role=status]';
const LIVE = '#operation-result[role=status][aria-live=polite]';

/** The operations key of the proxy listening on `proxyUrl`. */
function operationsKeyOf(proxyUrl: string): string {
  return proxySetting(proxyUrl, 'OPERATIONS_API_KEYS');
}

/** The page's HTML and every script and style sheet it loads, as the server serves them. */
async function servedText(pageUrl: string): Promise<string> {
  const html = await (await fetch(pageUrl)).text();
  const assets = [...html.matchAll(/(?:src|href)="([^"]+\.(?:js|css))"/g)].map((m) => new URL(m[1]!, pageUrl).href);
  expect(assets.length).toBeGreaterThan(1);
  const texts = await Promise.all(assets.map(async (a) => (await fetch(a)).text()));
  return [html, ...texts].join('\n');
}

/** The one-stage demo, started by its own command for this file. */
let single: RunningDemo;

beforeAll(async () => {
  single = await startDemoCommand({ DEMO_SINGLE_STAGE: '1' });
});
afterAll(async () => {
  await single?.interrupt();
});

describe.each(chosenEngines())('the merchant\u2019s side in %s', (engine) => {
  let browser: EngineBrowser;
  /** The engine in every test's name, so the run's output tells the two apart. */
  const named = (title: string) => `${title} [${engine}]`;

  beforeAll(async () => {
    browser = await launchEngine(engine);
  });
  afterAll(async () => {
    await browser?.close();
  });

  const row = (invoiceId: string) => `${testId('ledger')} tr[data-invoice="${invoiceId}"]`;

  /** Opens the shop and pays its order with Visa 0001 (the plain "paid" path); resolves with the invoice. */
  async function payAnOrder(shopUrl: string): Promise<{ page: PageDriver; invoiceId: string }> {
    const page = await browser.newPage();
    await page.open(shopUrl);
    await until(() => page.text(testId('invoice'))).toMatch(/^\d{12}$/);
    const invoiceId = (await page.text(testId('invoice')))!;
    await page.click(BUY_BUTTON);
    await page.waitFor(inSheet('.verified', 'Verified by the sandbox Apple'));
    await page.click(inSheet('label.card', /0001/));
    await page.click(inSheet('button.pay', /^Pay$/));
    await until(() => page.text({ css: OUTCOME, text: 'Paid' })).toContain(`Paid: order ${invoiceId}`);
    await page.waitFor(SHEET, 'hidden');
    return { page, invoiceId };
  }

  it(named('two-stage: a paid order is AUTH; Capture makes it CHARGE, a partial Refund PARTIAL_REFUND'), async () => {
    const { page, invoiceId } = await payAnOrder(url);
    await until(() => page.text(testId('terminal-mode'))).toContain('Terminal: two-stage');
    await until(() => page.text(`${row(invoiceId)} td.status`)).toBe('AUTH');
    // A held payment offers Capture and Void, no refund yet.
    await page.waitFor(`button[aria-label="Void order ${invoiceId}"]`);
    await page.waitFor(`button[aria-label="Refund order ${invoiceId}"]`, 'hidden');

    await page.click(`button[aria-label="Capture order ${invoiceId}"]`);
    await until(() => page.text(LIVE)).toMatch(new RegExp(`^Capture of ${invoiceId}: ok, CHARGE \\(charged\\)`));
    await until(() => page.text(`${row(invoiceId)} td.status`)).toBe('CHARGE');
    await until(() => page.text(`${row(invoiceId)} td.operations`)).toBe('charge 5900');
    expect(await page.text(`${row(invoiceId)} ${testId('operation-result')}`)).toContain('ok, CHARGE');
    expect(await ledgerOf(sandbox.bankUrl, invoiceId)).toEqual([
      expect.objectContaining({ statusName: 'CHARGE', chargedAmount: 5900, refundedAmount: 0 }),
    ]);

    // A captured payment offers Refund, with what is left to refund; a part of it.
    await page.waitFor(`button[aria-label="Capture order ${invoiceId}"]`, 'hidden');
    const amountField = `input[aria-label="Refund amount for order ${invoiceId}, KZT"]`;
    expect(await page.evaluate(`document.querySelector('${amountField}').value`)).toBe('5900');
    await page.fill(amountField, '1000');
    await page.click(`button[aria-label="Refund order ${invoiceId}"]`);
    await until(() => page.text(LIVE)).toMatch(new RegExp(`^Refund of ${invoiceId} \\(1000\\): ok, PARTIAL_REFUND`));
    await until(() => page.text(`${row(invoiceId)} td.status`)).toBe('PARTIAL_REFUND');
    await until(() => page.text(`${row(invoiceId)} td.operations`)).toBe('charge 5900, refund 1000');
    await page.screenshot('operations-partial-refund');
    const [charge] = await ledgerOf(sandbox.bankUrl, invoiceId);
    expect(charge).toMatchObject({ statusName: 'PARTIAL_REFUND', chargedAmount: 5900, refundedAmount: 1000 });
    expect(charge!.operations).toEqual([
      expect.objectContaining({ kind: 'charge', amount: 5900 }),
      expect.objectContaining({ kind: 'refund', amount: 1000, externalId: expect.any(String) }),
    ]);

    // A refund below the bank's minimum: the proxy's error code next to the row, nothing done.
    await page.fill(amountField, '5');
    await page.click(`button[aria-label="Refund order ${invoiceId}"]`);
    await until(() => page.text(LIVE)).toContain(`Refund of ${invoiceId} failed: invalid_amount`);
    await until(() => page.text(`${row(invoiceId)} ${testId('operation-result')}`)).toContain('invalid_amount');
    expect((await ledgerOf(sandbox.bankUrl, invoiceId))[0]).toMatchObject({ refundedAmount: 1000 });

    const key = operationsKeyOf(sandbox.proxyUrl);
    expect(await page.evaluate<string>(PAGE_STATE)).not.toContain(key);
    for (const body of page.responseBodies() ?? []) expect(body).not.toContain(key);
    await page.close();
  });

  it(named('two-stage: Void on another paid order makes it CANCEL'), async () => {
    const { page, invoiceId } = await payAnOrder(url);
    await until(() => page.text(`${row(invoiceId)} td.status`)).toBe('AUTH');
    await page.click(`button[aria-label="Void order ${invoiceId}"]`);
    await until(() => page.text(LIVE)).toMatch(new RegExp(`^Void of ${invoiceId}: ok, CANCEL \\(cancelled\\)`));
    await until(() => page.text(`${row(invoiceId)} td.status`)).toBe('CANCEL');
    await page.screenshot('operations-void');
    // Nothing is left to do with a voided payment.
    await page.waitFor(`button[aria-label="Capture order ${invoiceId}"]`, 'hidden');
    await page.waitFor(`button[aria-label="Refund order ${invoiceId}"]`, 'hidden');
    const [charge] = await ledgerOf(sandbox.bankUrl, invoiceId);
    expect(charge).toMatchObject({ statusName: 'CANCEL', chargedAmount: 0 });
    expect(charge!.operations).toEqual([expect.objectContaining({ kind: 'cancel', amount: 5900 })]);
    await page.close();
  });

  it(
    named('one-stage (DEMO_SINGLE_STAGE=1): a paid order is CHARGE at once; Refund of all makes it REFUND'),
    async () => {
      const { page, invoiceId } = await payAnOrder(single.url);
      await until(() => page.text(testId('terminal-mode'))).toContain('Terminal: one-stage');
      await until(() => page.text(`${row(invoiceId)} td.status`)).toBe('CHARGE');
      await page.waitFor(`button[aria-label="Capture order ${invoiceId}"]`, 'hidden');
      // The field holds the whole amount: refund it all.
      await page.click(`button[aria-label="Refund order ${invoiceId}"]`);
      await until(() => page.text(LIVE)).toMatch(new RegExp(`^Refund of ${invoiceId} \\(5900\\): ok, REFUND`));
      await until(() => page.text(`${row(invoiceId)} td.status`)).toBe('REFUND');
      expect(await ledgerOf(single.sandbox.bankUrl, invoiceId)).toEqual([
        expect.objectContaining({
          statusName: 'REFUND',
          refundedAmount: 5900,
          operations: [expect.objectContaining({ kind: 'refund', amount: 5900 })],
        }),
      ]);
      const key = operationsKeyOf(single.sandbox.proxyUrl);
      expect(await page.evaluate<string>(PAGE_STATE)).not.toContain(key);
      for (const body of page.responseBodies() ?? []) expect(body).not.toContain(key);
      await page.close();
    },
  );
});

describe('the operations key', () => {
  it('works at the proxy, and is never in the page, its scripts, the shop\u2019s answers or the demo\u2019s output', async () => {
    for (const demo of [
      { pageUrl: url, proxyUrl: sandbox.proxyUrl },
      { pageUrl: single.url, proxyUrl: single.sandbox.proxyUrl },
    ]) {
      const key = operationsKeyOf(demo.proxyUrl);
      expect(key).toMatch(/^[0-9a-f]{64}$/);
      // It is the proxy's key: the operations API answers with it, and only with it.
      const asked = (authorization?: string) =>
        fetch(`${demo.proxyUrl}/operations/payments/123456`, authorization ? { headers: { authorization } } : {});
      expect((await asked()).status).toBe(401);
      expect((await asked(`Bearer ${key}`)).status).toBe(404);

      expect(await servedText(demo.pageUrl)).not.toContain(key);
      const shopAnswer = await fetch(new URL('/shop/operations/123456/refund', demo.pageUrl), {
        method: 'POST',
        body: '{"amount":100}',
      });
      expect(shopAnswer.status).toBe(404);
      const text = await shopAnswer.text();
      expect(JSON.parse(text)).toMatchObject({ error: { code: 'payment_not_found' } });
      expect(text).not.toContain(key);
      expect(shopAnswer.headers.get('authorization')).toBeNull();
    }
    // The one-stage demo's output, after its payments, refunds and the calls above.
    const out = single.stdout();
    expect(out).toContain('one-stage');
    expect(out).not.toContain(operationsKeyOf(single.sandbox.proxyUrl));
  });

  it('the shop checks the operation and the invoice before it asks the proxy', async () => {
    for (const [path, status] of [
      ['/shop/operations/123456/delete', 400],
      ['/shop/operations/12345/charge', 400],
      ['/shop/operations/1234567890123456/charge', 400],
      ['/shop/operations/12a456/cancel', 400],
    ] as const) {
      const res = await fetch(new URL(path, url), { method: 'POST', body: '{}' });
      expect(res.status, path).toBe(status);
      expect(await res.json()).toMatchObject({ error: { code: 'invalid_request' } });
    }
  });
});

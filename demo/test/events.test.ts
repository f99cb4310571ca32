/**
 * The merchant's backend hears of every outcome from the proxy's signed events, in each engine, as the page's
 * "Merchant backend: events received" panel shows them: a paid payment is one `payment.paid` from the payment's own
 * answer; Capture and Refund in the ledger are `payment.charged` and `payment.refunded` from the operations; and a
 * 3-D Secure payment whose tab closed between the bank's password page and the proxy's TermUrl still ends in
 * `payment.paid`, learned from the bank's notification, shown in another tab. A delivery that fails verification is
 * refused and counted, never shown as an event; the signing secret never reaches the page.
 */
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { callsOf, notificationsOf, setNotificationFaults } from './support/bank-records.js';
import { launchEngine } from './support/engines.js';
import { ledgerOf } from './support/ledger.js';
import { chosenEngines, type EngineBrowser, type PageDriver } from './support/page-driver.js';
import { proxySetting } from './support/proxy-env.js';
import { BUY_BUTTON, inSheet, PAGE_STATE, SHEET, testId } from './support/selectors.js';
import { until } from './support/until.js';

const { url, sandbox } = inject('demo');
const OUTCOME = '#outcome[role=status]';
const LIVE = '#operation-result[role=status][aria-live=polite]';
const EVENTS = testId('shop-events');
const COUNTS = testId('shop-events-counts');
/**
 * The sandbox bank posts its notification of a paid payment just before it answers `cryptopay`, so the proxy's own
 * check after its answer and the notification's check race for the payment's one event. Sent this much later, the
 * notification comes after the payment's answer made the event (and must not make a second one).
 */
const LATE_NOTIFICATION_MS = 2_000;

/** The panel's rows of one invoice, of one type if given. */
function eventRows(invoiceId: string, type?: string): string {
  return `${EVENTS} tr[data-invoice="${invoiceId}"]${type === undefined ? '' : `[data-type="${type}"]`}`;
}

/** How many rows of the panel match, now. */
function countRows(page: PageDriver, selector: string): Promise<number> {
  return page.evaluate<number>(`document.querySelectorAll(${JSON.stringify(selector)}).length`);
}

/** A delivery signed with a secret that is not the proxy's, as a forger would post it. */
async function postForgedEvent(invoiceId: string): Promise<Response> {
  const { createHmac } = await import('node:crypto');
  const body = JSON.stringify({
    id: 'evt_forged',
    type: 'payment.paid',
    created: Math.floor(Date.now() / 1000),
    data: {
      payment: { invoiceId, amount: 1, currency: 'KZT', state: 'charged', bankStatus: 'CHARGE' },
      source: 'payment',
    },
  });
  const t = Math.floor(Date.now() / 1000);
  const v1 = createHmac('sha256', 'not-the-proxys-secret-but-long-enough').update(`${t}.${body}`).digest('hex');
  return fetch(new URL('/shop/webhooks', url), {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'epay-signature': `t=${t},v1=${v1}` },
    body,
  });
}

describe.each(chosenEngines())('the merchant backend\u2019s events in %s', (engine) => {
  let browser: EngineBrowser;
  /** The engine in every test's name, so the run's output tells the two apart. */
  const named = (title: string) => `${title} [${engine}]`;

  beforeAll(async () => {
    browser = await launchEngine(engine);
  });
  afterAll(async () => {
    await browser?.close();
  });
  afterEach(async () => {
    // The demo is shared with the other files: its bank notifies promptly again.
    await setNotificationFaults(sandbox.bankUrl, {});
  });

  /** Opens the shop in a fresh tab; resolves once the backend has signed an order and the panel has loaded. */
  async function openShop(): Promise<{ page: PageDriver; invoiceId: string }> {
    const page = await browser.newPage();
    await page.open(url);
    await until(() => page.text(testId('invoice'))).toMatch(/^\d{12}$/);
    await until(() => page.text(COUNTS)).toContain('events kept');
    return { page, invoiceId: (await page.text(testId('invoice')))! };
  }

  /** Opens the sheet, picks the card by the label's last digits and presses Pay. */
  async function payWith(page: PageDriver, card: RegExp): Promise<void> {
    await page.click(BUY_BUTTON);
    await page.waitFor(inSheet('.verified', 'Verified by the sandbox Apple'));
    await page.click(inSheet('label.card', card));
    await page.click(inSheet('button.pay', /^Pay$/));
  }

  it(
    named(
      'paid, captured, partly refunded: one payment.paid from the payment, then payment.charged and payment.refunded',
    ),
    async () => {
      await setNotificationFaults(sandbox.bankUrl, { late: 1, lateMs: LATE_NOTIFICATION_MS });
      const { page, invoiceId } = await openShop();
      await payWith(page, /0001/);
      await until(() => page.text({ css: OUTCOME, text: 'Paid' })).toContain(`Paid: order ${invoiceId}`);
      await page.waitFor(SHEET, 'hidden');

      const paid = eventRows(invoiceId, 'payment.paid');
      await page.waitFor(paid);
      expect(await page.text(`${paid} td.source`)).toBe('payment');
      expect(await page.text(`${paid} td.amount`)).toBe('5900 KZT');
      expect(await page.text(`${paid} td.state`)).toBe('authorized (AUTH)');
      expect(await page.evaluate(`document.querySelector('${paid}').dataset.eventId`)).toMatch(/^evt_[0-9a-f]{32}$/);

      // Capture in the ledger: the shop asks the proxy's operations API, and the proxy reports it.
      const row = `${testId('ledger')} tr[data-invoice="${invoiceId}"]`;
      await until(() => page.text(`${row} td.status`)).toBe('AUTH');
      await page.click(`button[aria-label="Capture order ${invoiceId}"]`);
      await until(() => page.text(LIVE)).toContain(`Capture of ${invoiceId}: ok, CHARGE`);
      const charged = eventRows(invoiceId, 'payment.charged');
      await page.waitFor(charged);
      expect(await page.text(`${charged} td.source`)).toBe('operation');
      expect(await page.text(`${charged} td.state`)).toBe('charged (CHARGE)');

      const amountField = `input[aria-label="Refund amount for order ${invoiceId}, KZT"]`;
      await page.fill(amountField, '1000');
      await page.click(`button[aria-label="Refund order ${invoiceId}"]`);
      await until(() => page.text(LIVE)).toContain(`Refund of ${invoiceId} (1000): ok, PARTIAL_REFUND`);
      const refunded = eventRows(invoiceId, 'payment.refunded');
      await page.waitFor(refunded);
      expect(await page.text(`${refunded} td.source`)).toBe('operation');
      expect(await page.text(`${refunded} td.type`)).toBe('payment.refunded (refund 1000)');

      // The bank's notification came after the payment's event, and the proxy checked it: still one payment.paid.
      await until(async () => (await notificationsOf(sandbox.bankUrl, invoiceId)).map((n) => n.delivery)).toEqual([
        'delivered',
      ]);
      expect(await notificationsOf(sandbox.bankUrl, invoiceId)).toEqual([
        expect.objectContaining({
          kind: 'postLink',
          httpStatus: 200,
          url: expect.stringContaining('/pay/epay/notifications?ctx='),
        }),
      ]);
      // The newest event is on top: refunded, charged, paid.
      await until(async () =>
        page.evaluate<string[]>(
          `[...document.querySelectorAll('${eventRows(invoiceId)}')].map((tr) => tr.dataset.type)`,
        ),
      ).toEqual(['payment.refunded', 'payment.charged', 'payment.paid']);
      expect(await countRows(page, paid)).toBe(1);
      await page.evaluate(`document.querySelector('#events-title').scrollIntoView()`);
      await page.screenshot('events-paid-captured-refunded');

      // A delivery that fails verification: refused with its reason, counted in the panel, never shown as an event.
      const before = Number(await page.evaluate<string>(`document.querySelector('${COUNTS}').dataset.rejected`));
      const forged = await postForgedEvent(invoiceId);
      expect(forged.status).toBe(400);
      expect(await forged.json()).toEqual({ error: 'signature_mismatch' });
      await until(() => page.evaluate<string>(`document.querySelector('${COUNTS}').dataset.rejected`)).toBe(
        String(before + 1),
      );
      expect(await page.text(COUNTS)).toContain('last: signature_mismatch');
      expect(await countRows(page, `${EVENTS} tr[data-event-id="evt_forged"]`)).toBe(0);
      expect(await countRows(page, paid)).toBe(1);

      // The secret that signs the events is the proxy's and the shop's alone.
      const secret = proxySetting(sandbox.proxyUrl, 'WEBHOOK_SIGNING_SECRET');
      expect(secret).toMatch(/^[0-9a-f]{64}$/);
      expect(await page.evaluate<string>(PAGE_STATE)).not.toContain(secret);
      for (const body of page.responseBodies() ?? []) expect(body).not.toContain(secret);
      await page.close();
    },
  );

  it(
    named('3-D Secure, tab closed on the way back from the bank: payment.paid still arrives, seen in another tab'),
    async () => {
      const { page, invoiceId } = await openShop();
      await payWith(page, /0011/);
      await page.waitFor({ css: 'h1', text: 'Confirm the payment' });
      await page.waitFor({ css: 'label[for=code]', text: 'One-time code' });
      await page.fill('input#code', (await page.text('.hint strong'))!);

      // The customer confirms, and the tab is gone before the browser gets back to the shop. The bank answers Confirm
      // with a page whose script posts PaRes to the proxy's TermUrl at once, so a real click could reach the TermUrl
      // before any close. Instead the page sends the same form (its fields and Confirm) with fetch: the bank records
      // the customer's answer exactly as for the click, and its answer, the page that would return the customer, is
      // only read, never rendered, so nothing ever posts to the TermUrl. Then the tab closes.
      const action = await page.evaluate<string>(`(() => {
        const form = document.querySelector('form');
        const body = new URLSearchParams([...new FormData(form)].concat([['decision', 'confirm']]));
        window.bankAnswer = null;
        fetch(form.action, { method: 'POST', body }).then((r) => r.text()).then(
          (text) => { window.bankAnswer = text; },
          (e) => { window.bankAnswer = 'failed: ' + e; },
        );
        return form.action;
      })()`);
      expect(new URL(action).pathname).toBe('/3ds/submit');
      await until(() => page.evaluate<string | null>('window.bankAnswer')).toContain('Authentication succeeded.');
      // The page the browser never showed: it would have posted to the proxy's TermUrl, under /pay on the shop's origin.
      expect(await page.evaluate<string>('window.bankAnswer')).toContain(
        `action="${new URL('/pay/3ds/callback?ctx=', url).href}`,
      );
      await page.close();

      // Another tab of the shop: the shop's backend got the event, from the bank's notification (or, later, the
      // proxy's reconciliation), though the proxy never heard back from the browser.
      const other = await openShop();
      const paid = eventRows(invoiceId, 'payment.paid');
      // Within seconds: the sandbox bank stops waiting for the proxy's confirm after 3 s (the demo's setting) and notifies.
      await until(() => countRows(other.page, paid)).toBe(1);
      expect(await other.page.text(`${paid} td.source`)).toMatch(/^(notification|reconciliation)$/);
      expect(await other.page.text(`${paid} td.state`)).toBe('authorized (AUTH)');
      // The tab's ledger catches up with the event by itself: the bank holds the payment.
      await until(() => other.page.text(`${testId('ledger')} tr[data-invoice="${invoiceId}"] td.status`)).toBe('AUTH');
      await other.page.evaluate(`document.querySelector('#events-title').scrollIntoView()`);
      await other.page.screenshot('events-3ds-tab-closed');

      expect(await ledgerOf(sandbox.bankUrl, invoiceId)).toEqual([
        expect.objectContaining({ statusName: 'AUTH', reasonCode: '00', cardMask: '440043******0011' }),
      ]);
      // The bank settled it itself and notified the proxy; the proxy never confirmed, for no browser came back.
      expect(await notificationsOf(sandbox.bankUrl, invoiceId)).toEqual([
        expect.objectContaining({ kind: 'postLink', delivery: 'delivered', httpStatus: 200 }),
      ]);
      expect((await callsOf(sandbox.bankUrl, invoiceId)).map((c) => c.path)).not.toContain('/payment/confirm');
      await other.page.close();
    },
  );
});

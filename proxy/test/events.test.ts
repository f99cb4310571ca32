/**
 * Events for the merchant's backend over real HTTP (docs/webhooks.md), unhappy cases first: a receiver that is down,
 * slow or wrong; notifications forged, lost, duplicated or for an invoice the bank does not know; a status call that
 * stays down. None loses an event while the bank knows the outcome, and none makes two events of one fact.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventsOf } from '../src/app.js';
import {
  payOrder,
  invoiceOf,
  passwordPage,
  post,
  postForm,
  SCENARIO_AMOUNT,
  type Stack,
  start3ds,
  startStack,
} from './harness.js';
import { startWebhookReceiver, WEBHOOK_SECRET, type WebhookReceiver } from './webhook-receiver.js';

const KEY = 'operations-key-for-tests-0123456789abcdef';
/** Schedules short enough for tests; the shape (backoff, give-up) is the contract's. */
const TIMING = {
  deliveryTimeoutMs: 400,
  firstRetryMs: 50,
  maxRetryMs: 400,
  giveUpAfterMs: 60_000,
  reconcileFirstMs: 10 * 60_000,
};

let receiver: WebhookReceiver;
let s: Stack;

async function stack(options: { bank?: Record<string, unknown>; timing?: Partial<typeof TIMING> } = {}) {
  return startStack({
    env: { WEBHOOK_URL: receiver.url, WEBHOOK_SIGNING_SECRET: WEBHOOK_SECRET, OPERATIONS_API_KEYS: KEY },
    bank: { threeDsSelfCompleteMs: false, ...options.bank },
    app: { eventTiming: { ...TIMING, ...options.timing } },
  });
}

const pay = (st: Stack, amount: number = SCENARIO_AMOUNT.paid, claims: Record<string, unknown> = {}) =>
  payOrder(st, amount, { claims });

const ofInvoice = (invoiceId: string) =>
  [...receiver.accepted().values()].filter((e) => e.data.payment.invoiceId === invoiceId);
const statusCalls = (st: Stack, invoiceId: string) =>
  st.bank.calls.filter((c) => c.path.startsWith('/check-status') && c.invoiceId === invoiceId).length;

/** The link the bank was given for an invoice (recorded by the sandbox, whether or not it delivers). */
function linkOf(invoiceId: string, kind: 'postLink' | 'failurePostLink'): string {
  const n = s.bank.notifications.find((x) => x.body.invoiceId === invoiceId && x.kind === kind && !x.forged);
  if (!n) throw new Error(`no ${kind} for ${invoiceId}`);
  return n.url;
}

/** Every event queued so far is delivered (status checks of open payments may still be waiting). */
async function drained(st: Stack, timeoutMs = 10_000) {
  const events = eventsOf(st.app);
  if (!events) return;
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const p = await events.pending();
    if (p.deliveries === 0) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('events still pending');
}

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  s = await stack();
});
afterAll(async () => {
  await s?.close();
  await receiver?.close();
});
afterEach(() => receiver.behave([]));

describe('settings', () => {
  it('an order with its own postLink is refused when WEBHOOK_URL replaces it, and nothing reaches the bank', async () => {
    const before = s.bank.calls.length;
    const { r } = await pay(s, SCENARIO_AMOUNT.paid, { postLink: 'https://shop.example/hook' });
    expect([r.status, r.json.error.code]).toEqual([400, 'invalid_order']);
    expect(r.json.error.message).toMatch(/WEBHOOK_URL/);
    expect(s.bank.calls.length).toBe(before);
  });

  it("the bank gets the proxy's own notification link as postLink and failurePostLink", async () => {
    const paid = await pay(s);
    const declined = await pay(s, SCENARIO_AMOUNT.doNotHonor);
    const ok = linkOf(paid.invoiceId, 'postLink');
    const failure = linkOf(declined.invoiceId, 'failurePostLink');
    for (const link of [ok, failure]) {
      expect(link).toMatch(new RegExp(`^${s.url}/epay/notifications\\?ctx=[A-Za-z0-9_-]+$`));
    }
  });
});

describe('the bank’s notifications', () => {
  it('a missing, tampered or foreign seal is 400 and asks nothing of the bank', async () => {
    const { invoiceId, r } = await pay(s);
    expect(r.json.status).toBe('paid');
    await receiver.waitFor(() => ofInvoice(invoiceId).length === 1);
    const calls = s.bank.calls.length;
    const { form } = await start3ds(s);
    const termCtx = new URL(form.fields.TermUrl ?? '').searchParams.get('ctx') ?? '';
    const callsAfter3ds = s.bank.calls.length;
    for (const ctx of ['', 'nope', termCtx, `${termCtx.slice(0, -2)}AA`]) {
      const res = await post(`${s.url}/epay/notifications?ctx=${ctx}`, { code: 'ok', invoiceId, amount: 1500 });
      expect([ctx.slice(0, 8), res.status, res.json.error.code]).toEqual([ctx.slice(0, 8), 400, 'invalid_context']);
    }
    expect(s.bank.calls.length).toBe(callsAfter3ds);
    expect(calls).toBeLessThan(callsAfter3ds);
  });

  it('a forged body on a valid link ("ok" for a declined payment) makes the event the status call shows: declined', async () => {
    const { invoiceId, r } = await pay(s, SCENARIO_AMOUNT.insufficientFunds);
    expect(r.status).toBe(402);
    await receiver.waitFor(() => ofInvoice(invoiceId).length === 1);
    const link = linkOf(invoiceId, 'failurePostLink');
    const forged = await post(link, { code: 'ok', reason: 'success', reasonCode: '00', invoiceId, amount: 1500.51 });
    expect([forged.status, forged.json]).toEqual([200, { status: 'ok' }]);
    await drained(s);
    const events = ofInvoice(invoiceId);
    expect(events.map((e) => e.type)).toEqual(['payment.declined']);
  });

  it('3-D Secure finished on the bank’s page, the customer never back: the notification brings payment.paid', async () => {
    await s.close();
    s = await stack({ bank: { deliverNotifications: true, threeDsSelfCompleteMs: 100 } });
    const { o, form } = await start3ds(s);
    const invoiceId = invoiceOf(o);
    await passwordPage(form, true); // the form back to the TermUrl is never posted: the tab was closed
    await receiver.waitFor(() => ofInvoice(invoiceId).length === 1);
    const [event] = ofInvoice(invoiceId);
    expect(event?.type).toBe('payment.paid');
    expect(event?.data.source).toBe('notification');
    expect(event?.data.payment).toMatchObject({ invoiceId, state: 'authorized', bankStatus: 'AUTH', amount: 100.11 });
  });

  it('lost, duplicated, late and forged notifications: one event per payment, the true one', async () => {
    await s.close();
    s = await stack({
      bank: {
        deliverNotifications: true,
        notificationFaults: { seed: 7, lost: 0.3, duplicated: 0.3, late: 0.3, lateMs: 100, forged: 0.3 },
      },
    });
    const paid: string[] = [];
    const declined: string[] = [];
    for (let i = 0; i < 12; i++) {
      const amount = i % 3 === 2 ? SCENARIO_AMOUNT.doNotHonor : SCENARIO_AMOUNT.paid;
      const { invoiceId } = await pay(s, amount);
      (amount === SCENARIO_AMOUNT.paid ? paid : declined).push(invoiceId);
    }
    await s.bank.flushNotifications();
    await drained(s);
    for (const inv of paid) expect(ofInvoice(inv).map((e) => e.type)).toEqual(['payment.paid']);
    for (const inv of declined) expect(ofInvoice(inv).map((e) => e.type)).toEqual(['payment.declined']);
    expect(s.bank.notifications.some((n) => n.forged)).toBe(true);
  });

  it('a notification for an invoice the bank does not know: no event, asked again with backoff (no hot loop)', async () => {
    const events = eventsOf(s.app)!;
    const invoiceId = '990000000123';
    const link = events.notificationLink({ invoiceId, amount: 1500, currency: 'KZT' });
    const r = await post(link, { code: 'ok', invoiceId });
    expect(r.status).toBe(200);
    await new Promise((res) => setTimeout(res, 1_500));
    // 50, 100, 200, 400, 400… ms: about 6 calls in 1.5 s, never hundreds.
    const calls = statusCalls(s, invoiceId);
    expect(calls).toBeGreaterThanOrEqual(3);
    expect(calls).toBeLessThanOrEqual(8);
    expect(ofInvoice(invoiceId)).toEqual([]);
    expect((await events.pending()).checks).toBeGreaterThanOrEqual(1);
  });
});

describe('delivery', () => {
  it('a receiver that answers 500, then hangs past the timeout, then 200: delivered, the same id and body', async () => {
    receiver.behave(['fail', 'hang', 'ok']);
    const start = receiver.received.length;
    const { invoiceId } = await pay(s);
    await receiver.waitFor(() => ofInvoice(invoiceId).length === 1);
    const tries = receiver.received.slice(start).filter((x) => x.event?.data.payment.invoiceId === invoiceId);
    expect(tries.map((x) => x.status)).toEqual([500, 0, 200]);
    expect(new Set(tries.map((x) => x.event?.id)).size).toBe(1);
    expect(new Set(tries.map((x) => JSON.stringify(x.event))).size).toBe(1);
  });

  it('each delivery is signed for its own time (t moves between retries) and verifies with the configured secret', async () => {
    receiver.behave(['fail', 'ok']);
    const { invoiceId } = await pay(s);
    await receiver.waitFor(() => ofInvoice(invoiceId).length === 1);
    expect(receiver.received.every((x) => x.error === undefined)).toBe(true);
  });

  it('a payment answered paid becomes exactly one payment.paid from the bank’s record', async () => {
    const { invoiceId, r } = await pay(s);
    expect(r.json.status).toBe('paid');
    await receiver.waitFor(() => ofInvoice(invoiceId).length === 1);
    await drained(s);
    const [event] = ofInvoice(invoiceId);
    expect(event).toMatchObject({
      type: 'payment.paid',
      data: {
        source: 'payment',
        payment: {
          invoiceId,
          id: r.json.payment.id,
          amount: 1500,
          currency: 'KZT',
          state: 'authorized',
          bankStatus: 'AUTH',
        },
      },
    });
    expect(event?.id).toMatch(/^evt_[0-9a-f]{32}$/);
  });
});

describe('the 3-D Secure callback', () => {
  it('the customer back at the TermUrl: payment.paid from source 3ds; a failed check: payment.declined', async () => {
    const ok = await start3ds(s);
    const back = await passwordPage(ok.form, true);
    expect((await postForm(back.action, back.fields)).status).toBeLessThan(400);
    const failed = await start3ds(s);
    const backFailed = await passwordPage(failed.form, false);
    await postForm(backFailed.action, backFailed.fields);
    await receiver.waitFor(
      () => ofInvoice(invoiceOf(ok.o)).length === 1 && ofInvoice(invoiceOf(failed.o)).length === 1,
    );
    expect(ofInvoice(invoiceOf(ok.o)).map((e) => [e.type, e.data.source, e.data.payment.bankStatus])).toEqual([
      ['payment.paid', '3ds', 'AUTH'],
    ]);
    expect(ofInvoice(invoiceOf(failed.o)).map((e) => [e.type, e.data.source, e.data.payment.bankStatus])).toEqual([
      ['payment.declined', '3ds', '3D'],
    ]);
  });
});

describe('operations are events too', () => {
  it('charge and two partial refunds: payment.charged once, payment.refunded once per refund', async () => {
    const { invoiceId } = await pay(s);
    const opPost = (kind: string, key: string, body: unknown = {}) =>
      post(`${s.url}/operations/payments/${invoiceId}/${kind}`, body, {
        authorization: `Bearer ${KEY}`,
        'idempotency-key': key,
      });
    expect((await opPost('charge', `c-${invoiceId}`)).status).toBe(200);
    expect((await opPost('charge', `c-${invoiceId}`)).headers.get('idempotent-replayed')).toBe('true');
    expect((await opPost('refund', `r1-${invoiceId}`, { amount: 100 })).status).toBe(200);
    expect((await opPost('refund', `r2-${invoiceId}`, { amount: 200 })).status).toBe(200);
    await receiver.waitFor((a) => [...a.values()].filter((e) => e.data.payment.invoiceId === invoiceId).length === 4);
    await drained(s);
    const events = ofInvoice(invoiceId);
    expect(events.map((e) => e.type).sort()).toEqual([
      'payment.charged',
      'payment.paid',
      'payment.refunded',
      'payment.refunded',
    ]);
    const refunds = events.filter((e) => e.type === 'payment.refunded');
    expect(refunds.map((e) => e.data.refund?.amount).sort()).toEqual([100, 200]);
    expect(refunds.every((e) => e.data.source === 'operation')).toBe(true);
  });
});

describe('reconciliation', () => {
  it('a payment answered outcome_unknown is asked about again until the bank shows it: one payment.paid', async () => {
    await s.close();
    s = await stack({ timing: { reconcileFirstMs: 100 } });
    const { invoiceId, r } = await pay(s, SCENARIO_AMOUNT.droppedCharged);
    expect(r.json.error?.code ?? r.json.status).toMatch(/outcome_unknown|paid/);
    await receiver.waitFor(() => ofInvoice(invoiceId).length === 1);
    expect(ofInvoice(invoiceId)[0]?.type).toBe('payment.paid');
  });

  it('a 3-D Secure payment abandoned and never settled stays pending, with backoff, and sends nothing', async () => {
    const { o } = await start3ds(s);
    const invoiceId = invoiceOf(o);
    await new Promise((res) => setTimeout(res, 1_200));
    const calls = statusCalls(s, invoiceId);
    expect(calls).toBeGreaterThanOrEqual(2);
    expect(calls).toBeLessThanOrEqual(8);
    expect(ofInvoice(invoiceId)).toEqual([]);
  });
});

describe('secrets', () => {
  it('no log line holds the webhook secret, the operations key or a signature', () => {
    const text = JSON.stringify(s.logs);
    expect(text).not.toContain(WEBHOOK_SECRET);
    expect(text).not.toContain(KEY);
    expect(text).not.toMatch(/v1=[0-9a-f]{64}/);
  });
});

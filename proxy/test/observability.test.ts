/**
 * Logs, request ids and metrics of the whole proxy over real HTTP, against the sandbox bank and Apple: the request id
 * every answer carries, the production (pino) logger's lines with no secret in them, and the Prometheus metrics a
 * merchant alerts on, served on a port of their own and never by the public app (docs/metrics.md).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_EPAY } from '@epay-applepay/sandbox';
import { metricsOf } from '../src/app.js';
import { createLogger } from '../src/log.js';
import { type MetricsServer, serveMetrics } from '../src/metrics.js';
import {
  payOrder,
  order,
  passwordPage,
  post,
  postForm,
  SCENARIO_AMOUNT,
  SHOP_ORIGIN,
  type Stack,
  startStack,
  TEST_PAN,
} from './harness.js';
import { startWebhookReceiver, WEBHOOK_SECRET, type WebhookReceiver } from './webhook-receiver.js';

const KEY = 'operations-key-for-tests-0123456789abcdef';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const CRYPTOGRAM = 'AMwBRjPWDnAgAA7Rls7mAoABFA==';

let s: Stack;
let receiver: WebhookReceiver;
let metricsServer: MetricsServer;
/** Every line the proxy's own pino logger wrote. */
const lines: string[] = [];

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  s = await startStack({
    env: { WEBHOOK_URL: receiver.url, WEBHOOK_SIGNING_SECRET: WEBHOOK_SECRET, OPERATIONS_API_KEYS: KEY },
    bank: { threeDsSelfCompleteMs: false },
    app: {
      // The production logger, at its most talkative, into memory.
      logger: createLogger({ level: 'debug', destination: { write: (line: string) => void lines.push(line) } }),
      eventTiming: { firstRetryMs: 50, maxRetryMs: 400, deliveryTimeoutMs: 400, reconcileFirstMs: 10 * 60_000 },
    },
  });
  metricsServer = await serveMetrics(metricsOf(s.app)!, { port: 0, hostname: '127.0.0.1' });
});
afterAll(async () => {
  await metricsServer?.close();
  await s?.close();
  await receiver?.close();
});

const logged = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);

const pay = (amount: number, headers: Record<string, string> = {}) => payOrder(s, amount, { headers });

/** The metrics as Prometheus scrapes them: `name{labels}` → value. */
async function scrape(): Promise<{ text: string; get: (series: string) => number | undefined }> {
  const res = await fetch(`http://127.0.0.1:${metricsServer.port}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^(\S+?(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (m && !line.startsWith('#')) values.set(m[1]!, Number(m[2]));
  }
  return { text, get: (series) => values.get(series) };
}

describe('request ids', () => {
  it('takes a sane X-Request-Id, answers it back and logs it as reqId', async () => {
    const res = await fetch(`${s.url}/healthz`, { headers: { 'x-request-id': 'lb-7f3a.01:fra_9' } });
    expect(res.headers.get('x-request-id')).toBe('lb-7f3a.01:fra_9');
    expect(logged().at(-1)).toMatchObject({ path: '/healthz', status: 200, reqId: 'lb-7f3a.01:fra_9' });
  });

  it.each([
    ['none', undefined],
    ['one with a space', 'a b'],
    ['one longer than 128 characters', 'r'.repeat(129)],
    ['a card number', TEST_PAN],
  ])('makes one when the request sends %s', async (_name, sent) => {
    const res = await fetch(`${s.url}/healthz`, sent === undefined ? {} : { headers: { 'x-request-id': sent } });
    const id = res.headers.get('x-request-id');
    expect(id).toMatch(UUID);
    expect(logged().at(-1)).toMatchObject({ path: '/healthz', reqId: id });
    expect(lines.join('')).not.toContain(TEST_PAN);
  });

  it('comes back on every answer: a 404, a refusal, an error page, a preflight, a payment', async () => {
    const answers = [
      await fetch(`${s.url}/no/such/path`),
      await fetch(`${s.url}/metrics`),
      await fetch(`${s.url}/applepay/payments`, { method: 'POST', body: '{', headers: { origin: SHOP_ORIGIN } }),
      await fetch(`${s.url}/3ds/callback?ctx=forged`, { method: 'POST', body: new URLSearchParams({ PaRes: 'x' }) }),
      await fetch(`${s.url}/applepay/payments`, { method: 'OPTIONS', headers: { origin: SHOP_ORIGIN } }),
      await fetch(`${s.url}/operations/payments/000123456`),
    ];
    expect(answers.map((r) => r.status)).toEqual([404, 404, 400, 400, 204, 401]);
    const ids = answers.map((r) => r.headers.get('x-request-id'));
    for (const id of ids) expect(id).toMatch(UUID);
    expect(new Set(ids).size).toBe(ids.length);
    const recent = logged().slice(-answers.length);
    expect(recent.map((l) => l.reqId)).toEqual(ids);
    expect(recent.map((l) => l.status)).toEqual([404, 404, 400, 400, 204, 401]);
    const paid = await pay(SCENARIO_AMOUNT.paid, { 'x-request-id': 'checkout-42' });
    expect([paid.r.status, paid.r.headers.get('x-request-id')]).toEqual([200, 'checkout-42']);
  });
});

describe('metrics', () => {
  it('are never served by the public app', async () => {
    for (const path of ['/metrics', '/metrics/', '/applepay/metrics']) {
      const r = await fetch(`${s.url}${path}`);
      expect([path, r.status]).toEqual([path, 404]);
      expect(await r.text()).not.toContain('epay_applepay_');
    }
    // And the metrics port serves nothing of the app.
    const r = await fetch(`http://127.0.0.1:${metricsServer.port}/healthz`);
    expect(r.status).toBe(404);
  });

  it('count payments by outcome, bank calls by endpoint and result, with latency histograms', async () => {
    const before = await scrape();
    const at = (m: Awaited<ReturnType<typeof scrape>>, series: string) => m.get(series) ?? 0;
    const paid = await pay(SCENARIO_AMOUNT.paid);
    const declined = await pay(SCENARIO_AMOUNT.insufficientFunds);
    const unknown = await pay(SCENARIO_AMOUNT.droppedUncharged);
    expect([paid.r.status, declined.r.status, unknown.r.status]).toEqual([200, 402, 504]);
    expect(unknown.r.json.error.code).toBe('outcome_unknown');
    const invalid = await post(`${s.url}/applepay/payments`, { order: 'not-a-token', payment: {} });
    expect(invalid.status).toBe(400);

    const after = await scrape();
    const grew = (series: string) => at(after, series) - at(before, series);
    expect(grew('epay_applepay_payments_total{step="authorize",outcome="paid"}')).toBe(1);
    expect(grew('epay_applepay_payments_total{step="authorize",outcome="declined"}')).toBe(1);
    expect(grew('epay_applepay_payments_total{step="authorize",outcome="outcome_unknown"}')).toBe(1);
    expect(grew('epay_applepay_payments_total{step="authorize",outcome="invalid_request"}')).toBe(1);
    // Three cryptopay calls: two answered (the paid one 200, the decline a 4xx), one whose connection dropped.
    expect(grew('epay_applepay_bank_requests_total{endpoint="cryptopay",result="ok"}')).toBe(1);
    expect(grew('epay_applepay_bank_requests_total{endpoint="cryptopay",result="network"}')).toBe(1);
    expect(grew('epay_applepay_bank_request_duration_seconds_count{endpoint="cryptopay"}')).toBe(3);
    expect(grew('epay_applepay_bank_request_duration_seconds_bucket{le="+Inf",endpoint="cryptopay"}')).toBe(3);
    expect(at(after, 'epay_applepay_bank_request_duration_seconds_sum{endpoint="cryptopay"}')).toBeGreaterThan(0);
    expect(grew('epay_applepay_bank_request_duration_seconds_count{endpoint="token"}')).toBeGreaterThanOrEqual(3);
    expect(grew('epay_applepay_bank_request_duration_seconds_count{endpoint="status"}')).toBeGreaterThanOrEqual(2);
    expect(
      grew('epay_applepay_http_requests_total{route="/applepay/payments",status_class="2xx"}'),
    ).toBeGreaterThanOrEqual(1);
    expect(grew('epay_applepay_http_requests_total{route="/applepay/payments",status_class="5xx"}')).toBe(1);
  });

  it('count the 3-D Secure return, merchant validation with Apple, operations and event deliveries', async () => {
    const before = await scrape();
    const at = (m: Awaited<ReturnType<typeof scrape>>, series: string) => m.get(series) ?? 0;
    const session = await post(
      `${s.url}/applepay/session`,
      { validationURL: s.gateway.validationUrl, order: await order() },
      { origin: SHOP_ORIGIN },
    );
    expect(session.status).toBe(200);
    const threeDs = await pay(SCENARIO_AMOUNT.threeDs);
    expect(threeDs.r.json.status).toBe('3ds');
    const back = await passwordPage(threeDs.r.json.form, true);
    expect((await postForm(back.action, back.fields)).status).toBe(200);
    const { invoiceId } = await pay(SCENARIO_AMOUNT.paid);
    const ops = { authorization: `Bearer ${KEY}` };
    const charged = await post(`${s.url}/operations/payments/${invoiceId}/charge`, '', {
      ...ops,
      'idempotency-key': `c-${invoiceId}`,
    });
    const again = await post(`${s.url}/operations/payments/${invoiceId}/charge`, '', {
      ...ops,
      'idempotency-key': `c-${invoiceId}`,
    });
    const refused = await post(`${s.url}/operations/payments/${invoiceId}/cancel`, '', {
      ...ops,
      'idempotency-key': `x-${invoiceId}`,
    });
    expect([charged.status, again.status, refused.status]).toEqual([200, 200, 409]);
    await receiver.waitFor((events) =>
      [...events.values()].some((e) => e.data.payment.invoiceId === invoiceId && e.type === 'payment.charged'),
    );

    const after = await scrape();
    const grew = (series: string) => at(after, series) - at(before, series);
    expect(grew('epay_applepay_payments_total{step="authorize",outcome="3ds"}')).toBe(1);
    expect(grew('epay_applepay_payments_total{step="3ds_callback",outcome="paid"}')).toBe(1);
    // The bank answers payment/confirm with a redirect that the proxy reads, never follows.
    expect(grew('epay_applepay_bank_request_duration_seconds_count{endpoint="confirm"}')).toBe(1);
    expect(grew('epay_applepay_apple_session_requests_total{result="ok"}')).toBe(1);
    expect(grew('epay_applepay_apple_session_duration_seconds_count')).toBe(1);
    expect(grew('epay_applepay_operations_total{verb="charge",outcome="done"}')).toBe(1);
    expect(grew('epay_applepay_operations_total{verb="charge",outcome="replayed"}')).toBe(1);
    expect(grew('epay_applepay_operations_total{verb="cancel",outcome="invalid_state"}')).toBe(1);
    expect(grew('epay_applepay_bank_requests_total{endpoint="charge",result="ok"}')).toBe(1);
    expect(grew('epay_applepay_webhook_deliveries_total{result="done"}')).toBeGreaterThanOrEqual(2);
    expect(grew('epay_applepay_webhook_status_checks_total{result="done"}')).toBeGreaterThanOrEqual(1);
    expect(after.get('epay_applepay_webhook_pending{queue="deliveries"}')).toEqual(expect.any(Number));
    expect(after.get('epay_applepay_webhook_pending{queue="checks"}')).toEqual(expect.any(Number));
  });

  it('carry no invoice id, path, key or message in any label: every label value is from a fixed set', async () => {
    const { text } = await scrape();
    const ours = text.split('\n').filter((l) => l.startsWith('epay_applepay_'));
    expect(ours.length).toBeGreaterThan(20);
    const values = new Set<string>();
    for (const line of ours) for (const m of line.matchAll(/(\w+)="([^"]*)"/g)) values.add(`${m[1]}=${m[2]}`);
    for (const v of values) {
      // Route patterns may hold a parameter's name, never its value; no value carries a run of digits.
      expect(v, v).toMatch(/^(?:\w+=[a-z0-9_.+]*|le=[0-9.e+Inf-]+|route=[a-z0-9/:*_.-]*|route=\/[A-Za-z0-9/:_.-]*)$/);
      expect(v, v).not.toMatch(/\d{6}/);
    }
    expect(text).not.toContain(KEY);
  });
});

describe('the production logger', () => {
  it('writes one line per request with its id, and no secret in any line', async () => {
    const mark = lines.length;
    await pay(SCENARIO_AMOUNT.paid, { authorization: `Bearer ${KEY}`, 'x-request-id': 'pay-1' });
    await pay(SCENARIO_AMOUNT.insufficientFunds);
    const threeDs = await pay(SCENARIO_AMOUNT.threeDs);
    const back = await passwordPage(threeDs.r.json.form, true);
    await postForm(back.action, back.fields);
    // Secrets sent where they do not belong: in a header, a body field, a query, the request id.
    await post(
      `${s.url}/applepay/payments`,
      { order: TEST_PAN, payment: { token: { paymentData: CRYPTOGRAM } } },
      {
        authorization: `Bearer ${SANDBOX_EPAY.clientSecret}`,
        'x-request-id': `${CRYPTOGRAM}`,
      },
    );
    await fetch(`${s.url}/no/${TEST_PAN}?secret=${SANDBOX_EPAY.clientSecret}`);
    const mine = logged().slice(mark);
    const requests = mine.filter((l) => typeof l.path === 'string');
    expect(requests.length).toBe(6);
    expect(requests.every((l) => typeof l.reqId === 'string' && typeof l.time === 'string')).toBe(true);
    expect(requests[0]).toMatchObject({ level: 'info', method: 'POST', status: 200, outcome: 'paid', reqId: 'pay-1' });
    expect(requests.at(-1)).toMatchObject({ status: 404, path: '[redacted]' });
    const text = lines.join('');
    for (const secret of [
      TEST_PAN,
      CRYPTOGRAM,
      SANDBOX_EPAY.clientSecret,
      s.config.orderSigningSecret,
      KEY,
      WEBHOOK_SECRET,
    ]) {
      expect(text, secret).not.toContain(secret);
    }
    expect(text).not.toMatch(/Bearer |PRIVATE KEY/);
    // Event lines come through the same logger.
    expect(mine.some((l) => l.msg === 'webhook' || l.msg === 'status check')).toBe(true);
  });
});

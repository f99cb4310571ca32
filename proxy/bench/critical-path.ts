/**
 * @module Benchmark: the customer's wait after Face ID. Authorization-to-answer (`POST /applepay/payments`) through
 * the proxy over real HTTP against the sandbox bank with 150 ms injected per bank call, with the early token (the
 * sheet opened with `POST /applepay/session`, which fetches the order's bank token) and without it, side by side in
 * one run, and the bank calls made after authorization, read from the sandbox's own call log. A declined card is
 * measured too: a refusal is a decline only once the status call shows it (a terminal token and one GET more).
 * The same payments go to a second stack with `WEBHOOK_URL` set (a trivial local server answering 200, in a process of
 * its own; the bank delivers its notifications), alternating with the first, and the figures are printed side by side
 * with their ratio: the events' status checks and deliveries run after the answer, never on the customer's wait.
 *
 * Run: `pnpm bench critical` from the root, or `cd proxy && npx tsx bench/critical-path.ts [--json out.json]`.
 */
import type { BankCall } from '@epay-applepay/sandbox';
import { eventsOf } from '../src/app.js';
import { invoiceOf, order, payment, post, SHOP_ORIGIN, type Stack, startStack } from '../test/harness.js';
import { WEBHOOK_SECRET } from '../test/webhook-receiver.js';
import { isMain, median, report, type BenchRow } from './measure.js';
import { startWebhookSink } from './webhook-sink.js';

/** Longest wait for the events of a run to drain. */
const DRAIN_LIMIT_MS = 60_000;

/** What issue 7 injects per bank call. */
export const BANK_LATENCY_MS = 150;
/** Payments per variant; the variants alternate so a busy moment hurts both alike. */
const RUNS = Number(process.env.BENCH_CRITICAL_RUNS ?? 7);
/** Longest wait for the early token to arrive after the session answer (the sheet is open for seconds in life). */
const PREFETCH_WAIT_MS = 3_000;
/** A PAN whose last two digits pick the sandbox's plain "paid" scenario. */
const PAID_PAN = '4400430100000001';
const AMOUNT = 1500;
/** Minor units `51`: the sandbox's issuer decline "insufficient funds". */
const DECLINED_AMOUNT = 1500.51;

interface Run {
  ms: number;
  /** Bank calls that arrived after the authorization was posted. */
  calls: BankCall[];
  /** Of those, how many had to wait for one another: calls that arrive together (in parallel) count once. */
  sequential: number;
}

/** Calls within half a latency of the first of a group were sent together; the next group waited for an answer. */
function sequentialSteps(calls: BankCall[], latencyMs: number): number {
  let steps = 0;
  let groupStart = -Infinity;
  for (const c of [...calls].sort((a, b) => a.at - b.at)) {
    if (c.at - groupStart >= latencyMs / 2) {
      steps += 1;
      groupStart = c.at;
    }
  }
  return steps;
}

/**
 * With WEBHOOK_URL: waits until the previous payment's notification, status check and delivery are done, so that its
 * bank calls do not fall in the next payment's window (each payment is timed alone, as without WEBHOOK_URL).
 */
async function quiet(s: Stack): Promise<void> {
  const events = eventsOf(s.app);
  if (!events) return;
  await s.bank.flushNotifications();
  // A delivery stuck past this would hang the bench: say so instead.
  const end = Date.now() + DRAIN_LIMIT_MS;
  for (;;) {
    const p = await events.pending();
    if (p.checks === 0 && p.deliveries === 0) return;
    if (Date.now() > end) throw new Error(`events still pending after ${DRAIN_LIMIT_MS} ms: ${JSON.stringify(p)}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function until(check: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 5));
  }
  return check();
}

async function onePayment(s: Stack, early: boolean, amount = AMOUNT): Promise<Run> {
  await quiet(s);
  const o = await order({ amount });
  const invoiceId = invoiceOf(o);
  if (early) {
    // The sheet opens: merchant validation, where the proxy starts fetching this order's bank token.
    const session = await post(
      `${s.url}/applepay/session`,
      { validationURL: s.gateway.validationUrl, order: o },
      { origin: SHOP_ORIGIN },
    );
    if (session.status !== 200) throw new Error(`merchant validation failed: HTTP ${session.status} ${session.text}`);
    const fetched = await until(
      () => s.bank.calls.some((c) => c.path === '/oauth2/token' && c.invoiceId === invoiceId && c.status !== 0),
      PREFETCH_WAIT_MS,
    );
    if (!fetched) throw new Error('the early token was never fetched');
  }
  const body = { order: o, payment: payment(s.apple, { amount, pan: PAID_PAN }) };
  const before = s.bank.calls.length;
  const t0 = performance.now();
  const r = await post(`${s.url}/applepay/payments`, body, { origin: SHOP_ORIGIN });
  const ms = performance.now() - t0;
  const answeredAt = Date.now();
  const expected = amount === AMOUNT ? [200, 'paid'] : [402, 'declined'];
  if (r.status !== expected[0] || r.json?.status !== expected[1])
    throw new Error(`payment: HTTP ${r.status} ${r.text}`);
  // Only the calls the customer waited for: with WEBHOOK_URL the event's status check follows the answer.
  const calls = s.bank.calls.slice(before).filter((c) => c.at <= answeredAt);
  return { ms, calls, sequential: sequentialSteps(calls, BANK_LATENCY_MS) };
}

export async function benchCriticalPath(): Promise<BenchRow[]> {
  const s = await startStack({ bank: { latencyMs: 0 } });
  const sink = await startWebhookSink();
  const h = await startStack({
    bank: { latencyMs: 0, deliverNotifications: true },
    env: { WEBHOOK_URL: sink.url, WEBHOOK_SIGNING_SECRET: WEBHOOK_SECRET },
  });
  try {
    // Warm up at zero latency: the bank's public key is fetched and cached, as it is after an instance's first payment.
    for (const st of [s, h]) {
      await onePayment(st, true);
      await onePayment(st, false);
      await onePayment(st, true, DECLINED_AMOUNT);
      st.bank.setLatency(BANK_LATENCY_MS);
    }
    const withEarly: Run[] = [];
    const without: Run[] = [];
    const declined: Run[] = [];
    const hooksEarly: Run[] = [];
    const hooksDeclined: Run[] = [];
    for (let i = 0; i < RUNS; i++) {
      withEarly.push(await onePayment(s, true));
      hooksEarly.push(await onePayment(h, true));
      without.push(await onePayment(s, false));
      declined.push(await onePayment(s, true, DECLINED_AMOUNT));
      hooksDeclined.push(await onePayment(h, true, DECLINED_AMOUNT));
    }
    const delivered = h.logs.filter((l) => (l as { msg?: string }).msg === 'webhook').length;
    if (delivered < 2 * RUNS) throw new Error(`with WEBHOOK_URL only ${delivered} events were delivered`);
    const mHooksEarly = median(hooksEarly.map((r) => r.ms));
    const mHooksDeclined = median(hooksDeclined.map((r) => r.ms));
    const seqHooksEarly = Math.max(...hooksEarly.map((r) => r.sequential));
    const seqHooksDeclined = Math.max(...hooksDeclined.map((r) => r.sequential));
    const mDeclined = median(declined.map((r) => r.ms));
    const seqDeclined = Math.max(...declined.map((r) => r.sequential));
    const pathsDeclined = [
      ...new Set(declined.flatMap((r) => r.calls.map((c) => c.path.replace(/\/\d+$/, '/{invoiceId}')))),
    ].join(', ');
    const mEarly = median(withEarly.map((r) => r.ms));
    const mWithout = median(without.map((r) => r.ms));
    const seqEarly = Math.max(...withEarly.map((r) => r.sequential));
    const seqWithout = Math.max(...without.map((r) => r.sequential));
    const pathsEarly = [...new Set(withEarly.flatMap((r) => r.calls.map((c) => c.path)))].join(', ');
    const pathsWithout = [...new Set(without.flatMap((r) => r.calls.map((c) => c.path)))].join(', ');
    return [
      {
        figure: `Authorization → answer, early token (bank ${BANK_LATENCY_MS} ms/call)`,
        value: mEarly,
        unit: 'ms',
        target: `≈ 1 bank call (< ${2 * BANK_LATENCY_MS} ms)`,
        pass: mEarly < 2 * BANK_LATENCY_MS,
        note: `median of ${RUNS}`,
      },
      {
        figure: `Authorization → answer, no early token (bank ${BANK_LATENCY_MS} ms/call)`,
        value: mWithout,
        unit: 'ms',
        note: `median of ${RUNS}; ${(mWithout / mEarly).toFixed(2)}× the early-token figure`,
      },
      {
        figure: 'Sequential bank calls after authorization, early token',
        value: seqEarly,
        unit: 'calls',
        target: '1',
        pass: seqEarly === 1,
        note: `worst of ${RUNS}: ${pathsEarly}`,
      },
      {
        figure: 'Sequential bank calls after authorization, no early token',
        value: seqWithout,
        unit: 'calls',
        note: `worst of ${RUNS}: ${pathsWithout}`,
      },
      {
        figure: `Authorization → answer, declined card (bank ${BANK_LATENCY_MS} ms/call)`,
        value: mDeclined,
        unit: 'ms',
        note: `median of ${RUNS}; ${(mDeclined / mEarly).toFixed(2)}× a paid one: the decline is proven by the status call`,
      },
      {
        figure: 'Sequential bank calls after authorization, declined card',
        value: seqDeclined,
        unit: 'calls',
        target: '3 (cryptopay, the status call’s token, the status call)',
        pass: seqDeclined === 3,
        note: `worst of ${RUNS}: ${pathsDeclined}`,
      },
      {
        figure: `Authorization → answer, early token, WEBHOOK_URL set (bank ${BANK_LATENCY_MS} ms/call)`,
        value: mHooksEarly,
        unit: 'ms',
        target: `≈ without WEBHOOK_URL (${mEarly.toFixed(0)} ms)`,
        note: `median of ${RUNS}; ${(mHooksEarly / mEarly).toFixed(2)}× without WEBHOOK_URL`,
      },
      {
        figure: 'Sequential bank calls after authorization, early token, WEBHOOK_URL set',
        value: seqHooksEarly,
        unit: 'calls',
        target: '1',
        pass: seqHooksEarly === 1,
        note: `worst of ${RUNS}; the event's status check and delivery follow the answer`,
      },
      {
        figure: `Authorization → answer, declined card, WEBHOOK_URL set (bank ${BANK_LATENCY_MS} ms/call)`,
        value: mHooksDeclined,
        unit: 'ms',
        target: `≈ without WEBHOOK_URL (${mDeclined.toFixed(0)} ms)`,
        note: `median of ${RUNS}; ${(mHooksDeclined / mDeclined).toFixed(2)}× without WEBHOOK_URL`,
      },
      {
        figure: 'Sequential bank calls after authorization, declined card, WEBHOOK_URL set',
        value: seqHooksDeclined,
        unit: 'calls',
        target: '3',
        pass: seqHooksDeclined === 3,
        note: `worst of ${RUNS}`,
      },
    ];
  } finally {
    await s.close();
    await h.close();
    await sink.close();
  }
}

if (isMain(import.meta.url)) {
  report('Critical path after Face ID (proxy over HTTP, sandbox bank)', await benchCriticalPath());
}

/**
 * @module Benchmark: the customer's wait after Face ID. Authorization-to-answer (`POST /applepay/payments`) through
 * the proxy over real HTTP against the sandbox bank with 150 ms injected per bank call, with the early token (the
 * sheet opened with `POST /applepay/session`, which fetches the order's bank token) and without it, side by side in
 * one run, and the bank calls made after authorization, read from the sandbox's own call log. A declined card is
 * measured too: a refusal is a decline only once the status call shows it (a terminal token and one GET more).
 *
 * Run: `pnpm bench critical` from the root, or `cd proxy && npx tsx bench/critical-path.ts [--json out.json]`.
 */
import type { BankCall } from '@epay-applepay/sandbox';
import { invoiceOf, order, payment, post, SHOP_ORIGIN, type Stack, startStack } from '../test/harness.js';
import { isMain, median, report, type BenchRow } from './measure.js';

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

async function until(check: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 5));
  }
  return check();
}

async function onePayment(s: Stack, early: boolean, amount = AMOUNT): Promise<Run> {
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
  const expected = amount === AMOUNT ? [200, 'paid'] : [402, 'declined'];
  if (r.status !== expected[0] || r.json?.status !== expected[1])
    throw new Error(`payment: HTTP ${r.status} ${r.text}`);
  const calls = s.bank.calls.slice(before);
  return { ms, calls, sequential: sequentialSteps(calls, BANK_LATENCY_MS) };
}

export async function benchCriticalPath(): Promise<BenchRow[]> {
  const s = await startStack({ bank: { latencyMs: 0 } });
  try {
    // Warm up at zero latency: the bank's public key is fetched and cached, as it is after an instance's first payment.
    await onePayment(s, true);
    await onePayment(s, false);
    s.bank.setLatency(BANK_LATENCY_MS);
    const withEarly: Run[] = [];
    const without: Run[] = [];
    const declined: Run[] = [];
    for (let i = 0; i < RUNS; i++) {
      withEarly.push(await onePayment(s, true));
      without.push(await onePayment(s, false));
      declined.push(await onePayment(s, true, DECLINED_AMOUNT));
    }
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
    ];
  } finally {
    await s.close();
  }
}

if (isMain(import.meta.url)) {
  report('Critical path after Face ID (proxy over HTTP, sandbox bank)', await benchCriticalPath());
}

/**
 * @module Benchmark: the operations API. CPU per refund through the whole Hono app with the bank stubbed (status and
 * refund answer at once), and the bank calls one refund makes against the sandbox bank, and a replayed refund.
 *
 * Run: `pnpm bench operations` from the root, or `cd proxy && npx tsx bench/operations.ts [--json out.json]`.
 */
import { createProxyApp } from '../src/app.js';
import type { EpayClient } from '../src/epay/client.js';
import { createEpayClient } from '../src/epay/client.js';
import { loadConfig } from '../src/config.js';
import {
  invoiceOf,
  order,
  payment,
  post,
  sandboxProxyEnv,
  sharedApple,
  startStack,
  TEST_PAN,
} from '../test/harness.js';
import { isMain, report, timeOps, type BenchRow } from './measure.js';

const KEY = 'bench-operations-key-0123456789abcdefghijkl';
/** One key per round, so the per-key rate limit (600 a minute) is not what is measured. */
const ROUND_KEYS = Array.from({ length: 8 }, (_, i) => `${KEY}-round-${i}`);
const ITERATIONS = Number(process.env.BENCH_OPERATIONS_ITERATIONS ?? 400);

/** CPU per refund with a bank that answers at once: only the proxy's own work (auth, idempotency, rules, JSON). */
async function cpuPerRefund(): Promise<BenchRow> {
  const { apple, files } = await sharedApple();
  const config = loadConfig({
    ...sandboxProxyEnv(files, { publicUrl: 'https://pay.shop.example', merchantId: apple.merchantId }),
    OPERATIONS_API_KEYS: ROUND_KEYS.join(','),
  });
  const real = createEpayClient({
    ...config.epay,
    oauthUrl: 'http://127.0.0.1:9/oauth2/token',
    apiUrl: 'http://127.0.0.1:9',
  });
  const stub: EpayClient = {
    ...real,
    status: async (q) => ({
      kind: 'found',
      statusName: 'CHARGE',
      id: `p-${q.invoiceId}`,
      reference: 'r',
      reasonCode: '00',
      message: '',
      amount: 1500,
      currency: 'KZT',
    }),
    operation: async () => ({ kind: 'done' }),
  };
  const app = createProxyApp(config, { logger: () => {}, epay: stub });
  const t = await timeOps(
    async (i, round) => {
      const res = await app.request(`/operations/payments/${String(100000000 + round * 10_000 + i)}/refund`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${ROUND_KEYS[round + 1]}`,
          'idempotency-key': `b-${round}-${i}`,
          'content-type': 'application/json',
        },
        body: '{"amount":100}',
      });
      if (res.status !== 200) throw new Error(`refund answered ${res.status}`);
      await res.arrayBuffer();
    },
    { iterations: ITERATIONS, rounds: 5 },
  );
  await real.close();
  return {
    figure: 'CPU per refund, whole request (bank stubbed)',
    value: Math.round(t.cpuUs),
    unit: 'µs',
    note: `median of 5 rounds of ${ITERATIONS}; rounds ${Math.round(t.cpuMinUs)}–${Math.round(t.cpuMaxUs)} µs`,
  };
}

/** Bank calls of one refund and of its replay, read from the sandbox bank's own log. */
async function callsPerRefund(): Promise<BenchRow[]> {
  const s = await startStack({ env: { OPERATIONS_API_KEYS: KEY } });
  try {
    const o = await order();
    await post(`${s.url}/applepay/payments`, { order: o, payment: payment(s.apple, { pan: TEST_PAN }) });
    const invoiceId = invoiceOf(o);
    const headers = { authorization: `Bearer ${KEY}` };
    await post(`${s.url}/operations/payments/${invoiceId}/charge`, '', { ...headers, 'idempotency-key': 'c' });
    const mark = s.bank.calls.length;
    const first = await post(
      `${s.url}/operations/payments/${invoiceId}/refund`,
      { amount: 100 },
      { ...headers, 'idempotency-key': 'r' },
    );
    const refundCalls = s.bank.calls.slice(mark);
    const mark2 = s.bank.calls.length;
    await post(
      `${s.url}/operations/payments/${invoiceId}/refund`,
      { amount: 100 },
      { ...headers, 'idempotency-key': 'r' },
    );
    const replayCalls = s.bank.calls.length - mark2;
    if (first.status !== 200) throw new Error(`refund answered ${first.status}`);
    const notTokens = refundCalls.filter((c) => c.path !== '/oauth2/token');
    return [
      {
        figure: 'Bank calls per refund (status, refund), tokens aside',
        value: notTokens.length,
        unit: 'calls',
        target: '2',
        pass: notTokens.length === 2,
        note: `with their terminal tokens: ${refundCalls.map((c) => c.path.replace(/\/\d+$/, '/{invoiceId}').replace(/operation\/[^/]+/, 'operation/{id}')).join(', ')}`,
      },
      {
        figure: 'Bank calls per replayed refund (same Idempotency-Key)',
        value: replayCalls,
        unit: 'calls',
        target: '0',
        pass: replayCalls === 0,
      },
    ];
  } finally {
    await s.close();
  }
}

export async function benchOperations(): Promise<BenchRow[]> {
  return [await cpuPerRefund(), ...(await callsPerRefund())];
}

if (isMain(import.meta.url)) {
  report('Operations API (proxy over HTTP, sandbox bank)', await benchOperations());
}

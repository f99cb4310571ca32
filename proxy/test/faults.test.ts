/**
 * The bank slow, failing, answering garbage or dropping connections for a seeded share of calls (the sandbox's
 * `faults`), 200 payments at 20 concurrent: every payment ends paid, declined, 3-D Secure, bank_unavailable with
 * nothing charged, or outcome_unknown after the status call was tried; nothing is charged twice; the proxy keeps
 * answering. The long version with RSS over time is `pnpm --filter @epay-applepay/proxy faults`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { closeProxyApp, createProxyApp } from '../src/app.js';
import { createEpayClient, type EpayClient } from '../src/epay/client.js';
import type { LogRecord } from '../src/log.js';
import { PAYMENT_BUDGET_MS } from '../src/payment/attempt.js';
import { ORDER_SECRET, startStack, type Stack, TEST_EPAY_TIMEOUTS } from './harness.js';
import { checkAgainstLedger, drivePayments, planPayments, tally, type PaymentResult } from './workload.js';

const COUNT = 200;
const CONCURRENCY = 20;
const FAULTS = { rate: 0.2, seed: 6 };
const TIMEOUTS = TEST_EPAY_TIMEOUTS;

let s: Stack;
let server: ServerType | undefined;
let app: ReturnType<typeof createProxyApp> | undefined;
const logs: LogRecord[] = [];
/** Invoices the proxy asked the status call about (the bank only sees those whose token fetch got through). */
const statusAsked = new Set<string>();
let results: PaymentResult[] = [];
let proxyUrl = '';

beforeAll(async () => {
  // slowMs past cryptopay's timeout: a slow fault is a call without an answer in time.
  s = await startStack({ bank: { faults: FAULTS, slowMs: 2_000 } });
  // The proxy under test: the stack's settings, its ePay client with the status call observed, served on loopback.
  const client = createEpayClient({ ...s.config.epay, timeouts: TIMEOUTS });
  const epay: EpayClient = {
    ...client,
    status: (scope, deadline) => {
      statusAsked.add(scope.invoiceId);
      return client.status(scope, deadline);
    },
  };
  app = createProxyApp(s.config, { epay, logger: (r) => logs.push(r) });
  const port = await new Promise<number>((resolve) => {
    server = serve({ fetch: app!.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => resolve(info.port));
  });
  proxyUrl = `http://127.0.0.1:${port}`;
  const plan = await planPayments(s.apple, ORDER_SECRET, { count: COUNT, seed: 6 });
  results = await drivePayments(proxyUrl, plan, { concurrency: CONCURRENCY });
}, 120_000);
afterAll(async () => {
  if (server) await new Promise<void>((r) => server!.close(() => r()));
  if (app) await closeProxyApp(app);
  await s?.close();
});

describe(`${COUNT} payments while ${FAULTS.rate * 100}% of bank calls fail (seed ${FAULTS.seed})`, () => {
  it('the faults really happened, of every kind', () => {
    const kinds = new Set(s.bank.calls.map((c) => c.fault).filter(Boolean));
    expect([...kinds].sort()).toEqual(['5xx', 'dropped', 'garbage', 'slow']);
  });

  it('every payment got a definite answer that fits its scenario, and the ledger agrees: nothing charged twice', () => {
    const problems = checkAgainstLedger(results, s.bank.ledger.transactions, s.bank.calls, {
      faults: true,
      statusTried: (invoiceId) => statusAsked.has(invoiceId),
    });
    expect(problems).toEqual([]);
    const t = tally(results);
    // The faults left some outcomes open or unsent, and most payments still went through.
    expect(t.paid ?? 0).toBeGreaterThan(COUNT / 2);
    expect((t.outcome_unknown ?? 0) + (t.bank_unavailable ?? 0)).toBeGreaterThan(0);
  });

  it('every answer came within the payment budget, and the proxy still answers', async () => {
    expect(Math.max(...results.map((r) => r.ms))).toBeLessThan(PAYMENT_BUDGET_MS + 1_000);
    expect((await fetch(`${proxyUrl}/healthz`)).status).toBe(200);
    expect(logs.filter((l) => l.path === '/applepay/payments')).toHaveLength(COUNT);
    expect(logs.filter((l) => l.status === 500)).toEqual([]);
  });
});

/**
 * @module A payment workload for the fault test and the load and fault benchmarks: payments planned ahead (orders
 * signed, Apple Pay tokens minted by the sandbox Apple, outcomes chosen by the sandbox bank's scenarios), driven at a
 * fixed concurrency over HTTP, and checked against the bank's ledger: every answer definite, nothing charged twice.
 */
import { Agent, request } from 'undici';
import type { BankCall, Charge, FakeApple } from '@epay-applepay/sandbox';
import { signOrder } from '../src/order.js';
import { TEST_PAN } from './harness.js';

/** The sandbox bank's scenarios (amount's minor units) a workload mixes, with what each must end as. */
export const SCENARIO_OUTCOME = {
  '00': 'paid',
  '54': 'paid', // 454 not final, the status call finds AUTH
  '59': 'paid', // 459 not final, AUTH
  '05': 'declined',
  '51': 'declined',
  '87': 'declined',
  '55': 'declined', // 454 not final, the status call finds FAILED
  '77': 'paid', // refused 477 "operation already exists" while it went through: the status call finds AUTH
  '58': 'declined', // refused 458 (payment-system timeout), nothing recorded: the status call finds no payment
  '11': '3ds',
} as const;
export type Scenario = keyof typeof SCENARIO_OUTCOME;
export type Expected = (typeof SCENARIO_OUTCOME)[Scenario];

/** Share of each scenario in a workload (they need not sum to 1). */
export type Mix = Partial<Record<Scenario, number>>;

export const DEFAULT_MIX: Mix = {
  '00': 0.66,
  '54': 0.05,
  '59': 0.03,
  '05': 0.05,
  '51': 0.05,
  '87': 0.03,
  '55': 0.04,
  '77': 0.02,
  '58': 0.02,
  '11': 0.05,
};

/** A card the sandbox pays without 3-D Secure: the amount's minor units pick the scenario. */
const PAN = TEST_PAN;

export interface PlannedPayment {
  invoiceId: string;
  scenario: Scenario;
  expected: Expected;
  /** The JSON body of `POST /applepay/payments`. */
  body: string;
  /** When its Apple Pay token was signed (the proxy accepts tokens up to APPLE_TOKEN_MAX_AGE_S old). */
  signedAt: number;
}

/** What the proxy answered. `outcome` is `paid`, `3ds`, `declined`, an error code, or `no_answer`. */
export interface PaymentResult {
  invoiceId: string;
  scenario: Scenario;
  expected: Expected;
  status: number;
  outcome: string;
  paymentId?: string;
  /** `Date.now()` when the request was sent. */
  sentAt: number;
  ms: number;
}

/** A deterministic scenario sequence for a mix (a seeded shuffle, so runs are comparable). */
function scenarios(count: number, mix: Mix, seed: number): Scenario[] {
  const entries = Object.entries(mix) as Array<[Scenario, number]>;
  const total = entries.reduce((s, [, w]) => s + w, 0);
  const out: Scenario[] = [];
  for (const [sc, w] of entries) for (let i = 0; i < Math.round((w / total) * count); i++) out.push(sc);
  while (out.length < count) out.push('00');
  out.length = count;
  let state = seed >>> 0;
  const next = () => (state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0) / 4_294_967_296;
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/**
 * Plans `count` payments: unique invoices (distinct last six digits, the bank's rule), signed orders, minted tokens.
 *
 * @example
 * ```ts
 * const plan = await planPayments(apple, orderSecret, { count: 200 });
 * const results = await drivePayments(proxyUrl, plan, { concurrency: 20 });
 * ```
 */
export async function planPayments(
  apple: FakeApple,
  orderSecret: string,
  o: {
    count: number;
    mix?: Mix;
    seed?: number;
    /** First invoice's last six digits: two plans on one bank need ranges that do not overlap. */
    firstInvoice?: number;
    onProgress?: (done: number) => void;
  },
): Promise<PlannedPayment[]> {
  const first = o.firstInvoice ?? 0;
  if (first + o.count > 1_000_000)
    throw new RangeError('invoices need distinct last six digits: at most 1,000,000 per bank');
  const prefix = String(Date.now()).slice(-7);
  const exp = Math.floor(Date.now() / 1000) + 3_600;
  const plan: PlannedPayment[] = [];
  const list = scenarios(o.count, o.mix ?? DEFAULT_MIX, o.seed ?? 1);
  for (let i = 0; i < list.length; i++) {
    const scenario = list[i]!;
    const invoiceId = prefix + String(first + i).padStart(6, '0');
    const amount = Number(`${1000 + (i % 9000)}.${scenario}`);
    const order = await signOrder({ invoiceId, amount, exp }, orderSecret);
    const signedAt = Date.now();
    const token = apple.mintToken({
      amountMinor: Math.round(amount * 100),
      currencyCode: '398',
      pan: PAN,
      signingTime: new Date(signedAt),
    });
    const payment = {
      token,
      billingContact: { givenName: 'Load', familyName: 'Test' },
      shippingContact: { emailAddress: 'load@example.kz' },
    };
    plan.push({
      invoiceId,
      scenario,
      expected: SCENARIO_OUTCOME[scenario],
      body: JSON.stringify({ order, payment }),
      signedAt,
    });
    if (o.onProgress && (i + 1) % 1000 === 0) o.onProgress(i + 1);
  }
  return plan;
}

function classify(status: number, text: string): { outcome: string; paymentId?: string } {
  let json: { status?: string; error?: { code?: string }; payment?: { id?: string } } | undefined;
  try {
    json = JSON.parse(text) as typeof json;
  } catch {
    return { outcome: `http_${status}_not_json` };
  }
  if (status === 200 && json?.status === 'paid') return { outcome: 'paid', paymentId: json.payment?.id ?? '' };
  if (status === 200 && json?.status === '3ds') return { outcome: '3ds' };
  if (status === 402 && json?.status === 'declined') return { outcome: 'declined' };
  return { outcome: json?.error?.code ?? `http_${status}` };
}

/**
 * Posts every planned payment to `${proxyUrl}/applepay/payments`, `concurrency` at a time, over one keep-alive
 * pool. A request that fails on the network is recorded as `no_answer`, never retried.
 */
export async function drivePayments(
  proxyUrl: string,
  plan: readonly PlannedPayment[],
  o: { concurrency: number; timeoutMs?: number; onResult?: (r: PaymentResult, done: number) => void },
): Promise<PaymentResult[]> {
  const agent = new Agent({ connections: o.concurrency, keepAliveTimeout: 10_000, pipelining: 1 });
  const results: PaymentResult[] = new Array(plan.length);
  let next = 0;
  let done = 0;
  const timeoutMs = o.timeoutMs ?? 60_000;
  async function worker() {
    for (;;) {
      const i = next++;
      const p = plan[i];
      if (!p) return;
      const started = performance.now();
      const sentAt = Date.now();
      let r: PaymentResult;
      try {
        const res = await request(`${proxyUrl}/applepay/payments`, {
          dispatcher: agent,
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: p.body,
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
        });
        const text = await res.body.text();
        r = {
          invoiceId: p.invoiceId,
          scenario: p.scenario,
          expected: p.expected,
          status: res.statusCode,
          sentAt,
          ms: 0,
          ...classify(res.statusCode, text),
        };
      } catch (err) {
        const code = (err as { code?: string }).code ?? 'error';
        r = {
          invoiceId: p.invoiceId,
          scenario: p.scenario,
          expected: p.expected,
          status: 0,
          outcome: `no_answer:${code}`,
          sentAt,
          ms: 0,
        };
      }
      r.ms = performance.now() - started;
      results[i] = r;
      done++;
      o.onResult?.(r, done);
    }
  }
  try {
    await Promise.all(Array.from({ length: o.concurrency }, worker));
  } finally {
    await agent.close();
  }
  return results;
}

/** p50/p90/p99/max of a list of milliseconds. */
export function percentiles(ms: readonly number[]): { p50: number; p90: number; p99: number; max: number } {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] ?? NaN;
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: s[s.length - 1] ?? NaN };
}

/** Outcomes each scenario may end in when the bank is healthy, and when it is faulty. */
const HEALTHY: Record<Expected, readonly string[]> = { paid: ['paid'], declined: ['declined'], '3ds': ['3ds'] };
/** Under faults an outcome may be left open (`outcome_unknown`) or nothing charged (`bank_unavailable`), never flipped. */
const FAULTY: Record<Expected, readonly string[]> = {
  paid: ['paid', 'bank_unavailable', 'outcome_unknown'],
  declined: ['declined', 'bank_unavailable', 'outcome_unknown'],
  '3ds': ['3ds', 'bank_unavailable', 'outcome_unknown'],
};

/**
 * Checks answers against the bank's ledger and calls; returns every problem found (empty = all good).
 * - each answer is definite and fits its scenario;
 * - `paid` ⇔ exactly one AUTH/CHARGE for the invoice, with the answered id; `declined`, `3ds`, `bank_unavailable`
 *   ⇒ none; `outcome_unknown` ⇒ at most one, and the status call was tried (`statusTried`);
 * - no invoice anywhere holds two charges, and `cryptopay` was never sent twice for an invoice.
 */
export function checkAgainstLedger(
  results: readonly PaymentResult[],
  transactions: readonly Charge[],
  calls: readonly BankCall[],
  o: { faults: boolean; statusTried?: (invoiceId: string) => boolean },
): string[] {
  const problems: string[] = [];
  const charges = new Map<string, Charge[]>();
  for (const t of transactions) {
    if (t.statusName !== 'AUTH' && t.statusName !== 'CHARGE') continue;
    const list = charges.get(t.invoiceId) ?? [];
    list.push(t);
    charges.set(t.invoiceId, list);
  }
  for (const [inv, list] of charges) if (list.length > 1) problems.push(`${inv}: charged ${list.length} times`);
  const cryptopays = new Map<string, number>();
  for (const c of calls) {
    if (c.path === '/payment/cryptopay' && c.invoiceId)
      cryptopays.set(c.invoiceId, (cryptopays.get(c.invoiceId) ?? 0) + 1);
  }
  for (const [inv, n] of cryptopays) if (n > 1) problems.push(`${inv}: cryptopay sent ${n} times`);

  const allowed = o.faults ? FAULTY : HEALTHY;
  for (const r of results) {
    const held = charges.get(r.invoiceId) ?? [];
    if (!allowed[r.expected].includes(r.outcome)) {
      problems.push(
        `${r.invoiceId} (scenario ${r.scenario}): answered ${r.outcome} (HTTP ${r.status}), expected ${allowed[r.expected].join('/')}`,
      );
      continue;
    }
    if (r.outcome === 'paid') {
      if (held.length !== 1) problems.push(`${r.invoiceId}: answered paid, the ledger holds ${held.length} charges`);
      else if (r.paymentId && held[0]!.id !== r.paymentId)
        problems.push(`${r.invoiceId}: answered paid with another id than the ledger's`);
    } else if (r.outcome === 'outcome_unknown') {
      if (o.statusTried && !o.statusTried(r.invoiceId))
        problems.push(`${r.invoiceId}: outcome_unknown without a status call`);
    } else if (held.length !== 0) {
      problems.push(`${r.invoiceId}: answered ${r.outcome}, but the ledger holds a charge`);
    }
  }
  return problems;
}

/** Counts outcomes, e.g. `{ paid: 7012, declined: 1690, … }`. */
export function tally(results: readonly PaymentResult[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of results) out[r.outcome] = (out[r.outcome] ?? 0) + 1;
  return out;
}

/**
 * @module Fault test (outside `pnpm test`; its short version is test/faults.test.ts): the sandbox bank slow,
 * failing, answering garbage or dropping connections for a seeded share of calls, against the proxy as its own
 * process with its production timeouts. Every payment must end paid, declined, 3-D Secure, bank_unavailable with
 * nothing charged, or outcome_unknown after the status call; nothing charged twice; every answer within the 25 s
 * budget; the proxy alive; its RSS, printed over time, flat. Exits 1 on any problem.
 *
 *   pnpm --filter @epay-applepay/proxy faults [-- --payments 2000 --concurrency 100 --rate 0.2 --seed 42 --slow-ms 16000]
 */
import { parseArgs } from 'node:util';
import { checkAgainstLedger, drivePayments, percentiles, planPayments, tally } from '../test/workload.js';
import { ms, startBenchStack } from './stack.js';

/** docs/proxy-http-api.md: `/applepay/payments` answers within 25 s whatever the bank does. */
const ANSWER_BUDGET_MS = 25_000;
const RSS_SAMPLE_MS = 3_000;
/** Largest RSS growth allowed over the run's second half: a leak grows steadily, a warmed-up heap does not. */
const RSS_SECOND_HALF_GROWTH = 1.25;

const { values } = parseArgs({
  options: {
    payments: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '100' },
    rate: { type: 'string', default: '0.2' },
    seed: { type: 'string', default: '42' },
    // Past the proxy's cryptopay timeout (14 s): a slow fault is a call that gets no answer in time.
    'slow-ms': { type: 'string', default: '16000' },
    redis: { type: 'boolean', default: false },
  },
});
const COUNT = Number(values.payments);
const CONCURRENCY = Number(values.concurrency);
const FAULTS = { rate: Number(values.rate), seed: Number(values.seed) };

const log = (line: string) => process.stdout.write(`${line}\n`);

async function main(): Promise<number> {
  log(
    `faults: ${COUNT} payments at ${CONCURRENCY} concurrent; ${FAULTS.rate * 100}% of bank calls faulty, seed ${FAULTS.seed}; slow = ${values['slow-ms']} ms`,
  );
  const stack = await startBenchStack({
    bank: { faults: FAULTS, slowMs: Number(values['slow-ms']) },
    redis: values.redis,
  });
  try {
    const plan = await planPayments(stack.apple, stack.orderSecret, { count: COUNT, seed: FAULTS.seed });
    const rssStart = stack.rssMiB();
    const samples: Array<{ s: number; done: number; rss: number }> = [];
    let done = 0;
    const t = performance.now();
    const sampler = setInterval(() => {
      const sample = { s: Math.round((performance.now() - t) / 1000), done, rss: stack.rssMiB() };
      samples.push(sample);
      log(
        `  t=${String(sample.s).padStart(4)} s  answered ${String(done).padStart(5)}/${COUNT}  proxy RSS ${sample.rss} MiB`,
      );
    }, RSS_SAMPLE_MS);
    const results = await drivePayments(stack.proxyUrl, plan, {
      concurrency: CONCURRENCY,
      onResult: (_r, n) => {
        done = n;
      },
    });
    clearInterval(sampler);
    const elapsed = performance.now() - t;
    const rssEnd = stack.rssMiB();

    // The status call was tried for an invoice when the bank saw it, or saw a second token asked for that invoice
    // (the first one was cryptopay's). A token request broken by a 5xx fault carries no invoice, so a few may be unseen.
    const statusSeen = new Set<string>();
    const tokenCalls = new Map<string, number>();
    for (const c of stack.bank.calls) {
      if (!c.invoiceId) continue;
      if (c.path.startsWith('/check-status/')) statusSeen.add(c.invoiceId);
      if (c.path === '/oauth2/token') tokenCalls.set(c.invoiceId, (tokenCalls.get(c.invoiceId) ?? 0) + 1);
    }
    const statusTried = (inv: string) => statusSeen.has(inv) || (tokenCalls.get(inv) ?? 0) >= 2;
    const unknown = results.filter((r) => r.outcome === 'outcome_unknown');
    const unseen = unknown.filter((r) => !statusTried(r.invoiceId)).length;

    const problems = checkAgainstLedger(results, stack.bank.ledger.transactions, stack.bank.calls, { faults: true });
    const late = results.filter((r) => r.ms > ANSWER_BUDGET_MS);
    if (late.length > 0) problems.push(`${late.length} answers took longer than ${ANSWER_BUDGET_MS / 1000} s`);
    if (!stack.alive()) problems.push('the proxy process died');
    else if (!(await fetch(`${stack.proxyUrl}/healthz`)).ok) problems.push('the proxy stopped answering /healthz');
    const fiveHundreds = stack
      .logText()
      .split('\n')
      .filter((l) => l.includes('"status":500')).length;
    if (fiveHundreds > 0) problems.push(`${fiveHundreds} answers were HTTP 500`);

    const kinds: Record<string, number> = {};
    for (const c of stack.bank.calls) if (c.fault) kinds[c.fault] = (kinds[c.fault] ?? 0) + 1;
    const half = samples.find((x) => x.done >= COUNT / 2)?.rss ?? rssStart;
    // Flat memory: the second half of the run, on a warmed-up heap, may not grow the proxy by more than a quarter.
    if (rssEnd > half * RSS_SECOND_HALF_GROWTH) {
      problems.push(
        `proxy RSS grew from ${half} MiB at half-way to ${rssEnd} MiB at the end (more than ${Math.round((RSS_SECOND_HALF_GROWTH - 1) * 100)}%)`,
      );
    }
    const p = percentiles(results.map((r) => r.ms));
    log('');
    log(
      `payments      ${COUNT} in ${(elapsed / 1000).toFixed(1)} s at ${CONCURRENCY} concurrent (${(COUNT / (elapsed / 1000)).toFixed(1)}/s)`,
    );
    log(`bank calls    ${stack.bank.calls.length}, faulted ${JSON.stringify(kinds)}`);
    log(
      `latency       p50 ${ms(p.p50)}  p90 ${ms(p.p90)}  p99 ${ms(p.p99)}  max ${ms(p.max)} (budget ${ANSWER_BUDGET_MS / 1000} s)`,
    );
    log(`outcomes      ${JSON.stringify(tally(results))}`);
    log(
      `status call   seen at the bank for ${unknown.length - unseen} of ${unknown.length} outcome_unknown (a token request cut by a 5xx carries no invoice)`,
    );
    log(
      `proxy RSS     start ${rssStart} MiB, at half-way ${half} MiB, end ${rssEnd} MiB, max ${Math.max(rssStart, ...samples.map((x) => x.rss))} MiB`,
    );
    log(
      problems.length === 0
        ? 'result        OK: every payment definite, nothing charged twice, the proxy kept answering'
        : `result        ${problems.length} PROBLEMS`,
    );
    for (const line of problems.slice(0, 50)) log(`  - ${line}`);
    return problems.length === 0 ? 0 : 1;
  } finally {
    await stack.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`faults: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(2);
  },
);

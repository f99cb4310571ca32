/**
 * @module Load test (outside `pnpm test`): 10,000 payments at 200 concurrent over loopback, the proxy as its own
 * process against the sandbox bank (decrypt mode, RSA-4096 bank key, tokens minted by the sandbox Apple before the
 * timed part). Every answer must be definite and fit its scenario, the ledger must hold exactly one charge per paid
 * invoice and none for the rest, and no log line may hold a secret. Prints throughput, latency percentiles and the
 * proxy's RSS; exits 1 on any problem.
 *
 *   pnpm --filter @epay-applepay/proxy load [-- --payments 10000 --concurrency 200 --latency-ms 0 --redis]
 */
import { parseArgs } from 'node:util';
import { SANDBOX_EPAY } from '@epay-applepay/sandbox';
import { checkAgainstLedger, drivePayments, percentiles, planPayments, tally } from '../test/workload.js';
import { ms, startBenchStack } from './stack.js';

/** The proxy refuses Apple Pay tokens older than this (APPLE_TOKEN_MAX_AGE_S default): the run must fit in it. */
const TOKEN_MAX_AGE_MS = 300_000;
const WARMUP_PAYMENTS = 300;
/** Pause after the run before the last RSS reading, for the heap to settle. */
const SETTLE_MS = 5_000;

const { values } = parseArgs({
  options: {
    payments: { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: '200' },
    'latency-ms': { type: 'string', default: '0' },
    redis: { type: 'boolean', default: false },
  },
});
const COUNT = Number(values.payments);
const CONCURRENCY = Number(values.concurrency);
const LATENCY_MS = Number(values['latency-ms']);

const log = (line: string) => process.stdout.write(`${line}\n`);

async function main(): Promise<number> {
  log(
    `load: ${COUNT} payments at ${CONCURRENCY} concurrent, bank latency ${LATENCY_MS} ms, store ${values.redis ? 'redis' : 'memory'}`,
  );
  const stack = await startBenchStack({ bank: { latencyMs: LATENCY_MS }, redis: values.redis });
  try {
    const rssStart = stack.rssMiB();

    // Warm-up on invoices of their own: JIT, key fetch, keep-alive pools. Not counted, but checked like the rest.
    const warm = await planPayments(stack.apple, stack.orderSecret, {
      count: WARMUP_PAYMENTS,
      seed: 99,
      firstInvoice: 900_000,
    });
    const warmResults = await drivePayments(stack.proxyUrl, warm, { concurrency: Math.min(CONCURRENCY, 50) });
    const rssBefore = stack.rssMiB();

    let t = performance.now();
    const plan = await planPayments(stack.apple, stack.orderSecret, {
      count: COUNT,
      seed: 1,
      onProgress: (n) => n % 5000 === 0 && log(`  minted ${n} tokens`),
    });
    log(`minted ${COUNT} Apple Pay tokens and signed ${COUNT} orders in ${ms(performance.now() - t)} (not timed)`);

    t = performance.now();
    const cpuProxy = stack.cpuSeconds();
    const cpuHere = process.cpuUsage();
    let lastReport = t;
    const results = await drivePayments(stack.proxyUrl, plan, {
      concurrency: CONCURRENCY,
      onResult: (_r, done) => {
        const now = performance.now();
        if (now - lastReport >= 5_000) {
          lastReport = now;
          log(
            `  ${done}/${COUNT} answered, ${Math.round((done / (now - t)) * 1000)}/s, proxy RSS ${stack.rssMiB()} MiB`,
          );
        }
      },
    });
    const elapsed = performance.now() - t;
    const proxyCpu = stack.cpuSeconds() - cpuProxy;
    const hereCpu = process.cpuUsage(cpuHere);
    const bankCpu = (hereCpu.user + hereCpu.system) / 1e6;
    const rssAfter = stack.rssMiB();
    // Each token's age when it was sent: the proxy refuses one older than APPLE_TOKEN_MAX_AGE_S.
    const oldestToken = Math.max(...results.map((r, i) => r.sentAt - plan[i]!.signedAt));
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const rssSettled = stack.rssMiB();

    const problems = checkAgainstLedger(
      [...warmResults, ...results],
      stack.bank.ledger.transactions,
      stack.bank.calls,
      { faults: false },
    );
    if (oldestToken > TOKEN_MAX_AGE_MS)
      problems.push(`a token was ${Math.round(oldestToken / 1000)} s old when sent: the run took too long`);
    const logs = stack.logText();
    for (const secret of ['4400430100000001', SANDBOX_EPAY.clientSecret, stack.orderSecret, 'Bearer ', 'PRIVATE KEY']) {
      if (logs.includes(secret)) problems.push(`the proxy's log holds a secret (${secret.slice(0, 4)}…)`);
    }
    if (values.redis && !logs.includes('"store":"redis"'))
      problems.push('the proxy did not start with the Redis store');
    const fiveHundreds = logs.split('\n').filter((l) => l.includes('"status":500')).length;
    if (fiveHundreds > 0) problems.push(`${fiveHundreds} answers were HTTP 500`);
    if (!stack.alive()) problems.push('the proxy process died');

    const p = percentiles(results.map((r) => r.ms));
    const paid = results.filter((r) => r.outcome === 'paid').length;
    const charged = stack.bank.ledger.transactions.filter(
      (c) => c.statusName === 'AUTH' || c.statusName === 'CHARGE',
    ).length;
    log('');
    log(`payments      ${COUNT} in ${(elapsed / 1000).toFixed(1)} s at ${CONCURRENCY} concurrent`);
    log(`throughput    ${(COUNT / (elapsed / 1000)).toFixed(1)} payments/s`);
    log(`latency       p50 ${ms(p.p50)}  p90 ${ms(p.p90)}  p99 ${ms(p.p99)}  max ${ms(p.max)}`);
    log(
      `CPU           proxy ${proxyCpu.toFixed(1)} s (${((proxyCpu * 1000) / COUNT).toFixed(1)} ms a payment); bank + load generator ${bankCpu.toFixed(1)} s`,
    );
    log(`outcomes      ${JSON.stringify(tally(results))}`);
    log(
      `ledger        ${charged} charges for ${paid + warmResults.filter((r) => r.outcome === 'paid').length} paid answers (warm-up included)`,
    );
    log(
      `proxy RSS     start ${rssStart} MiB, before ${rssBefore} MiB (after ${WARMUP_PAYMENTS} warm-up payments), after ${rssAfter} MiB, ${SETTLE_MS / 1000} s later ${rssSettled} MiB`,
    );
    log(
      `token age     at most ${Math.round(oldestToken / 1000)} s when sent (the proxy's limit: ${TOKEN_MAX_AGE_MS / 1000} s)`,
    );
    log(
      problems.length === 0
        ? 'result        OK: every answer definite, one charge per paid invoice, none for the rest'
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
    process.stderr.write(`load: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(2);
  },
);

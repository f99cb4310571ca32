/**
 * @module Fault run for events (docs/webhooks.md; outside `pnpm test`, whose short version is test/events.test.ts).
 * Payments through the real HTTP stack (the proxy served on loopback from a worker thread, the sandbox bank and a
 * merchant backend in this thread): mostly paid, some declined by the bank (scenario amounts), some 3-D Secure finished
 * on the bank's page with and without the customer coming back to the `TermUrl`, a few the bank answers unclearly. The
 * merchant backend answers 500 to a seeded share of deliveries and hangs past the delivery timeout on another; the
 * bank's notifications are lost, duplicated, late or accompanied by a forgery for a seeded share. Once every payment is
 * answered, it waits until the proxy has nothing pending, then checks against the bank's ledger: every paid invoice
 * got exactly one `payment.paid` (one event id), every declined one exactly one `payment.declined` and no
 * `payment.paid`, each id the fact's digest, nothing made by a forgery. Prints payments by outcome, events by type and
 * source, deliveries attempted and accepted, and the proxy's heap (its own thread's, after a full GC) at the start,
 * half-way, at the end and after the drain. Exits 1 on any violation, naming each invoice's sequence of events.
 *
 *   cd proxy && node --expose-gc --import tsx bench/webhook-faults.ts [--payments 2000] [--seed 42] [--concurrency 16]
 *     [--redis] [--keep-done-ms N]
 *   pnpm bench webhook      400 payments; BENCH_WEBHOOK_PAYMENTS=2000 pnpm bench webhook for the full run
 *
 * The seed (`--seed`, or `SEED` in the environment; default 42) fixes the payments' mix and order, the receiver's
 * answer to every delivery of every event (a digest of seed, event id and attempt) and the bank's notification faults
 * (drawn in the order the bank settles payments, which 16 payments in flight may shuffle a little).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { SANDBOX_EPAY, startFakeEpay, type FakeEpay } from '@epay-applepay/sandbox';
import { signOrder } from '../src/order.js';
import { eventId } from '../src/webhooks/event.js';
import {
  bankPrivateKey,
  ORDER_SECRET,
  passwordPage,
  payment,
  post,
  postForm,
  sandboxProxyEnv,
  sharedApple,
  SHOP_ORIGIN,
  TEST_PAN,
} from '../test/harness.js';
import { startRedisServer, type RedisServer } from '../test/redis-server.js';
import { WEBHOOK_SECRET } from '../test/webhook-receiver.js';
import { draw, startFlakyReceiver, type Delivery } from './flaky-receiver.js';
import { type BenchRow, formatValue, jsonOutPath, report } from './measure.js';
import { heapAfterGc, startProxyThread } from './proxy-thread.js';

/** Short schedules, so that a run ends in a minute or two; the shape (backoff, timeout) is the contract's. */
const EVENT_TIMING = { deliveryTimeoutMs: 500, firstRetryMs: 50, maxRetryMs: 400, reconcileFirstMs: 200 };
/** The merchant backend: shares of deliveries answered 500, and never answered (past the delivery timeout). */
const RECEIVER_FAULTS = { fail: 0.2, hang: 0.05 };
/** The bank's notifications (docs/sandbox.md, "Notification faults"). */
const NOTIFICATION_FAULTS = { lost: 0.2, duplicated: 0.2, late: 0.1, lateMs: 1_000, forged: 0.05 };
/** The bank settles a 3-D Secure payment whose customer never came back this long after the password page. */
const THREE_DS_SELF_COMPLETE_MS = 300;
/** Longest wait for the proxy to have nothing pending after the last answer. */
const DRAIN_TIMEOUT_MS = 180_000;
/** Polls of an idle proxy and bank in a row that count as drained. */
const QUIET_POLLS = 3;
const POLL_MS = 100;
const BACK_LINK = 'https://shop.example/paid';
const FAILURE_BACK_LINK = 'https://shop.example/failed';
/** Violations described with their sequence of events, at most. */
const DESCRIBED = 10;

type Truth = 'paid' | 'declined';
interface Kind {
  share: number;
  /** The amount's minor units: the sandbox bank's scenario (docs/sandbox.md). */
  minor: string;
  truth: Truth;
  /** 3-D Secure: the customer's choice on the bank's password page, and whether the browser posts back to the TermUrl. */
  threeDs?: { approve: boolean; callback: boolean };
}

const KINDS = {
  paid: { share: 0.6, minor: '00', truth: 'paid' },
  notFinalCharged: { share: 0.03, minor: '54', truth: 'paid' },
  droppedCharged: { share: 0.02, minor: '73', truth: 'paid' },
  doNotHonor: { share: 0.04, minor: '05', truth: 'declined' },
  insufficientFunds: { share: 0.04, minor: '51', truth: 'declined' },
  notFinalUncharged: { share: 0.02, minor: '55', truth: 'declined' },
  paymentSystemTimeout: { share: 0.01, minor: '58', truth: 'declined' },
  threeDsBack: { share: 0.1, minor: '11', truth: 'paid', threeDs: { approve: true, callback: true } },
  threeDsTabClosed: { share: 0.1, minor: '11', truth: 'paid', threeDs: { approve: true, callback: false } },
  threeDsDeclinedBack: { share: 0.02, minor: '11', truth: 'declined', threeDs: { approve: false, callback: true } },
  threeDsDeclinedTabClosed: {
    share: 0.02,
    minor: '11',
    truth: 'declined',
    threeDs: { approve: false, callback: false },
  },
} as const satisfies Record<string, Kind>;
type KindName = keyof typeof KINDS;

interface Planned {
  invoiceId: string;
  kind: KindName;
  amount: number;
}

interface Answered extends Planned {
  outcome: string;
  sentAt: number;
  /** When the customer's last step was answered (`Date.now()`). */
  doneAt: number;
}

const { values } = parseArgs({
  options: {
    payments: { type: 'string', default: process.env.BENCH_WEBHOOK_PAYMENTS ?? '2000' },
    seed: { type: 'string', default: process.env.SEED ?? '42' },
    concurrency: { type: 'string', default: '16' },
    redis: { type: 'boolean', default: false },
    // How long the queues remember a finished job's id (default the contract's 7 days): shorter shows what the
    // in-memory queue's memory of done ids weighs.
    'keep-done-ms': { type: 'string' },
    json: { type: 'string' },
  },
});
const COUNT = Number(values.payments);
const SEED = Number(values.seed);
const CONCURRENCY = Number(values.concurrency);
const TIMING = {
  ...EVENT_TIMING,
  ...(values['keep-done-ms'] === undefined ? {} : { keepDoneMs: Number(values['keep-done-ms']) }),
};
if (!Number.isInteger(COUNT) || COUNT < 2 || COUNT > 999_999) throw new RangeError('--payments: 2 to 999999');
if (!Number.isInteger(SEED) || SEED < 0) throw new RangeError('--seed: a non-negative integer');

const log = (line = '') => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mib = (bytes: number) => bytes / 2 ** 20;

/** The payments, in a seeded order: each kind's share of `count`, shuffled; invoices fixed by the seed. */
function plan(count: number, seed: number): Planned[] {
  const kinds: KindName[] = [];
  for (const [name, k] of Object.entries(KINDS) as Array<[KindName, Kind]>) {
    for (let i = 0; i < Math.round(k.share * count); i++) kinds.push(name);
  }
  while (kinds.length < count) kinds.push('paid');
  kinds.length = count;
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = Math.floor(draw(seed, 'shuffle', i) * (i + 1));
    [kinds[i], kinds[j]] = [kinds[j]!, kinds[i]!];
  }
  // The bank wants distinct last six digits; the prefix keeps two seeds' invoices apart.
  const prefix = `9${String(seed % 10_000).padStart(4, '0')}`;
  return kinds.map((kind, i) => ({
    invoiceId: `${prefix}${String(i).padStart(6, '0')}`,
    kind,
    amount: Number(`${1000 + (i % 9000)}.${KINDS[kind].minor}`),
  }));
}

/** One payment as the customer's browser makes it; returns what the customer saw. */
async function pay(proxyUrl: string, apple: Awaited<ReturnType<typeof sharedApple>>['apple'], p: Planned) {
  const order = await signOrder(
    {
      invoiceId: p.invoiceId,
      amount: p.amount,
      exp: Math.floor(Date.now() / 1000) + 3_600,
      backLink: BACK_LINK,
      failureBackLink: FAILURE_BACK_LINK,
    },
    ORDER_SECRET,
  );
  const r = await post(
    `${proxyUrl}/applepay/payments`,
    { order, payment: payment(apple, { amount: p.amount, pan: TEST_PAN }) },
    { origin: SHOP_ORIGIN },
  );
  const status = r.json?.status as string | undefined;
  const answer =
    r.status === 200 && (status === 'paid' || status === '3ds')
      ? status
      : r.status === 402 && status === 'declined'
        ? 'declined'
        : `${r.json?.error?.code ?? `HTTP ${r.status}`}`;
  const threeDs: Kind['threeDs'] = (KINDS[p.kind] as Kind).threeDs;
  if (answer !== '3ds' || !threeDs) return answer;
  const back = await passwordPage(r.json.form, threeDs.approve);
  if (!threeDs.callback) return `3ds, ${threeDs.approve ? 'approved' : 'declined'} at the bank, tab closed`;
  const res = await postForm(back.action, back.fields);
  const location = res.headers.get('location') ?? '';
  if (res.status === 303 && location.startsWith(BACK_LINK)) return '3ds, back: paid';
  if (res.status === 303 && location.startsWith(FAILURE_BACK_LINK)) {
    return `3ds, back: ${new URL(location).searchParams.get('code') ?? 'failed'}`;
  }
  return `3ds, back: HTTP ${res.status}`;
}

/** What the bank's ledger says of an invoice; `none` when it holds nothing (a refusal that recorded no payment). */
function truthOf(bank: FakeEpay, invoiceId: string): Truth | 'none' | 'open' {
  const names = bank.ledger.byInvoice(invoiceId).map((t) => t.statusName);
  if (names.some((n) => n === 'AUTH' || n === 'CHARGE')) return 'paid';
  if (names.some((n) => n === 'FAILED' || n === 'REJECT' || n === '3D')) return 'declined';
  return names.length === 0 ? 'none' : 'open';
}

function tally<T>(items: T[], key: (t: T) => string): Map<string, number> {
  const m = new Map<string, number>();
  for (const t of items) m.set(key(t), (m.get(key(t)) ?? 0) + 1);
  return new Map([...m].sort((a, b) => b[1] - a[1]));
}

const fmtTally = (m: Map<string, number>) => [...m].map(([k, n]) => `${k} ${n}`).join(', ');

async function main(): Promise<number> {
  const store = values.redis ? 'Redis (BullMQ queues)' : 'memory';
  log(
    `webhook faults: ${COUNT} payments, ${CONCURRENCY} in flight, seed ${SEED}, events in ${store}; receiver fails ` +
      `${RECEIVER_FAULTS.fail * 100}% and hangs ${RECEIVER_FAULTS.hang * 100}% of deliveries; bank notifications lost ` +
      `${NOTIFICATION_FAULTS.lost * 100}%, duplicated ${NOTIFICATION_FAULTS.duplicated * 100}%, late ` +
      `${NOTIFICATION_FAULTS.late * 100}% (${NOTIFICATION_FAULTS.lateMs} ms), forged ${NOTIFICATION_FAULTS.forged * 100}%`,
  );
  log(`  event timing ${JSON.stringify(TIMING)}`);
  if (!(globalThis as { gc?: unknown }).gc) log('  (no --expose-gc: heap figures are NaN)');

  const { apple, files } = await sharedApple();
  const bank = await startFakeEpay({
    privateKeyPem: bankPrivateKey(),
    deliverNotifications: true,
    notificationFaults: { seed: SEED, ...NOTIFICATION_FAULTS },
    threeDsSelfCompleteMs: THREE_DS_SELF_COMPLETE_MS,
  });
  const receiver = await startFlakyReceiver({ secret: WEBHOOK_SECRET, seed: SEED, ...RECEIVER_FAULTS });
  let redis: RedisServer | undefined;
  if (values.redis) redis = await startRedisServer();
  const proxy = await startProxyThread({
    env: {
      ...sandboxProxyEnv(files, {
        publicUrl: 'http://127.0.0.1:1', // replaced by the thread's own address
        merchantId: apple.merchantId,
        bank,
        validationHosts: '127.0.0.1:9', // merchant validation is not exercised
      }),
      WEBHOOK_URL: receiver.url,
      WEBHOOK_SIGNING_SECRET: WEBHOOK_SECRET,
      ...(redis ? { REDIS_URL: redis.url } : {}),
    },
    eventTiming: TIMING,
  });

  const problems: string[] = [];
  try {
    const payments = plan(COUNT, SEED);
    const half = Math.floor(COUNT / 2);
    const heap: Array<{ at: string; proxy: number; here: number; pending: { deliveries: number; checks: number } }> =
      [];
    const snapshot = async (at: string) => {
      heap.push({ at, proxy: await proxy.heapUsed(), here: heapAfterGc(), pending: await proxy.pending() });
    };
    await snapshot('start');
    const eluProxy0 = await proxy.eventLoop();
    const eluHere0 = performance.eventLoopUtilization();
    // This thread's event-loop lag: the receiver answers no sooner, and past the delivery timeout the proxy has gone.
    const lag = monitorEventLoopDelay({ resolution: 10 });
    lag.enable();

    const answered: Answered[] = [];
    let next = 0;
    const t0 = performance.now();
    let lastLine = t0;
    const lane = async () => {
      for (;;) {
        const i = next++;
        if (i >= payments.length) return;
        const p = payments[i]!;
        const sentAt = Date.now();
        let outcome: string;
        try {
          outcome = await pay(proxy.url, apple, p);
        } catch (err) {
          outcome = `error: ${err instanceof Error ? err.message : String(err)}`.slice(0, 120);
        }
        answered.push({ ...p, outcome, sentAt, doneAt: Date.now() });
        if (answered.length === half) await snapshot(`after ${half} payments`);
        const now = performance.now();
        if (now - lastLine >= 10_000) {
          lastLine = now;
          log(`  ${answered.length}/${COUNT} answered, ${Math.round((answered.length / (now - t0)) * 1000)}/s`);
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, lane));
    const paidFor = performance.now() - t0;
    lag.disable();
    // How busy each thread was while the payments ran: the proxy's, and this one's (the bank, the receiver, the driver).
    const eluProxy = performance.eventLoopUtilization(await proxy.eventLoop(), eluProxy0).utilization;
    const eluHere = performance.eventLoopUtilization(performance.eventLoopUtilization(), eluHere0).utilization;
    await snapshot(`after ${COUNT} payments`);
    const pendingAtEnd = await proxy.pending();

    // Drained: the bank has no notification on its way and no 3-D Secure payment to settle, and the proxy nothing
    // pending, several polls in a row (a late notification can start a check after a quiet moment).
    const d0 = performance.now();
    let quiet = 0;
    let last = pendingAtEnd;
    while (quiet < QUIET_POLLS && performance.now() - d0 < DRAIN_TIMEOUT_MS) {
      await sleep(POLL_MS);
      await bank.flushNotifications();
      last = await proxy.pending();
      const bankBusy =
        bank.notifications.some((n) => n.delivery === 'pending') ||
        bank.ledger.transactions.some((t) => t.statusName === 'NEW');
      quiet = last.deliveries + last.checks === 0 && !bankBusy ? quiet + 1 : 0;
    }
    const drainMs = performance.now() - d0;
    if (quiet < QUIET_POLLS) {
      problems.push(
        `not drained after ${DRAIN_TIMEOUT_MS / 1000} s: ${last.deliveries} deliveries and ${last.checks} checks pending`,
      );
    }
    await snapshot('after the drain');
    const logs = await proxy.logSummary();

    // ---- What the receiver accepted, per invoice ----
    const deliveries = receiver.deliveries;
    const accepted = new Map<string, Delivery>();
    const acceptedTimes = new Map<string, number>();
    for (const d of deliveries) {
      if (d.answer !== 'ok' || !d.id) continue;
      if (!accepted.has(d.id)) accepted.set(d.id, d);
      acceptedTimes.set(d.id, (acceptedTimes.get(d.id) ?? 0) + 1);
    }
    const events = [...accepted.values()];
    const byInvoice = new Map<string, Delivery[]>();
    for (const e of events) byInvoice.set(e.invoiceId!, [...(byInvoice.get(e.invoiceId!) ?? []), e]);
    const planned = new Map(answered.map((a) => [a.invoiceId, a]));

    // ---- Violations ----
    const violations = new Map<string, string[]>();
    const violate = (what: string, invoiceId: string) =>
      violations.set(what, [...(violations.get(what) ?? []), invoiceId]);
    const truths = new Map<string, ReturnType<typeof truthOf>>();
    for (const a of answered) {
      const truth = truthOf(bank, a.invoiceId);
      truths.set(a.invoiceId, truth);
      const evs = byInvoice.get(a.invoiceId) ?? [];
      const ids = (type: string) => new Set(evs.filter((e) => e.type === type).map((e) => e.id)).size;
      const paid = ids('payment.paid');
      const declined = ids('payment.declined');
      if (truth === 'open')
        violate('3-D Secure payment still open at the bank (the run did not finish it)', a.invoiceId);
      if (truth !== KINDS[a.kind].truth && !(truth === 'none' && KINDS[a.kind].truth === 'declined')) {
        violate(`bank's ledger says ${truth}, the plan ${KINDS[a.kind].truth} (sandbox or plan)`, a.invoiceId);
      }
      if (truth === 'paid') {
        if (paid === 0) violate('paid invoice: payment.paid missing', a.invoiceId);
        if (paid > 1) violate('paid invoice: payment.paid under more than one id', a.invoiceId);
        if (declined > 0) violate('paid invoice: a payment.declined (wrong type)', a.invoiceId);
        if (a.outcome === 'declined') violate('customer told declined, the bank holds the money', a.invoiceId);
      } else {
        if (paid > 0)
          violate(`${truth === 'none' ? 'unrecorded' : 'declined'} invoice: a payment.paid (wrong type)`, a.invoiceId);
        if (declined > 1) violate('declined invoice: payment.declined under more than one id', a.invoiceId);
        if ((truth === 'declined' || a.outcome === 'declined') && declined === 0)
          violate('declined invoice: payment.declined missing', a.invoiceId);
        if (a.outcome === 'paid' || a.outcome === '3ds, back: paid') {
          violate('customer told paid, the bank holds no money', a.invoiceId);
        }
      }
    }
    for (const e of events) {
      const a = planned.get(e.invoiceId!);
      if (!a) {
        violate('event for an invoice this run never paid', e.invoiceId!);
        continue;
      }
      if (e.id !== eventId(SANDBOX_EPAY.terminalId, { type: e.type as 'payment.paid', invoiceId: e.invoiceId! })) {
        violate("event id is not the fact's digest", e.invoiceId!);
      }
      if (e.amount !== a.amount) violate("event's amount is not the order's", e.invoiceId!);
      const states = e.type === 'payment.paid' ? ['authorized', 'charged'] : ['declined', 'failed'];
      if (!states.includes(e.state ?? '')) violate(`${e.type} with state ${e.state}`, e.invoiceId!);
      if (e.type !== 'payment.paid' && e.type !== 'payment.declined') violate(`unexpected ${e.type}`, e.invoiceId!);
    }
    const unverified = deliveries.filter((d) => d.answer === 'unverified');
    if (unverified.length > 0)
      problems.push(`${unverified.length} deliveries did not verify (${unverified[0]?.error})`);
    const errors = answered.filter((a) => a.outcome.startsWith('error'));
    if (errors.length > 0) problems.push(`${errors.length} payments could not be made: ${errors[0]?.outcome}`);

    // Forgeries: the invoices a forged notification reached, and whether any of them ended with a wrong event.
    const forged = bank.notifications.filter((n) => n.forged);
    const forgedInvoices = new Set(forged.map((n) => n.body.invoiceId));
    const wrongTypes = [...violations]
      .filter(([what]) => what.includes('wrong type'))
      .flatMap(([, invoices]) => invoices);
    const forgedWrong = [...new Set(wrongTypes.filter((inv) => forgedInvoices.has(inv)))];

    // ---- Report ----
    const nf = bank.notifications;
    const genuine = nf.filter((n) => !n.forged && !n.duplicate);
    log('');
    log(
      `payments      ${COUNT} answered in ${(paidFor / 1000).toFixed(1)} s (${(COUNT / (paidFor / 1000)).toFixed(1)}/s); ` +
        `pending then ${pendingAtEnd.checks} checks, ${pendingAtEnd.deliveries} deliveries; drained ${(drainMs / 1000).toFixed(1)} s later`,
    );
    log(
      `  busy        event loop of the proxy's thread ${(eluProxy * 100).toFixed(0)}%, of this thread (bank, ` +
        `receiver, driver) ${(eluHere * 100).toFixed(0)}% while the payments ran`,
    );
    log(`  by outcome  ${fmtTally(tally(answered, (a) => a.outcome))}`);
    for (const kind of Object.keys(KINDS) as KindName[]) {
      const of = answered.filter((a) => a.kind === kind);
      if (of.length > 0)
        log(`    ${kind.padEnd(25)} ${String(of.length).padStart(5)}: ${fmtTally(tally(of, (a) => a.outcome))}`);
    }
    log(`  bank says   ${fmtTally(tally(answered, (a) => truths.get(a.invoiceId)!))}`);
    log(
      `notifications bank produced ${genuine.length}: lost ${genuine.filter((n) => n.delivery === 'lost').length}, ` +
        `duplicated ${nf.filter((n) => n.duplicate).length}, late ${genuine.filter((n) => n.faults?.includes('late')).length}, ` +
        `forged ${forged.length} (for ${forgedInvoices.size} invoices); posts by result ${fmtTally(tally(nf, (n) => n.delivery))}`,
    );
    const notifAnswers = Object.entries(logs).filter(([k]) => k.startsWith('POST /epay/notifications'));
    log(`  proxy       ${notifAnswers.map(([k, n]) => `${k.split(' ').at(-1)}: ${n}`).join(', ')}`);
    log('events        (distinct ids accepted, by type and source)');
    for (const [type, n] of tally(events, (e) => e.type!)) {
      log(
        `  ${type.padEnd(17)} ${String(n).padStart(5)}: ${fmtTally(
          tally(
            events.filter((e) => e.type === type),
            (e) => e.source!,
          ),
        )}`,
      );
    }
    // How long after the customer's answer the merchant's backend had the event (first 2xx), retries included.
    const delays = answered
      .map((a) => {
        const firsts = (byInvoice.get(a.invoiceId) ?? []).map((e) => e.at);
        return firsts.length > 0 ? Math.min(...firsts) - a.doneAt : undefined;
      })
      .filter((v): v is number => v !== undefined)
      .sort((x, y) => x - y);
    const pct = (q: number) => delays[Math.min(delays.length - 1, Math.floor(q * delays.length))] ?? Number.NaN;
    const checksDone = Object.entries(logs)
      .filter(([k]) => k.startsWith('info status check done'))
      .reduce((sum, [, n]) => sum + n, 0);
    log(
      `event delay   after the customer's answer: p50 ${pct(0.5)} ms, p90 ${pct(0.9)} ms, max ${delays.at(-1)} ms; ` +
        `status checks done ${checksDone} (${(checksDone / ((paidFor + drainMs) / 1000)).toFixed(0)}/s over the run), ` +
        `most pending ${Math.max(...heap.map((h) => h.pending.checks))}`,
    );
    const redelivered = [...acceptedTimes.values()].filter((n) => n > 1).length;
    // The proxy's own count of deliveries it saw answered 2xx: one per event, or it sent an acknowledged event again.
    const proxyDone = Object.entries(logs)
      .filter(([k]) => k.startsWith('info webhook done'))
      .reduce((sum, [, n]) => sum + n, 0);
    if (proxyDone !== accepted.size) {
      problems.push(`the proxy saw ${proxyDone} deliveries answered 2xx for ${accepted.size} event ids`);
    }
    log(
      `deliveries    attempted ${deliveries.length}, accepted (2xx) ${deliveries.filter((d) => d.answer === 'ok').length} ` +
        `for ${accepted.size} ids; answered 500 ${deliveries.filter((d) => d.answer === 'fail').length}, ` +
        `hung ${deliveries.filter((d) => d.answer === 'hang').length}, did not verify ${unverified.length}; ` +
        `most attempts for one id ${Math.max(0, ...deliveries.map((d) => d.attempt + 1))}`,
    );
    log(
      `  the proxy saw a 2xx for ${proxyDone} deliveries (one per id: ${proxyDone === accepted.size ? 'yes' : 'NO'}); ` +
        `ids the receiver answered 2xx more than once ${redelivered}` +
        (redelivered > 0 && proxyDone === accepted.size
          ? ` (at least once at work: those 200s left after the proxy's ${TIMING.deliveryTimeoutMs} ms timeout)`
          : '') +
        `; this thread's event-loop lag p99 ${(lag.percentile(99) / 1e6).toFixed(0)} ms, max ${(lag.max / 1e6).toFixed(0)} ms`,
    );
    const twice = [...acceptedTimes].filter(([, n]) => n > 1).map(([id]) => id);
    for (const id of twice.slice(0, 2)) {
      const tries = deliveries.filter((d) => d.id === id);
      log(
        `    e.g. ${id} (${tries[0]?.type}, invoice ${tries[0]?.invoiceId}): ` +
          tries.map((d) => `try ${d.attempt + 1} ${d.answer} at +${d.at - tries[0]!.at} ms`).join(', '),
      );
    }
    const jobLines = Object.entries(logs).filter(([k]) => !k.startsWith('POST ') && !k.startsWith('GET '));
    log(`  proxy log   ${jobLines.map(([k, n]) => `${k}: ${n}`).join(', ')}`);
    log('heap          after a full GC: the proxy (its own thread) / this thread (bank, receiver, driver)');
    for (const h of heap) {
      log(
        `  ${h.at.padEnd(22)} proxy ${formatValue(mib(h.proxy)).padStart(6)} MiB   here ${formatValue(mib(h.here)).padStart(6)} MiB` +
          `   (proxy pending: ${h.pending.checks} checks, ${h.pending.deliveries} deliveries)`,
      );
    }

    const paidInvoices = answered.filter((a) => truths.get(a.invoiceId) === 'paid').length;
    const count = (pred: (what: string) => boolean) =>
      [...violations].filter(([what]) => pred(what)).reduce((s, [, inv]) => s + inv.length, 0);
    const missing = count((w) => w.includes('missing'));
    const duplicated = count((w) => w.includes('more than one id'));
    const wrong = count((w) => w.includes('wrong type'));
    log(
      `checks        ${paidInvoices} paid invoices, ${answered.length - paidInvoices} not paid: missing ${missing}, ` +
        `duplicated by id ${duplicated}, wrong type ${wrong}, forged notification → wrong event ${forgedWrong.length}`,
    );
    for (const [what, invoices] of violations)
      problems.push(`${what}: ${invoices.length} (${invoices.slice(0, 5).join(', ')})`);
    log(
      problems.length === 0
        ? 'result        OK: exactly one event per fact, the true one, whatever the receiver and the notifications did'
        : `result        ${problems.length} PROBLEMS`,
    );
    for (const line of problems) log(`  - ${line}`);
    const described = [...new Set([...violations.values()].flat())].slice(0, DESCRIBED);
    for (const inv of described) describeInvoice(inv, planned.get(inv), bank, deliveries, truths.get(inv));

    const [hStart, hHalf, hEnd, hDrain] = heap.map((h) => mib(h.proxy));
    const rows: BenchRow[] = [
      {
        figure: `Events: paid invoices without exactly one payment.paid (${COUNT} payments, faults)`,
        value: count((w) => w.startsWith('paid invoice: payment.paid')),
        unit: 'invoices',
        target: '0',
        pass: count((w) => w.startsWith('paid invoice: payment.paid')) === 0,
        note: `${paidInvoices} paid; seed ${SEED}; receiver 500 ${RECEIVER_FAULTS.fail * 100}%, hang ${RECEIVER_FAULTS.hang * 100}%; notifications lost ${NOTIFICATION_FAULTS.lost * 100}%, duplicated ${NOTIFICATION_FAULTS.duplicated * 100}%, forged ${NOTIFICATION_FAULTS.forged * 100}%`,
      },
      { figure: 'Events: wrong type (paid↔declined)', value: wrong, unit: 'invoices', target: '0', pass: wrong === 0 },
      {
        figure: 'Events: every violation (missing, duplicate id, wrong type, drain, …)',
        value: problems.length,
        unit: 'kinds',
        target: '0',
        pass: problems.length === 0,
      },
      {
        figure: 'Events: deliveries attempted per event accepted',
        value: deliveries.length / Math.max(1, accepted.size),
        unit: '×',
        note: `${deliveries.length} attempts, ${accepted.size} events`,
      },
      { figure: 'Events: drain after the last answer', value: drainMs, unit: 'ms' },
      {
        figure: 'Events: proxy heap after GC, start → half → end → drained',
        value: hDrain ?? Number.NaN,
        unit: 'MiB',
        note: [hStart, hHalf, hEnd, hDrain].map((v) => formatValue(v ?? Number.NaN)).join(' → '),
      },
    ];
    report(`Events under faults (${COUNT} payments, store ${store})`, rows, jsonOutPath());
    return problems.length === 0 ? 0 : 1;
  } finally {
    await proxy.close();
    await receiver.close();
    await bank.close();
    await redis?.stop();
  }
}

/** Everything that happened to one invoice, in time order: the bank's calls and notifications, and the deliveries. */
function describeInvoice(
  invoiceId: string,
  a: Answered | undefined,
  bank: FakeEpay,
  deliveries: Delivery[],
  truth: string | undefined,
): void {
  const lines: Array<[number, string]> = [];
  for (const c of bank.calls)
    if (c.invoiceId === invoiceId)
      lines.push([c.at, `bank    ${c.method} ${c.path} → ${c.status}${c.fault ? ` (${c.fault})` : ''}`]);
  for (const n of bank.notifications) {
    if (n.body.invoiceId !== invoiceId) continue;
    const how = [n.forged ? 'FORGED' : '', n.duplicate ? 'duplicate' : '', ...(n.faults ?? [])]
      .filter(Boolean)
      .join(' ');
    lines.push([
      n.sentAt ?? n.at,
      `notify  ${n.kind} code=${n.body.code} ${n.delivery}${n.httpStatus ? ` ${n.httpStatus}` : ''}${how ? ` [${how}]` : ''}`,
    ]);
  }
  for (const d of deliveries) {
    if (d.invoiceId === invoiceId)
      lines.push([
        d.at,
        `deliver ${d.type} source=${d.source} state=${d.state} ${d.id} try ${d.attempt + 1} → ${d.answer}`,
      ]);
  }
  lines.sort((x, y) => x[0] - y[0]);
  const t0 = a?.sentAt ?? lines[0]?.[0] ?? 0;
  log(
    `\n  invoice ${invoiceId}: ${a?.kind ?? '?'} (amount ${a?.amount}), answered "${a?.outcome}", bank: ${truth} ` +
      `(${
        bank.ledger
          .byInvoice(invoiceId)
          .map((t) => `${t.statusName}/${t.reasonCode}`)
          .join(', ') || 'no record'
      })`,
  );
  for (const [at, text] of lines) log(`    +${String(at - t0).padStart(6)} ms  ${text}`);
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`webhook-faults: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(2);
  },
);

/**
 * @module Benchmark: the rate limit's cost per request with 1,000 and with 100,000 distinct clients in the window
 * (issue 18: the old limiter scanned its whole map for every new client once it held 50,000). Each client is an IPv6
 * address in its own /64, so the figure includes turning the address into its key. Two cases: a client already in
 * the window, and a client seen for the first time (which adds an entry). The ratio between the two sizes should stay
 * near 1: work per request does not grow with the number of clients.
 *
 * Run: `pnpm bench rate-limit` from the root, or `npx tsx proxy/bench/rate-limit.ts [--json out.json]`.
 */
import type { Context } from 'hono';
import { clientKeyOf, rateLimit } from '../src/middleware/rate-limit.js';
import { isMain, median, report, type BenchRow } from './measure.js';

/** Window sizes compared: a busy shop, and a crowd (or an attacker rotating addresses). */
const SMALL = 1_000;
const LARGE = 100_000;
/** Requests timed per round, and rounds (the median round is reported). */
const REQUESTS = Number(process.env.BENCH_RATE_LIMIT_REQUESTS ?? 20_000);
const ROUNDS = Number(process.env.BENCH_RATE_LIMIT_ROUNDS ?? 5);
/** High enough that no request of the benchmark is refused: the refusal path throws, which is not what is timed. */
const PER_MINUTE = 1_000_000;
/** Pause before each timed round. */
const SETTLE_MS = 200;
/** Ratio of the large window's cost to the small one's above which work per request is growing with the clients. */
const RATIO_TARGET = 3;

/** The i-th client's address: its own /64 (2001:db8:hhhh:llll::/64), a varying host part. */
function address(i: number): string {
  return `2001:db8:${(i >>> 16).toString(16)}:${(i & 0xffff).toString(16)}:${(i * 7919) & 0xffff}::1`;
}

/** The least of a Hono context the middleware reads: the method, and the address the key comes from. */
function fakeContext(addr: string): Context {
  return { req: { method: 'POST' }, addr } as unknown as Context;
}

const next = async () => {};

/** CPU µs per request, median over rounds: each round fills a new limiter with `clients` (not timed) first. */
async function costPerRequest(clients: number, firstSeen: boolean): Promise<number> {
  const rounds: number[] = [];
  for (let r = -1; r < ROUNDS; r++) {
    const limit = rateLimit(PER_MINUTE, (c) => clientKeyOf((c as unknown as { addr: string }).addr));
    for (let i = 0; i < clients; i++) await limit(fakeContext(address(i)), next);
    // Known clients cycle through the window; new ones come after it (REQUESTS of them: the window grows by that).
    const contexts = Array.from({ length: REQUESTS }, (_, i) =>
      fakeContext(address(firstSeen ? clients + i : i % clients)),
    );
    // process.cpuUsage counts the collector's threads too: let it finish with the previous round's limiter first.
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const c0 = process.cpuUsage();
    for (const c of contexts) await limit(c, next);
    const c = process.cpuUsage(c0);
    if (r >= 0) rounds.push((c.user + c.system) / REQUESTS); // round -1 warms up
  }
  return median(rounds);
}

export async function benchRateLimit(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const firstSeen of [false, true]) {
    const who = firstSeen ? 'a new client' : 'a known client';
    const small = await costPerRequest(SMALL, firstSeen);
    const large = await costPerRequest(LARGE, firstSeen);
    const ratio = large / small;
    rows.push(
      { figure: `rate limit, ${who}, ${SMALL.toLocaleString('en')} clients in the window`, value: small, unit: 'µs' },
      { figure: `rate limit, ${who}, ${LARGE.toLocaleString('en')} clients in the window`, value: large, unit: 'µs' },
      {
        figure: `rate limit, ${who}, cost at ${LARGE.toLocaleString('en')} / at ${SMALL.toLocaleString('en')}`,
        value: ratio,
        unit: '×',
        target: `< ${RATIO_TARGET} ×`,
        pass: ratio < RATIO_TARGET,
        note: firstSeen
          ? 'the limiter before issue 18 scanned its whole map per new client: ~540 µs each at 100,000 on this machine'
          : 'a larger map misses the CPU cache more often',
      },
    );
  }
  return rows;
}

if (isMain(import.meta.url)) {
  report('Rate limit: CPU per request by clients in the window', await benchRateLimit());
}

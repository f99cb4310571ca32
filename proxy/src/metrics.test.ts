/** The metrics on their own: a registry per app, bounded labels, the pending gauge, and the metrics server. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createProxyMetrics, type MetricsServer, PENDING_READ_TIMEOUT_MS, serveMetrics } from './metrics.js';

const servers: MetricsServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** `name{labels} value` lines of a scrape, by name and labels. */
async function scrape(metrics: ReturnType<typeof createProxyMetrics>): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const line of (await metrics.registry.metrics()).split('\n')) {
    const m = /^(epay_applepay_[a-z_]+(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (m) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

describe('createProxyMetrics', () => {
  it('gives each app a registry of its own: two in one process neither clash nor share counts', async () => {
    const a = createProxyMetrics();
    const b = createProxyMetrics();
    a.payment('authorize', 'paid');
    a.payment('authorize', 'paid');
    b.payment('authorize', 'declined');
    expect((await scrape(a)).get('epay_applepay_payments_total{step="authorize",outcome="paid"}')).toBe(2);
    expect((await scrape(b)).get('epay_applepay_payments_total{step="authorize",outcome="paid"}')).toBe(0);
    expect((await scrape(b)).get('epay_applepay_payments_total{step="authorize",outcome="declined"}')).toBe(1);
    expect(await a.registry.metrics()).toMatch(/^process_cpu_seconds_total /m); // default metrics, on this registry
  });

  it('starts the series alerts watch at 0, so the first outcome_unknown or failed delivery shows as an increase', async () => {
    const s = await scrape(createProxyMetrics({ defaultMetrics: false }));
    expect(s.get('epay_applepay_payments_total{step="authorize",outcome="outcome_unknown"}')).toBe(0);
    expect(s.get('epay_applepay_payments_total{step="3ds_callback",outcome="outcome_unknown"}')).toBe(0);
    expect(s.get('epay_applepay_webhook_deliveries_total{result="gave_up"}')).toBe(0);
    expect(s.get('epay_applepay_webhook_deliveries_total{result="retry"}')).toBe(0);
  });

  it('never makes a label value from outside input: unknown outcomes are "other"', async () => {
    const m = createProxyMetrics({ defaultMetrics: false });
    m.payment('authorize', '000123456');
    m.payment('3ds_callback', 'declined: card 4400430100000001');
    m.operation('refund', 'something new');
    const text = await m.registry.metrics();
    expect(text).toContain('epay_applepay_payments_total{step="authorize",outcome="other"} 1');
    expect(text).toContain('epay_applepay_payments_total{step="3ds_callback",outcome="other"} 1');
    expect(text).toContain('epay_applepay_operations_total{verb="refund",outcome="other"} 1');
    expect(text).not.toMatch(/000123456|4400/);
  });

  it('counts bank calls by endpoint and result, and times only those that were sent', async () => {
    const m = createProxyMetrics({ defaultMetrics: false });
    m.bankCall('cryptopay', 'ok', 0.2);
    m.bankCall('cryptopay', 'timeout', 14);
    m.bankCall('status', 'timeout', undefined);
    const s = await scrape(m);
    expect(s.get('epay_applepay_bank_requests_total{endpoint="cryptopay",result="ok"}')).toBe(1);
    expect(s.get('epay_applepay_bank_requests_total{endpoint="cryptopay",result="timeout"}')).toBe(1);
    expect(s.get('epay_applepay_bank_requests_total{endpoint="status",result="timeout"}')).toBe(1);
    expect(s.get('epay_applepay_bank_request_duration_seconds_count{endpoint="cryptopay"}')).toBe(2);
    expect(s.get('epay_applepay_bank_request_duration_seconds_bucket{le="0.25",endpoint="cryptopay"}')).toBe(1);
    expect(s.get('epay_applepay_bank_request_duration_seconds_count{endpoint="status"}')).toBeUndefined();
  });

  it('reads the pending events at each scrape, and keeps the last counts while the queue does not answer', async () => {
    const m = createProxyMetrics({ defaultMetrics: false });
    let answer: () => Promise<{ deliveries: number; checks: number }> = async () => ({ deliveries: 3, checks: 1 });
    m.watchPending(() => answer());
    let s = await scrape(m);
    expect(s.get('epay_applepay_webhook_pending{queue="deliveries"}')).toBe(3);
    expect(s.get('epay_applepay_webhook_pending{queue="checks"}')).toBe(1);
    answer = () => new Promise(() => {}); // Redis gone: never answers
    // The scrape waits for the queue only PENDING_READ_TIMEOUT_MS, on the clock: not a moment before, and then it ends.
    vi.useFakeTimers();
    try {
      let done = false;
      const scraped = scrape(m).then((r) => ((done = true), r));
      await vi.advanceTimersByTimeAsync(PENDING_READ_TIMEOUT_MS - 1);
      expect(done).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      s = await scraped;
    } finally {
      vi.useRealTimers();
    }
    expect(s.get('epay_applepay_webhook_pending{queue="deliveries"}')).toBe(3);
    answer = async () => {
      throw new Error('down');
    };
    expect((await scrape(m)).get('epay_applepay_webhook_pending{queue="checks"}')).toBe(1);
  });
});

describe('serveMetrics', () => {
  it('answers GET /metrics in the registry’s format, and nothing else', async () => {
    const m = createProxyMetrics({ defaultMetrics: false });
    m.payment('authorize', 'paid');
    const server = await serveMetrics(m, { port: 0, hostname: '127.0.0.1' });
    servers.push(server);
    const base = `http://127.0.0.1:${server.port}`;
    const ok = await fetch(`${base}/metrics`);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe(m.registry.contentType);
    expect(await ok.text()).toContain('epay_applepay_payments_total{step="authorize",outcome="paid"} 1');
    expect((await fetch(`${base}/metrics?x=1`)).status).toBe(200);
    for (const path of ['/', '/metrics/', '/healthz', '/applepay/payments']) {
      const r = await fetch(`${base}${path}`);
      expect([path, r.status]).toEqual([path, 404]);
      expect(await r.text()).not.toContain('epay_applepay');
    }
    const post = await fetch(`${base}/metrics`, { method: 'POST' });
    expect([post.status, post.headers.get('allow')]).toEqual([405, 'GET, HEAD']);
  });

  it('rejects when the port is taken, and frees its port on close', async () => {
    const m = createProxyMetrics({ defaultMetrics: false });
    const first = await serveMetrics(m, { port: 0, hostname: '127.0.0.1' });
    await expect(serveMetrics(m, { port: first.port, hostname: '127.0.0.1' })).rejects.toThrow(/EADDRINUSE/);
    await first.close();
    const again = await serveMetrics(m, { port: first.port, hostname: '127.0.0.1' });
    servers.push(again);
    expect(again.port).toBe(first.port);
  });
});

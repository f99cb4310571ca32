/** RedisStore against a real redis-server started here: NX, expiry, ownership on release, and Redis going away. */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer, type RedisServer } from '../test/redis-server.js';
import { DEFAULT_REDIS_KEY_PREFIX, RedisStore, StoreUnavailableError } from './redis-store.js';

let server: RedisServer;
const stores: RedisStore[] = [];
function store(options: { commandTimeoutMs?: number } = {}): RedisStore {
  const s = new RedisStore({ url: server.url, ...options });
  stores.push(s);
  return s;
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let seq = 0;
const key = (name: string) => `test:${name}:${++seq}:${Date.now()}`;

beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  await Promise.allSettled(stores.map((s) => s.close()));
  await server?.stop();
});

describe('RedisStore', () => {
  it('claims a key once, across instances, until it is released', async () => {
    const a = store();
    const b = store();
    const k = key('once');
    expect(await a.claim(k, 10_000)).toBe(true);
    expect(await a.claim(k, 10_000)).toBe(false);
    expect(await b.claim(k, 10_000)).toBe(false);
    await a.release(k);
    expect(await b.claim(k, 10_000)).toBe(true);
  });

  it('gives exactly one of many simultaneous claims, from two instances', async () => {
    const a = store();
    const b = store();
    const k = key('race');
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).claim(k, 10_000)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('lets a claim expire after its ttl (SET NX PX)', async () => {
    const a = store();
    const k = key('ttl');
    expect(await a.claim(k, 150)).toBe(true);
    expect(await a.claim(k, 150)).toBe(false);
    await sleep(250);
    expect(await a.claim(k, 150)).toBe(true);
  });

  it('never releases a key another instance holds (an expired lock taken over)', async () => {
    const a = store();
    const b = store();
    const k = key('owner');
    expect(await a.claim(k, 100)).toBe(true);
    await sleep(200);
    expect(await b.claim(k, 10_000)).toBe(true); // A's lock expired; B holds the key now
    await a.release(k); // A finishing late must not free B's lock
    expect(await a.claim(k, 10_000)).toBe(false);
    await b.release(k);
    expect(await a.claim(k, 10_000)).toBe(true);
  });

  it('puts its keys under the prefix, with the ttl set in Redis', async () => {
    const a = store();
    const k = key('prefix');
    await a.claim(k, 60_000);
    const raw = new Redis(server.url);
    try {
      const ttl = await raw.pttl(`${DEFAULT_REDIS_KEY_PREFIX}${k}`);
      expect(ttl).toBeGreaterThan(55_000);
      expect(ttl).toBeLessThanOrEqual(60_000);
      expect(await raw.exists(k)).toBe(0);
    } finally {
      raw.disconnect();
    }
  });

  it('fails a claim quickly and typed when Redis goes away, releases quietly, and recovers when it is back', async () => {
    const own = await startRedisServer();
    const s = new RedisStore({ url: own.url, commandTimeoutMs: 1_000 });
    try {
      expect(await s.claim(key('before'), 10_000)).toBe(true);
      await own.stop();
      await expect(s.claim(key('down'), 10_000)).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(s.release(key('down'))).resolves.toBeUndefined();

      const again = await startRedisServer({ port: own.port });
      try {
        let ok = false;
        for (let i = 0; i < 50 && !ok; i++) {
          ok = await s.claim(key('after'), 10_000).catch(() => false);
          if (!ok) await sleep(100);
        }
        expect(ok).toBe(true);
      } finally {
        await again.stop();
      }
    } finally {
      await s.close();
      await own.stop();
    }
  });
});

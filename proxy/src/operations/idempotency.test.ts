/** Idempotency keys: the first answer replayed, another request with the key refused, a running one 409. */
import { describe, expect, it } from 'vitest';
import { ProxyError } from '../errors.js';
import { MemoryStore } from '../store.js';
import { checkIdempotencyKey, once } from './idempotency.js';

const req = (fingerprint = 'POST /x\n{}') => ({ scope: 'key-1', key: 'idem-1', fingerprint });

describe('once', () => {
  it('runs the work once and replays its answer to the same request', async () => {
    const store = new MemoryStore();
    let runs = 0;
    const work = async () => ({ status: 200, body: { n: ++runs } });
    expect(await once(store, req(), work)).toEqual({ status: 200, body: { n: 1 } });
    expect(await once(store, req(), work)).toEqual({ replayed: true, status: 200, body: { n: 1 } });
    expect(runs).toBe(1);
  });

  it('refuses the key with another request (422), and while the first runs (409)', async () => {
    const store = new MemoryStore();
    await once(store, req(), async () => ({ status: 200, body: {} }));
    await expect(once(store, req('POST /y\n{}'), async () => ({ status: 200, body: {} }))).rejects.toMatchObject({
      code: 'idempotency_key_reused',
    });
    let finish: () => void = () => {};
    const slow = once(
      store,
      { ...req(), key: 'idem-2' },
      () => new Promise((r) => (finish = () => r({ status: 200, body: {} }))),
    );
    await new Promise((r) => setTimeout(r, 5));
    await expect(
      once(store, { ...req(), key: 'idem-2' }, async () => ({ status: 200, body: {} })),
    ).rejects.toMatchObject({
      code: 'operation_in_progress',
    });
    finish();
    await slow;
  });

  it('keeps a refusal as the answer, but not one that says nothing was done', async () => {
    const store = new MemoryStore();
    const refuse = (code: 'operation_refused' | 'bank_unavailable') => async () => {
      throw new ProxyError(code, 'no', { details: { bankCode: 5 } });
    };
    await expect(once(store, req(), refuse('operation_refused'))).rejects.toBeInstanceOf(ProxyError);
    expect(await once(store, req(), async () => ({ status: 200, body: {} }))).toMatchObject({
      replayed: true,
      status: 409,
      body: { error: { code: 'operation_refused', bankCode: 5 } },
    });
    await expect(once(store, { ...req(), key: 'k2' }, refuse('bank_unavailable'))).rejects.toBeInstanceOf(ProxyError);
    expect(await once(store, { ...req(), key: 'k2' }, async () => ({ status: 200, body: { ok: 1 } }))).toEqual({
      status: 200,
      body: { ok: 1 },
    });
  });

  it('keys per API key: the same idempotency key under another bearer key is another request', async () => {
    const store = new MemoryStore();
    await once(store, req(), async () => ({ status: 200, body: { a: 1 } }));
    expect(await once(store, { ...req(), scope: 'key-2' }, async () => ({ status: 200, body: { b: 2 } }))).toEqual({
      status: 200,
      body: { b: 2 },
    });
  });
});

describe('checkIdempotencyKey', () => {
  it.each([undefined, '', 'a b', 'x'.repeat(256), 'ключ'])('refuses %j', (key) => {
    expect(() => checkIdempotencyKey(key)).toThrow(ProxyError);
  });
  it('takes 1 to 255 printable characters', () => {
    expect(checkIdempotencyKey('order-42:refund#1')).toBe('order-42:refund#1');
  });
});

describe('once, when the store fails after the work', () => {
  it('keeps the running mark: the same key is 409 afterwards, never run a second time', async () => {
    const store = new MemoryStore();
    const put = store.put.bind(store);
    let failPuts = true;
    store.put = async (...args) => {
      if (failPuts && args[0].startsWith('idem:')) throw new Error('store went away');
      return put(...args);
    };
    let runs = 0;
    const work = async () => ({ status: 200, body: { n: ++runs } });
    await expect(once(store, req(), work)).rejects.toThrow('store went away');
    failPuts = false;
    await expect(once(store, req(), work)).rejects.toMatchObject({ code: 'operation_in_progress' });
    expect(runs).toBe(1);
  });
});

/**
 * The `TermUrl` under attack, over real HTTP against the sandbox bank: a junk post never blocks the customer's real
 * 3-D Secure result, a burst of posts makes one confirmation, a finished payment's replays call no bank, and the log
 * line names each outcome for what it is.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeProxyApp } from '../src/app.js';
import { createEpayClient, type EpayClient } from '../src/epay/client.js';
import { createSealer } from '../src/seal.js';
import { MemoryStore, StoreUnavailableError } from '../src/store.js';
import {
  invoiceOf,
  passwordPage,
  postForm,
  SCENARIO_AMOUNT,
  type Stack,
  secondApp,
  start3ds,
  startStack,
  TEST_EPAY_TIMEOUTS,
} from './harness.js';

let s: Stack;
beforeAll(async () => {
  s = await startStack();
});
afterAll(() => s?.close());

const LINKS = { backLink: 'https://shop.example/ok', failureBackLink: 'https://shop.example/fail' };
const bankCallsFor = (invoiceId: string) =>
  s.bank.calls.filter((c) => c.invoiceId === invoiceId || c.path.endsWith(`/${invoiceId}`));
const callsSince = (mark: number) => s.bank.calls.slice(mark);

describe('a junk post to the TermUrl', () => {
  it('with a made-up MD is refused before the bank, and the customer’s real result is still confirmed', async () => {
    const { o, form } = await start3ds(s, LINKS);
    const back = await passwordPage(form, true);
    const mark = s.bank.calls.length;
    const junk = await postForm(back.action, { PaRes: 'garbage', MD: 'garbage' });
    expect(junk.status).toBe(400);
    expect(junk.headers.get('location')).toBeNull();
    expect(callsSince(mark)).toEqual([]);
    const real = await postForm(back.action, back.fields);
    expect(real.status).toBe(303);
    expect(new URL(real.headers.get('location')!).pathname).toBe('/ok');
    expect(s.bank.ledger.paid(invoiceOf(o))).toHaveLength(1);
  });

  it('with the right MD and a forged PaRes: the bank refuses it, it consumes nothing, the real result pays', async () => {
    const { o, form } = await start3ds(s, LINKS);
    const back = await passwordPage(form, true);
    const junk = await postForm(back.action, { PaRes: 'Z2FyYmFnZQ==', MD: back.fields.MD! });
    expect(junk.status).toBe(400);
    expect(junk.headers.get('location')).toBeNull();
    expect(s.bank.ledger.byInvoice(invoiceOf(o))).toMatchObject([{ statusName: 'NEW' }]);
    const real = await postForm(back.action, back.fields);
    expect([real.status, new URL(real.headers.get('location')!).pathname]).toEqual([303, '/ok']);
    expect(s.bank.ledger.paid(invoiceOf(o))).toHaveLength(1);
    expect(s.logs.some((l) => l.path === '/3ds/callback' && l.status === 400 && l.outcome === 'invalid_request')).toBe(
      true,
    );
  });
});

describe('a burst of posts', () => {
  it('120 concurrent posts of one result make one confirmation and a handful of bank calls', async () => {
    const { o, form } = await start3ds(s, LINKS);
    const back = await passwordPage(form, true);
    const mark = s.bank.calls.length;
    const answers = await Promise.all(Array.from({ length: 120 }, () => postForm(back.action, back.fields)));
    expect(answers.every((a) => a.status === 303 && new URL(a.headers.get('location')!).pathname === '/ok')).toBe(true);
    const calls = callsSince(mark);
    expect(calls.filter((c) => c.path === '/payment/confirm')).toHaveLength(1);
    expect(calls.length).toBeLessThanOrEqual(2); // the confirmation's token and the confirmation
    expect(s.bank.ledger.paid(invoiceOf(o))).toHaveLength(1);
  });

  it('20 replays of a finished payment are answered from what the proxy knows: no bank call', async () => {
    const { o, form } = await start3ds(s, LINKS);
    const back = await passwordPage(form, false);
    const first = await postForm(back.action, back.fields);
    expect(new URL(first.headers.get('location')!).pathname).toBe('/fail');
    const mark = s.bank.calls.length;
    for (let i = 0; i < 20; i++) {
      const again = await postForm(back.action, back.fields);
      expect(again.headers.get('location')).toBe(first.headers.get('location'));
    }
    expect(callsSince(mark)).toEqual([]);
    expect(bankCallsFor(invoiceOf(o)).filter((c) => c.path === '/payment/confirm')).toHaveLength(1);
  });
});

describe('the callback’s log line', () => {
  it('names session_expired, invalid_context and invalid_request for what they are, never "declined"', async () => {
    const sealer = createSealer(s.config.orderSigningSecret, '3ds-context');
    const old = sealer.seal(
      { id: 'x', invoiceId: '123456789', amount: SCENARIO_AMOUNT.threeDs, currency: 'KZT' },
      1_000,
      Date.now() - 60_000,
    );
    await postForm(`${s.url}/3ds/callback?ctx=${old}`, { PaRes: 'p', MD: 'm' });
    await postForm(`${s.url}/3ds/callback?ctx=nonsense`, { PaRes: 'p', MD: 'm' });
    const fresh = sealer.seal(
      { id: 'y', invoiceId: '123456789', amount: SCENARIO_AMOUNT.threeDs, currency: 'KZT' },
      60_000,
    );
    await postForm(`${s.url}/3ds/callback?ctx=${fresh}`, {});
    const outcomes = s.logs
      .filter((l) => l.path === '/3ds/callback')
      .slice(-3)
      .map((l) => [l.outcome, l.code]);
    expect(outcomes).toEqual([
      ['session_expired', 'session_expired'],
      ['invalid_context', 'invalid_context'],
      ['invalid_request', 'invalid_request'],
    ]);
  });

  it('names outcome_unknown when the bank cannot say', async () => {
    const { form } = await start3ds(s, LINKS);
    const back = await passwordPage(form, true);
    // Another instance whose bank answers the confirmation with nothing readable and the status call not at all.
    const epay = createEpayClient({ ...s.config.epay, timeouts: { statusMs: 300, confirmMs: 300 } });
    const silent: EpayClient = {
      ...epay,
      confirm: async () => ({ kind: 'unknown', reason: 'UND_ERR_HEADERS_TIMEOUT' }),
      status: async () => ({ kind: 'no_answer', reason: 'status: HTTP 503' }),
    };
    const { app: other, logs } = secondApp(s, { epay: silent });
    try {
      const cb = await other.request(back.action, { method: 'POST', body: new URLSearchParams(back.fields) });
      expect([cb.status, new URL(cb.headers.get('location')!).searchParams.get('code')]).toEqual([
        303,
        'outcome_unknown',
      ]);
      expect(logs.at(-1)).toMatchObject({ outcome: 'outcome_unknown', code: 'outcome_unknown' });
    } finally {
      await closeProxyApp(other);
    }
  });
});

describe('junk posts racing the customer’s real result (found by review)', () => {
  it('four junk results posted just before the real one, on one instance: the real one is still confirmed', async () => {
    const { o, form } = await start3ds(s, LINKS);
    const back = await passwordPage(form, true);
    const junk = [1, 2, 3, 4].map((i) =>
      postForm(back.action, { PaRes: Buffer.from(`junk-${i}`).toString('base64'), MD: back.fields.MD! }),
    );
    const real = postForm(back.action, back.fields);
    const answers = await Promise.all([...junk, real]);
    const genuine = answers.at(-1)!;
    expect([genuine.status, new URL(genuine.headers.get('location')!).pathname]).toEqual([303, '/ok']);
    expect(s.bank.ledger.paid(invoiceOf(o))).toHaveLength(1);
  });

  it('a junk result holding the claim on instance A does not leave the real one on instance B unconfirmed', async () => {
    const { o, form } = await start3ds(s, LINKS);
    const back = await passwordPage(form, true);
    // Two instances on one shared store; A's bank answers its confirmation slowly, so the real post reaches B while
    // A still holds the claim for the junk one.
    const store = new MemoryStore();
    const epayA = createEpayClient({ ...s.config.epay, timeouts: TEST_EPAY_TIMEOUTS });
    const slowA: EpayClient = {
      ...epayA,
      confirm: async (...args) => {
        await new Promise((r) => setTimeout(r, 600));
        return epayA.confirm(...args);
      },
    };
    const a = secondApp(s, { store, epay: slowA });
    const b = secondApp(s, { store });
    try {
      const junk = a.app.request(back.action, {
        method: 'POST',
        body: new URLSearchParams({ PaRes: 'anVuaw==', MD: back.fields.MD! }),
      });
      await new Promise((r) => setTimeout(r, 150));
      const real = await b.app.request(back.action, { method: 'POST', body: new URLSearchParams(back.fields) });
      expect((await junk).status).toBe(400);
      expect([real.status, new URL(real.headers.get('location')!).pathname]).toEqual([303, '/ok']);
      expect(s.bank.ledger.paid(invoiceOf(o))).toHaveLength(1);
    } finally {
      await Promise.all([closeProxyApp(a.app), closeProxyApp(b.app)]);
    }
  });
});

describe('when the proxy, not the post, is at fault', () => {
  it('the bank refusing our access token on confirm gives the retry page, and the same result then pays', async () => {
    const { o, form } = await start3ds(s, LINKS);
    const back = await passwordPage(form, true);
    const epay = createEpayClient({ ...s.config.epay, timeouts: TEST_EPAY_TIMEOUTS });
    let refuseOnce = true;
    const flaky: EpayClient = {
      ...epay,
      confirm: async (...args) => {
        if (!refuseOnce) return epay.confirm(...args);
        refuseOnce = false;
        return { kind: 'token_refused', status: 401 };
      },
    };
    const other = secondApp(s, { epay: flaky });
    try {
      const first = await other.app.request(back.action, { method: 'POST', body: new URLSearchParams(back.fields) });
      expect(first.status).toBe(503);
      expect(await first.text()).toContain('Try again');
      const again = await other.app.request(back.action, { method: 'POST', body: new URLSearchParams(back.fields) });
      expect([again.status, new URL(again.headers.get('location')!).pathname]).toEqual([303, '/ok']);
      expect(s.bank.ledger.paid(invoiceOf(o))).toHaveLength(1);
    } finally {
      await closeProxyApp(other.app);
    }
  });

  it('a shared store that does not answer gives the retry page, not a JSON error, and nothing reaches the bank', async () => {
    const { form } = await start3ds(s, LINKS);
    const back = await passwordPage(form, true);
    const broken = new MemoryStore();
    broken.get = async () => {
      throw new StoreUnavailableError('The shared store (Redis) did not answer');
    };
    const other = secondApp(s, { store: broken });
    const mark = s.bank.calls.length;
    try {
      const cb = await other.app.request(back.action, { method: 'POST', body: new URLSearchParams(back.fields) });
      expect(cb.status).toBe(503);
      expect(cb.headers.get('content-type')).toMatch(/text\/html/);
      expect(s.bank.calls.slice(mark).filter((c) => c.path === '/payment/confirm')).toEqual([]);
    } finally {
      await closeProxyApp(other.app);
    }
  });
});

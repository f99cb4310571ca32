/**
 * @module Benchmark: the proxy's CPU per payment with the bank out of the way (a stub that answers at once). The
 * payment's own work as the route does it (body JSON, order check, Apple token verify and decrypt, cryptogram under an
 * RSA-4096 key, lock, replay guard, answer JSON) against issue 7's 1 ms, each step alone, and whole
 * `POST /applepay/payments` requests through the Hono app for context. Every payment has a fresh order and token.
 *
 * Run: `pnpm bench cpu` from the root, or `cd proxy && npx tsx bench/cpu-per-payment.ts [--json out.json]`.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { verify as honoVerify } from 'hono/jwt';
import { SANDBOX_EPAY } from '@epay-applepay/sandbox';
import { createProxyApp, closeProxyApp } from '../src/app.js';
import { createPaymentTokenDecryptor } from '../src/applepay/decrypt-token.js';
import { loadConfig } from '../src/config.js';
import { createEpayClient, type EpayClient } from '../src/epay/client.js';
import { encryptCryptogram } from '../src/epay/cryptogram.js';
import { buildCryptopayRequest } from '../src/epay/cryptopay-request.js';
import { sanitize } from '../src/log.js';
import { signOrder, verifyOrder } from '../src/order.js';
import type { PaymentDeps } from '../src/payment/deps.js';
import { PaymentAttempt } from '../src/payment/attempt.js';
import { takePayment } from '../src/payment/authorize.js';
import { parsePaymentRequest } from '../src/routes/payments.js';
import { createSealer } from '../src/seal.js';
import { MemoryStore } from '../src/store.js';
import { createAppleTokenReader } from '../src/applepay/apple-token-reader.js';
import { ORDER_SECRET, payment, sandboxProxyEnv, sharedApple, SHOP_ORIGIN } from '../test/harness.js';
import { isMain, median, report, timeOps, type BenchRow, type Timing } from './measure.js';

/** Target of issue 7: the whole payment's CPU under 1 ms on the 2-core machine. */
export const CPU_PER_PAYMENT_TARGET_US = 1_000;
/** Payments per round and rounds (the median round is reported). */
const ITERATIONS = Number(process.env.BENCH_CPU_ITERATIONS ?? 300);
const ROUNDS = Number(process.env.BENCH_CPU_ROUNDS ?? 5);
/** The production bank key is RSA-4096 (docs/epay-api.md, "The public key"): the cryptogram is encrypted under a key of that size. */
const BANK_KEY_BITS = 4096;
const AMOUNT = 1500;

/** A bank that answers every call at once, so that only the proxy's own work is timed. */
function instantBank(publicKey: KeyObject): EpayClient {
  const real = createEpayClient({
    ...SANDBOX_EPAY,
    oauthUrl: 'http://127.0.0.1:9/oauth2/token',
    apiUrl: 'http://127.0.0.1:9',
  });
  let seq = 0;
  return {
    ...real,
    getPaymentToken: async () => ({ ok: true, token: 'bench-token' }),
    prefetchPaymentToken: () => {},
    getPublicKey: async () => publicKey,
    cryptopay: async (body) => {
      // The real client serialises the body before it sends it; that cost belongs to the payment.
      JSON.stringify(body);
      seq += 1;
      return { kind: 'paid', id: `bench-${seq}`, reference: String(100000000000 + seq) };
    },
  };
}

export async function benchCpuPerPayment(): Promise<BenchRow[]> {
  const { apple, files } = await sharedApple();
  const env: Record<string, string> = {
    ...sandboxProxyEnv(files, { publicUrl: 'https://pay.shop.example', merchantId: apple.merchantId }),
    APPLE_DISPLAY_NAME: 'Bench Shop',
  };

  const config = loadConfig(env);
  const bankKey = generateKeyPairSync('rsa', { modulusLength: BANK_KEY_BITS }).publicKey;
  let lastLine = '';
  const app = createProxyApp(config, {
    epay: instantBank(bankKey),
    merchantSessions: { requestSession: async () => ({}) },
    // The production logger's work (sanitise, serialise) without the write to stdout.
    logger: (r) => {
      lastLine = JSON.stringify({ t: new Date().toISOString(), ...sanitize(r) });
    },
  });

  // Every payment needs its own order (the invoice lock) and token (the replay guard): mint them all up front.
  const perRound = ITERATIONS * (ROUNDS + 1);
  const total = 2 * perRound;
  const exp = Math.floor(Date.now() / 1000) + 3600;
  const bodies: string[] = [];
  for (let i = 0; i < total; i++) {
    const order = await signOrder({ invoiceId: String(100_000_000 + i), amount: AMOUNT, exp }, ORDER_SECRET);
    bodies.push(JSON.stringify({ order, payment: payment(apple, { amount: AMOUNT }) }));
  }
  const bodyOf = (i: number, round: number) => bodies[(round + 1) * ITERATIONS + i]!;
  const pipelineBodyOf = (i: number, round: number) => bodies[perRound + (round + 1) * ITERATIONS + i]!;
  const deps: PaymentDeps = {
    config,
    epay: instantBank(bankKey),
    store: new MemoryStore(),
    sealer: createSealer(config.orderSigningSecret, '3ds-context'),
    appleTokens: createAppleTokenReader(config),
  };

  // The steps alone work on inputs made once (the decryptor itself keeps no replay state).
  const parsed = bodies.map((b) => JSON.parse(b) as { order: string; payment: ReturnType<typeof payment> });
  const decryptor = createPaymentTokenDecryptor({
    pairs: config.apple.processing,
    maxAgeMs: config.apple.tokenMaxAgeS * 1000,
    ...(config.apple.rootCaPem ? { rootCaPem: config.apple.rootCaPem } : {}),
  });
  const first = parsed.slice(0, ITERATIONS);
  const orders = await Promise.all(first.map((p) => verifyOrder(p.order, ORDER_SECRET)));
  const decrypted = await Promise.all(first.map((p) => decryptor.decrypt(p.payment.token.paymentData)));
  const requests = first.map((p, i) =>
    buildCryptopayRequest({
      order: orders[i]!,
      payment: p.payment as never,
      mode: 'decrypt',
      terminalId: config.epay.terminalId,
      decrypted: decrypted[i]!,
    }),
  );

  // One round of each measure in turn, so that a busy moment of the machine falls on all of them alike.
  const ops = {
    whole: async (i: number, round: number) => {
      const res = await app.request('/applepay/payments', {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: SHOP_ORIGIN },
        body: bodyOf(i, round),
      });
      const answer = (await res.json()) as { status?: string };
      if (res.status !== 200 || answer.status !== 'paid')
        throw new Error(`bench payment failed: HTTP ${res.status} ${JSON.stringify(answer)}`);
    },
    // What the route does around the app's plumbing: body JSON in, order check, takePayment, answer JSON out.
    pipeline: async (i: number, round: number) => {
      const { order, payment: p } = parsePaymentRequest(JSON.parse(pipelineBodyOf(i, round)));
      const answer = await takePayment(deps, new PaymentAttempt(await verifyOrder(order, ORDER_SECRET), p));
      if (answer.status !== 'paid') throw new Error(`bench payment failed: ${answer.status}`);
      JSON.stringify(answer);
    },
    orderCheck: (i: number) => verifyOrder(first[i]!.order, ORDER_SECRET),
    honoHs256: (i: number) =>
      honoVerify(first[i]!.order, ORDER_SECRET, { alg: 'HS256', exp: false, nbf: false, iat: false }),
    // A token not decrypted before in this process, like every token the proxy sees.
    token: (i: number, round: number) =>
      decryptor.decrypt(parsed[(round + 1) * ITERATIONS + i]!.payment.token.paymentData),
    cryptogram: (i: number) => encryptCryptogram(requests[i]!.card, bankKey),
    json: (i: number) => {
      JSON.parse(bodies[i]!);
      JSON.stringify({ ...requests[i]!.body, cryptogram: 'x'.repeat(684) });
      JSON.stringify({
        status: 'paid',
        payment: { id: 'x', invoiceId: orders[i]!.invoiceId, amount: AMOUNT, currency: 'KZT', reference: '1' },
      });
    },
  };
  const series = Object.fromEntries(Object.keys(ops).map((k) => [k, [] as Timing[]])) as Record<
    keyof typeof ops,
    Timing[]
  >;
  for (let round = -1; round < ROUNDS; round++) {
    for (const [name, op] of Object.entries(ops) as [keyof typeof ops, (i: number, r: number) => unknown][]) {
      const t = await timeOps((i) => op(i, round), { iterations: ITERATIONS, rounds: 1, warmup: 0 });
      if (round >= 0) series[name].push(t); // round -1 warms up
    }
  }
  if (!lastLine.includes('"outcome":"paid"')) throw new Error('the log line of a payment is missing');
  await closeProxyApp(app);
  const cpu = (name: keyof typeof ops) => median(series[name].map((t) => t.cpuUs));
  const whole: Spread = {
    cpuUs: cpu('whole'),
    cpuMinUs: Math.min(...series.whole.map((t) => t.cpuUs)),
    cpuMaxUs: Math.max(...series.whole.map((t) => t.cpuUs)),
  };
  const [pipeline, orderCheck, honoHs256, token, cryptogram, json] = (
    ['pipeline', 'orderCheck', 'honoHs256', 'token', 'cryptogram', 'json'] as const
  ).map((n) => ({
    cpuUs: cpu(n),
    cpuMinUs: Math.min(...series[n].map((t) => t.cpuUs)),
    cpuMaxUs: Math.max(...series[n].map((t) => t.cpuUs)),
  })) as [Spread, Spread, Spread, Spread, Spread, Spread];

  const steps = orderCheck.cpuUs + token.cpuUs + cryptogram.cpuUs + json.cpuUs;
  const range = (t: Spread) => `rounds ${t.cpuMinUs.toFixed(0)}–${t.cpuMaxUs.toFixed(0)} µs`;
  return [
    {
      figure: 'CPU per payment: order check, token verify+decrypt, cryptogram, JSON (bank stubbed)',
      value: pipeline.cpuUs,
      unit: 'µs',
      target: `< ${CPU_PER_PAYMENT_TARGET_US} µs`,
      pass: pipeline.cpuUs < CPU_PER_PAYMENT_TARGET_US,
      note: `${range(pipeline)}; the route's work: parse, verifyOrder, takePayment (lock, replay guard, ePay body), answer`,
    },
    { figure: '  order check (HS256, node:crypto HMAC)', value: orderCheck.cpuUs, unit: 'µs' },
    { figure: '  Apple token verify + decrypt (EC_v1)', value: token.cpuUs, unit: 'µs' },
    { figure: '  cryptogram encrypt (RSA-4096 PKCS#1 v1.5)', value: cryptogram.cpuUs, unit: 'µs' },
    { figure: '  JSON (request in, cryptopay body, answer)', value: json.cpuUs, unit: 'µs' },
    { figure: '  lock, replay guard, ePay body, promises', value: Math.max(0, pipeline.cpuUs - steps), unit: 'µs' },
    {
      figure: '  for comparison: hono/jwt HS256 verify (WebCrypto)',
      value: honoHs256.cpuUs,
      unit: 'µs',
      note: `${(honoHs256.cpuUs / orderCheck.cpuUs).toFixed(1)}× the order check in use`,
    },
    {
      figure: 'CPU per payment: whole request through the Hono app (app.request)',
      value: whole.cpuUs,
      unit: 'µs',
      note: `${range(whole)}; adds Request/Response objects, CORS, body limit, the log line, and the GC all of it causes`,
    },
  ];
}

interface Spread {
  cpuUs: number;
  cpuMinUs: number;
  cpuMaxUs: number;
}

if (isMain(import.meta.url)) {
  report('CPU per payment (proxy, bank out of the way)', await benchCpuPerPayment());
}

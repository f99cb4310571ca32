/**
 * @module Benchmark: what checking the order and the request bodies with valibot costs a payment. `verifyOrder` per
 * call for a plain order and for an express order (10 line items, 3 shipping methods, Cyrillic labels), the claims
 * check alone beside the hand-written one it replaced, and the payment request body's parse and shape check; each
 * figure with its share of the route's CPU per payment, measured in the same run (bench/cpu-per-payment.ts). Figures
 * only: nothing here asserts a timing.
 *
 * Run: `node scripts/bench.mjs order` from the root, or `cd proxy && npx tsx bench/order-check.ts [--json out.json]`.
 */
import { type LineItem, type ShippingMethod, signOrder, verifyOrder } from '../src/order.js';
import { readOrderClaims } from '../src/order-claims.js';
import { currencyOf, decimalPlaces } from '../src/money.js';
import { cleanPaymentData } from '../src/applepay/payment-shape.js';
import { MAX_JSON_DEPTH, nestsDeeperThan } from '../src/routes/body.js';
import { parsePaymentRequest } from '../src/routes/payments.js';
import { parseSessionRequest } from '../src/routes/session.js';
import { ORDER_SECRET, payment, sharedApple } from '../test/harness.js';
import { benchCpuPerPayment } from './cpu-per-payment.js';
import { isMain, median, report, timeOps, type BenchRow, type Timing } from './measure.js';

/** Calls per round and rounds (the median round is reported); every call has a token of its own. */
const ITERATIONS = Number(process.env.BENCH_ORDER_ITERATIONS ?? 2000);
const ROUNDS = Number(process.env.BENCH_ORDER_ROUNDS ?? 7);
/** The route figure the others are set against: bench/cpu-per-payment.ts's first row. */
const ROUTE_FIGURE = 'CPU per payment: order check';

const GOODS = ['Шай «Алматы», көк, 100 г', 'Кофе молотый, 250 г', 'Мёд горный, 500 г', 'Печенье овсяное, 300 г'];
const LINE_ITEMS: LineItem[] = [
  ...Array.from({ length: 8 }, (_, i) => ({ label: GOODS[i % GOODS.length]!, amount: 1000 + i * 250.5 })),
  { label: 'Жеткізу: курьер, Алматы', amount: 1500 },
  { label: 'Скидка по купону ВЕСНА10', amount: -1200 },
];
const SHIPPING_METHODS: ShippingMethod[] = [
  { identifier: 'courier', label: 'Доставка курьером', detail: 'Завтра с 10:00 до 14:00', amount: 1500 },
  { identifier: 'express', label: 'Экспресс-доставка', detail: 'Сегодня, в течение 3 часов', amount: 3000 },
  { identifier: 'pickup', label: 'Самовывоз из магазина на Абая, 10', detail: 'Через 2 часа', amount: 0 },
];

/**
 * The claims check as it was before valibot (proxy/src/order.ts up to issue 17), kept here only to be timed beside
 * the schema on the same plain orders. It knew no line items or shipping methods.
 */
function handWrittenOrderProblem(p: Record<string, unknown>): string | undefined {
  if (typeof p.invoiceId !== 'string' || !/^\d{6,15}$/.test(p.invoiceId)) return 'invoiceId must be 6 to 15 digits';
  const code = p.currency === undefined ? 'KZT' : p.currency;
  const currency = typeof code === 'string' ? currencyOf(code) : undefined;
  if (!currency) return 'currency';
  const amount = p.amount;
  if (typeof amount !== 'number' || !Number.isFinite(amount) || amount <= 0) return 'amount must be a number above 0';
  if (decimalPlaces(amount) > currency.exponent) return 'amount decimals';
  if (amount > 1e12) return 'amount is too large';
  if (typeof p.exp !== 'number' || !Number.isFinite(p.exp)) return 'exp is required';
  for (const k of ['description', 'invoiceIdAlt', 'accountId']) {
    const v = p[k];
    if (v !== undefined && (typeof v !== 'string' || v.length > 1024)) return `${k} must be a string`;
  }
  for (const k of ['backLink', 'failureBackLink', 'postLink', 'failurePostLink']) {
    const v = p[k];
    if (v === undefined) continue;
    if (typeof v !== 'string' || v.length > 2048) return `${k} must be an absolute https URL`;
    let u: URL;
    try {
      u = new URL(v);
    } catch {
      return `${k} must be an absolute https URL`;
    }
    if (u.protocol !== 'https:' || u.username || u.password) return `${k} must be an absolute https URL`;
  }
  return undefined;
}

const payloadOf = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;

export async function benchOrderCheck(): Promise<BenchRow[]> {
  const { apple } = await sharedApple();
  const exp = Math.floor(Date.now() / 1000) + 3600;
  const plain: string[] = [];
  const express: string[] = [];
  for (let i = 0; i < ITERATIONS; i++) {
    const base = {
      invoiceId: String(100_000_000 + i),
      amount: 12345.67,
      exp,
      description: 'Заказ в интернет-магазине',
      backLink: 'https://shop.kz/checkout/thanks',
    };
    plain.push(await signOrder(base, ORDER_SECRET));
    express.push(
      await signOrder(
        {
          ...base,
          lineItems: LINE_ITEMS,
          shippingType: 'delivery',
          shippingMethods: SHIPPING_METHODS,
          shippingMethod: 'courier',
        },
        ORDER_SECRET,
      ),
    );
  }
  const plainPayloads = plain.map(payloadOf);
  const expressPayloads = express.map(payloadOf);
  // The body the element posts: the express order and an Apple Pay payment with both contacts.
  const bodies = express.map((order, i) =>
    JSON.stringify({ order, payment: payment(apple, { amount: 12345.67 + (i % 2) }) }),
  );
  const parsedBodies = bodies.map((b) => JSON.parse(b) as unknown);
  const sessionBodies = express.map((order) => ({
    validationURL: 'https://apple-pay-gateway.apple.com/paymentservices/paymentSession',
    order,
  }));

  const ops = {
    verifyPlain: (i: number) => verifyOrder(plain[i]!, ORDER_SECRET),
    verifyExpress: (i: number) => verifyOrder(express[i]!, ORDER_SECRET),
    claimsPlain: (i: number) => readOrderClaims(plainPayloads[i]!),
    claimsExpress: (i: number) => readOrderClaims(expressPayloads[i]!),
    handWrittenPlain: (i: number) => handWrittenOrderProblem(plainPayloads[i]!),
    bodyShape: (i: number) => parsePaymentRequest(parsedBodies[i]!),
    // What the route does with the text: JSON, the depth guard, the shape, then paymentData (the token's own rules).
    bodyWhole: (i: number) => {
      const body = JSON.parse(bodies[i]!) as unknown;
      if (nestsDeeperThan(body, MAX_JSON_DEPTH)) throw new Error('too deep');
      cleanPaymentData(parsePaymentRequest(body).payment.token.paymentData);
    },
    sessionShape: (i: number) => parseSessionRequest(sessionBodies[i]!),
  };
  for (const op of Object.values(ops)) {
    const r = await op(0);
    if (r && typeof r === 'object' && 'ok' in r && !r.ok) throw new Error('bench input refused');
  }
  const series = Object.fromEntries(Object.keys(ops).map((k) => [k, [] as Timing[]])) as Record<
    keyof typeof ops,
    Timing[]
  >;
  // One round of each measure in turn, so that a busy moment of the machine falls on all of them alike.
  for (let round = -1; round < ROUNDS; round++) {
    for (const [name, op] of Object.entries(ops) as [keyof typeof ops, (i: number) => unknown][]) {
      const t = await timeOps(op, { iterations: ITERATIONS, rounds: 1, warmup: 0 });
      if (round >= 0) series[name].push(t);
    }
  }
  const cpu = (name: keyof typeof ops) => median(series[name].map((t) => t.cpuUs));
  const spread = (name: keyof typeof ops) =>
    `rounds ${Math.min(...series[name].map((t) => t.cpuUs)).toFixed(2)}–${Math.max(...series[name].map((t) => t.cpuUs)).toFixed(2)} µs`;

  // The denominator: the route's CPU per payment, measured now, on this machine, by the committed benchmark.
  const routeRows = await benchCpuPerPayment();
  const route = routeRows.find((r) => r.figure.startsWith(ROUTE_FIGURE))!.value;
  const share = (us: number) => `${((us / route) * 100).toFixed(2)} % of the route's ${route.toFixed(0)} µs`;
  const tokenChars = (list: string[]) => list[0]!.length;

  const rows: BenchRow[] = [
    {
      figure: 'verifyOrder, plain order (HS256 + claims)',
      value: cpu('verifyPlain'),
      unit: 'µs',
      note: `${share(cpu('verifyPlain'))}; ${spread('verifyPlain')}; token ${tokenChars(plain)} characters`,
    },
    {
      figure: 'verifyOrder, express order (10 line items, 3 methods, Cyrillic)',
      value: cpu('verifyExpress'),
      unit: 'µs',
      note: `${share(cpu('verifyExpress'))}; ${spread('verifyExpress')}; token ${tokenChars(express)} characters; ${(cpu('verifyExpress') / cpu('verifyPlain')).toFixed(2)}× the plain order`,
    },
    {
      figure: '  claims check alone (valibot), plain order',
      value: cpu('claimsPlain'),
      unit: 'µs',
      note: share(cpu('claimsPlain')),
    },
    {
      figure: '  claims check alone (valibot), express order',
      value: cpu('claimsExpress'),
      unit: 'µs',
      note: share(cpu('claimsExpress')),
    },
    {
      figure: '  for comparison: the hand-written check it replaced, plain order',
      value: cpu('handWrittenPlain'),
      unit: 'µs',
      note: `valibot costs ${(cpu('claimsPlain') - cpu('handWrittenPlain')).toFixed(2)} µs more a payment (${(cpu('claimsPlain') / cpu('handWrittenPlain')).toFixed(1)}×), ${share(Math.max(0, cpu('claimsPlain') - cpu('handWrittenPlain')))}`,
    },
    {
      figure: 'payment body shape check (parsePaymentRequest: order + ApplePayPayment, contacts)',
      value: cpu('bodyShape'),
      unit: 'µs',
      note: `${share(cpu('bodyShape'))}; ${spread('bodyShape')}`,
    },
    {
      figure: 'payment body as the route reads it (JSON.parse, depth, shape, paymentData)',
      value: cpu('bodyWhole'),
      unit: 'µs',
      note: `${share(cpu('bodyWhole'))}; body ${bodies[0]!.length} bytes`,
    },
    {
      figure: 'session body shape check (parseSessionRequest)',
      value: cpu('sessionShape'),
      unit: 'µs',
      note: share(cpu('sessionShape')),
    },
    {
      figure: 'the route: CPU per payment, bank stubbed (bench/cpu-per-payment.ts, this run)',
      value: route,
      unit: 'µs',
    },
  ];
  return rows;
}

if (isMain(import.meta.url)) {
  report('Order and request-body checks (valibot) against the CPU per payment', await benchOrderCheck());
}

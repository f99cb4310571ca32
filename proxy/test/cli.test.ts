/**
 * `epay-applepay-proxy`'s commands (docs/deployment.md): `check-config`, and the operations for a person at a terminal,
 * against the sandbox bank, with the contract's exit codes (0 done, 1 refused, 2 usage, 3 outcome unknown, 78 bad
 * settings). Unhappy cases first. The in-process runs call `main` as the `bin` does; the last ones run the built
 * `dist/cli.js` with plain node, as a merchant's terminal does.
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT, main } from '../src/cli.js';
import { type Stack, startStack, paidInvoice as harnessPaidInvoice } from './harness.js';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
let s: Stack;

beforeAll(async () => {
  s = await startStack();
});
afterAll(() => s?.close());

/** Runs the command in this process, with the stack's settings unless others are given. */
async function cli(args: string[], env: Record<string, string | undefined> = s.env) {
  let out = '';
  let err = '';
  const code = await main(args, { env, out: (t) => (out += t), err: (t) => (err += t) });
  let json: any;
  try {
    json = JSON.parse(out);
  } catch {
    json = undefined;
  }
  return { code, out, err, json };
}

const paidInvoice = (amount?: number) => harnessPaidInvoice(s, amount);

const bankOps = (invoiceId: string) =>
  s.bank.calls.filter((c) => c.path.startsWith('/operation/') && c.invoiceId === invoiceId);
const statusOf = (invoiceId: string) =>
  (s.bank.ledger.byInvoice(invoiceId)[0] as unknown as { statusName: string }).statusName;

describe('usage: exit 2, nothing sent to the bank', () => {
  it.each([
    [['charge'], 'takes one invoice id'],
    [['charge', '123', '456'], 'takes one invoice id'],
    [['refund', '12ab'], '6 to 15 digits'],
    [['charge', '100000000001', '--amount', '0'], '--amount'],
    [['charge', '100000000001', '--amount', '1.001'], '--amount'],
    [['charge', '100000000001', '--amount', '-5'], '--amount'],
    [['refund', '100000000001', '--amount', '1e3'], '--amount'],
    [['cancel', '100000000001', '--amount', '100'], 'takes no --amount'],
    [['payment', '100000000001', '--idempotency-key', 'k'], 'takes no --idempotency-key'],
    [['charge', '100000000001', '--idempotency-key', 'a key'], 'printable'],
    [['capture', '100000000001'], 'Unknown command'],
    [['check-config', 'extra'], 'takes no arguments'],
    [['charge', '100000000001', '--force'], 'Unknown option'],
  ])('%j → %s', async (args, message) => {
    const calls = s.bank.calls.length;
    const r = await cli(args);
    expect(r.code).toBe(EXIT.usage);
    expect(r.err).toContain(message);
    expect(r.err).toContain('Usage: epay-applepay-proxy');
    expect(r.out).toBe('');
    expect(s.bank.calls.length).toBe(calls);
  });

  it('--help and --version answer 0', async () => {
    expect((await cli(['--help'])).out).toContain('check-config');
    expect((await cli(['--version'])).out).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('bad settings: exit 78, every problem named, no secret echoed', () => {
  it('check-config and an operation name every missing or wrong setting', async () => {
    const env: Record<string, string | undefined> = {
      ...s.env,
      PUBLIC_URL: 'ftp://x',
      EPAY_CLIENT_ID: undefined,
      EPAY_CLIENT_SECRET: 'top-secret-value',
    };
    delete env.ORDER_SIGNING_SECRET;
    for (const args of [['check-config'], ['payment', '100000000001']]) {
      const r = await cli(args, env);
      expect(r.code).toBe(EXIT.config);
      for (const name of ['PUBLIC_URL', 'EPAY_CLIENT_ID', 'ORDER_SIGNING_SECRET']) expect(r.err).toContain(name);
      expect(r.err + r.out).not.toContain('top-secret-value');
    }
  });

  it('an unreadable key file is named, with the reason, never its contents', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-keys-'));
    const key = join(dir, 'identity.key');
    writeFileSync(key, '-----BEGIN PRIVATE KEY-----\nMIIsecretkeymaterial\n-----END PRIVATE KEY-----\n');
    chmodSync(key, 0o000);
    const missing = join(dir, 'no-such.pem');
    const r = await cli(['check-config'], { ...s.env, APPLE_IDENTITY_KEY: key, APPLE_ROOT_CA: missing });
    expect(r.code).toBe(EXIT.config);
    expect(r.err).toContain(`APPLE_ROOT_CA: cannot read ${missing} (ENOENT)`);
    expect(r.err).not.toContain('secretkeymaterial');
    // Root reads a file of mode 000 anyway (CI runs as root); then the key is not the certificate's: named either way.
    expect(r.err).toContain(
      process.getuid?.() === 0
        ? 'APPLE_IDENTITY_CERT and APPLE_IDENTITY_KEY: not a certificate and its own private key'
        : `APPLE_IDENTITY_KEY: cannot read ${key} (EACCES)`,
    );
  });

  it('good settings: check-config answers 0 and says what runs', async () => {
    const r = await cli(['check-config']);
    expect(r.code).toBe(EXIT.done);
    expect(r.out).toContain('The settings are valid: ePay decrypt mode, store memory');
    expect(r.out + r.err).not.toContain(s.env.EPAY_CLIENT_SECRET!);
  });
});

describe('operations: the money rules of the operations API', () => {
  it('payment shows the state; charge → 0; cancel after it → 1 invalid_state; refunds → 0', async () => {
    const invoiceId = await paidInvoice();
    const seen = await cli(['payment', invoiceId]);
    expect([seen.code, seen.json.payment.state]).toEqual([EXIT.done, 'authorized']);

    const charged = await cli(['charge', invoiceId, '--amount', '1499.90']);
    expect([charged.code, charged.json.status, charged.json.payment.state]).toEqual([EXIT.done, 'ok', 'charged']);

    const cancel = await cli(['cancel', invoiceId]);
    expect([cancel.code, cancel.json.error.code, cancel.json.error.state]).toEqual([
      EXIT.refused,
      'invalid_state',
      'charged',
    ]);

    // A leading zero is still the number 100 (the body is JSON, not the argument pasted in).
    const part = await cli(['refund', invoiceId, '--amount', '0100']);
    expect([part.code, part.json.refund.amount]).toEqual([EXIT.done, 100]);
    const tooMuch = await cli(['refund', invoiceId, '--amount', '1500.01']);
    expect([tooMuch.code, tooMuch.json.error.code]).toEqual([EXIT.refused, 'invalid_amount']);
    // Without REDIS_URL each run keeps its own books: the earlier refund is not known here, and the bank refuses.
    const overBooks = await cli(['refund', invoiceId, '--amount', '1400']);
    expect([overBooks.code, overBooks.json.error.code]).toEqual([EXIT.refused, 'operation_refused']);
    const rest = await cli(['refund', invoiceId]);
    expect([rest.code, rest.json.payment.state]).toEqual([EXIT.done, 'refunded']);
    expect(bankOps(invoiceId).map((c) => c.path.split('/').at(-1))).toEqual(['charge', 'refund', 'refund', 'refund']);
  });

  it('an invoice the bank does not know → 1 payment_not_found', async () => {
    const r = await cli(['payment', '000000000777']);
    expect([r.code, r.json.error.code]).toEqual([EXIT.refused, 'payment_not_found']);
  });

  it('the bank drops the connection before answering → 3 outcome_unknown, the key to settle it printed, never re-sent', async () => {
    const invoiceId = await paidInvoice();
    s.bank.failNextOperation('dropped_before');
    const r = await cli(['cancel', invoiceId, '--idempotency-key', 'desk-cancel-1']);
    expect([r.code, r.json.error.code]).toEqual([EXIT.outcomeUnknown, 'outcome_unknown']);
    expect(r.err).toContain('--idempotency-key desk-cancel-1');
    expect(bankOps(invoiceId)).toHaveLength(1);
    // The sandbox dropped it before doing it: the payment is still authorized, and the same key settles it.
    expect(statusOf(invoiceId)).toBe('AUTH');
    const settled = await cli(['cancel', invoiceId, '--idempotency-key', 'desk-cancel-1']);
    expect([settled.code, settled.json.payment.state]).toEqual([EXIT.done, 'cancelled']);
    expect(bankOps(invoiceId)).toHaveLength(2);
  });

  it('the bank answers 5xx → 1 bank_unavailable, nothing done', async () => {
    const invoiceId = await paidInvoice();
    s.bank.failNextOperation('5xx');
    const r = await cli(['charge', invoiceId]);
    expect([r.code, r.json.error.code]).toEqual([EXIT.refused, 'bank_unavailable']);
    expect(statusOf(invoiceId)).toBe('AUTH');
  });
});

describe('the built command, with plain node', () => {
  const run = (args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [CLI, ...args],
        { env: { PATH: process.env.PATH ?? '', ...s.env }, timeout: 30_000 },
        (err, stdout, stderr) => resolve({ code: err ? ((err.code as number) ?? -1) : 0, stdout, stderr }),
      );
    });

  it('check-config → 0; a payment and a charge from the terminal, JSON on stdout', async () => {
    expect((await run(['check-config'])).code).toBe(0);
    const invoiceId = await paidInvoice();
    const seen = await run(['payment', invoiceId]);
    expect([seen.code, JSON.parse(seen.stdout).payment.state]).toEqual([0, 'authorized']);
    const charged = await run(['charge', invoiceId]);
    expect([charged.code, JSON.parse(charged.stdout).payment.state]).toEqual([0, 'charged']);
    expect(charged.stdout + charged.stderr).not.toContain(s.env.EPAY_CLIENT_SECRET!);
    expect((await run(['refund', invoiceId, '--amount', '0.001'])).code).toBe(2);
  });
});

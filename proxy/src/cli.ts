#!/usr/bin/env node
/**
 * @module `epay-applepay-proxy`: the proxy's command (docs/deployment.md). `start` (the default) runs the server;
 * `check-config` validates the settings; `payment`, `charge`, `cancel` and `refund` run the operations API's calls for
 * a person at a terminal, in this process, with the same settings, checks and money rules (docs/operations-api.md).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { closeProxyApp, createProxyApp, eventsOf } from './app.js';
import { ConfigError, loadConfig, type ProxyConfig } from './config.js';
import { createLogger, type Logger, sanitize } from './log.js';
import { KEY_PATTERN } from './operations/idempotency.js';
import { INVOICE_ID } from './routes/operations.js';
import { RedisStore } from './redis-store.js';
import { startProxy } from './server.js';

/** The command's exit codes (docs/deployment.md). */
export const EXIT = {
  done: 0,
  /** The bank or the proxy refused: invalid state, refused, not found, bank or store unavailable; nothing was done. */
  refused: 1,
  usage: 2,
  /** The bank did not confirm in time: check the payment before anything else. */
  outcomeUnknown: 3,
  /** EX_CONFIG: the settings are missing or wrong. */
  config: 78,
} as const;

const USAGE = `Usage: epay-applepay-proxy [command] [options]

Commands:
  start                                   run the server (the default)
  check-config                            validate the settings and exit
  payment <invoiceId>                     the payment's state at the bank
  charge <invoiceId> [--amount N]         capture an authorized payment (all, or N)
  cancel <invoiceId>                      void an authorized payment
  refund <invoiceId> [--amount N]         refund a captured payment (all that is left, or N)

Options of charge, cancel and refund:
  --amount N               major units, at most two decimals
  --idempotency-key K      run a call at most once: give the key an earlier run printed to settle it (default: new)

The settings come from the environment (docs/settings.md). Operations print JSON on stdout and exit
0 done, 1 refused or not possible now, 2 usage, 3 outcome unknown, 78 bad settings.`;

export interface CliIo {
  env: Record<string, string | undefined>;
  out: (text: string) => void;
  err: (text: string) => void;
}

const processIo: CliIo = {
  env: process.env,
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
};

/** Reads the settings; on a problem prints every one of them and answers the exit code. */
function settings(io: CliIo, what: string): ProxyConfig | number {
  try {
    return loadConfig(io.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      io.err(`${err.message}\n${what} See docs/settings.md.\n`);
      return EXIT.config;
    }
    throw err;
  }
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** Warnings and errors of the operations' own request line, on stderr: stdout carries the JSON answer alone. */
function stderrLogger(io: CliIo): Logger {
  return (record) => {
    if (record.level === 'warn' || record.level === 'error') io.err(`${JSON.stringify(sanitize(record))}\n`);
  };
}

const OPERATIONS = ['payment', 'charge', 'cancel', 'refund'] as const;
type OperationCommand = (typeof OPERATIONS)[number];
const AMOUNT = /^\d{1,12}(?:\.\d{1,2})?$/;
/** How long an operation's event may take to leave this process when the queues are in memory. */
const EVENT_FLUSH_MS = 15_000;

function exitCodeOf(status: number, body: { status?: string; error?: { code?: string } }): number {
  if (body.status === 'ok') return EXIT.done;
  const code = body.error?.code;
  if (code === 'outcome_unknown') return EXIT.outcomeUnknown;
  // The command checked the invoice's and the key's form already; these are left for what it cannot know.
  if (code === 'invalid_request' || code === 'idempotency_key_required') return EXIT.usage;
  return status >= 400 ? EXIT.refused : EXIT.done;
}

/**
 * One operation through the operations API's own routes, in this process: the same checks, idempotency, lock and
 * status rules as `POST /operations/...`, under a bearer key made for this run alone.
 */
async function runOperation(
  command: OperationCommand,
  invoiceId: string,
  options: { amount?: string; idempotencyKey?: string },
  config: ProxyConfig,
  io: CliIo,
): Promise<number> {
  const key = randomBytes(32).toString('base64url');
  const store = config.redisUrl === undefined ? undefined : new RedisStore({ url: config.redisUrl });
  const app = createProxyApp(
    { ...config, operationsApiKeys: [key] },
    { logger: stderrLogger(io), ...(store ? { store } : {}) },
  );
  try {
    const idempotencyKey = options.idempotencyKey ?? randomUUID();
    const res = await app.request(
      `/operations/payments/${invoiceId}${command === 'payment' ? '' : `/${command}`}`,
      command === 'payment'
        ? { headers: { authorization: `Bearer ${key}` } }
        : {
            method: 'POST',
            headers: {
              authorization: `Bearer ${key}`,
              'idempotency-key': idempotencyKey,
              'content-type': 'application/json',
            },
            body: options.amount === undefined ? '' : JSON.stringify({ amount: Number(options.amount) }),
          },
    );
    const body = (await res.json()) as { status?: string; error?: { code?: string } };
    io.out(`${JSON.stringify(body, null, 2)}\n`);
    const code = exitCodeOf(res.status, body);
    if (code === EXIT.outcomeUnknown && command !== 'payment') {
      io.err(
        `The bank did not confirm the ${command}. Check the payment (epay-applepay-proxy payment ${invoiceId}); to ` +
          `settle this call, run it again with --idempotency-key ${idempotencyKey}\n`,
      );
    }
    await flushEvents(app, config, io);
    return code;
  } finally {
    await closeProxyApp(app);
  }
}

/** In memory the operation's event lives in this process: it is given time to go out before the process ends. */
async function flushEvents(app: object, config: ProxyConfig, io: CliIo): Promise<void> {
  const events = eventsOf(app);
  if (!events || config.redisUrl !== undefined) return; // in Redis, any running instance delivers it
  const until = Date.now() + EVENT_FLUSH_MS;
  for (;;) {
    const { deliveries, checks } = await events.pending();
    if (deliveries + checks === 0) return;
    if (Date.now() > until) {
      io.err(
        'The webhook event of this operation was not delivered yet and is lost when this command ends (the queue is ' +
          'in memory without REDIS_URL); the payment shows the operation. See docs/webhooks.md.\n',
      );
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function runStart(io: CliIo): Promise<number | undefined> {
  const config = settings(io, 'The proxy did not start.');
  if (typeof config === 'number') return config;
  const log = createLogger({ level: config.logLevel });
  const running = await startProxy(config, { logger: log, ...(io.env.HOST ? { hostname: io.env.HOST } : {}) });
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      log({ level: 'error', msg: `second ${signal}: exiting without waiting` });
      process.exit(1);
    }
    void running.stop().then(
      () => process.exit(EXIT.done),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return undefined;
}

/**
 * Runs the command line given (without `node` and the script). Resolves the exit code, or `undefined` once a server
 * is running (it exits on its own when stopped).
 */
export async function main(argv: string[], io: CliIo = processIo): Promise<number | undefined> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (err) {
    io.err(`${err instanceof Error ? err.message : String(err)}\n\n${USAGE}\n`);
    return EXIT.usage;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.out(`${USAGE}\n`);
    return EXIT.done;
  }
  if (values.version) {
    io.out(`${version()}\n`);
    return EXIT.done;
  }
  const [command = 'start', ...rest] = positionals;
  const usage = (message: string) => {
    io.err(`${message}\n\n${USAGE}\n`);
    return EXIT.usage;
  };
  const amountOk = command === 'charge' || command === 'refund';
  const keyOk = command === 'charge' || command === 'cancel' || command === 'refund';
  if (values.amount !== undefined && !amountOk) return usage(`${command} takes no --amount`);
  if (values['idempotency-key'] !== undefined && !keyOk) return usage(`${command} takes no --idempotency-key`);

  if (command === 'start' || command === 'check-config') {
    if (rest.length > 0) return usage(`${command} takes no arguments`);
    if (command === 'start') return runStart(io);
    const config = settings(io, 'The settings are not valid.');
    if (typeof config === 'number') return config;
    for (const warning of config.warnings) io.err(`warning: ${warning}\n`);
    io.out(
      `The settings are valid: ePay ${config.epay.tokenMode} mode, store ${config.redisUrl ? 'Redis' : 'memory'}, ` +
        `webhooks ${config.webhooks ? 'on' : 'off'}, operations API ${config.operationsApiKeys.length > 0 ? 'on' : 'off'}.\n`,
    );
    return EXIT.done;
  }
  if (!(OPERATIONS as readonly string[]).includes(command)) return usage(`Unknown command: ${command}`);
  if (rest.length !== 1) return usage(`${command} takes one invoice id`);
  const invoiceId = rest[0]!;
  if (!INVOICE_ID.test(invoiceId)) return usage('The invoice id is 6 to 15 digits');
  if (values.amount !== undefined && (!AMOUNT.test(values.amount) || Number(values.amount) <= 0))
    return usage('--amount is a number > 0 with at most two decimals, like 1500 or 1499.90');
  const key = values['idempotency-key'];
  if (key !== undefined && !KEY_PATTERN.test(key)) return usage('--idempotency-key is 1 to 255 printable characters');
  const config = settings(io, 'Nothing was done.');
  if (typeof config === 'number') return config;
  return runOperation(
    command as OperationCommand,
    invoiceId,
    {
      ...(values.amount !== undefined ? { amount: values.amount } : {}),
      ...(key !== undefined ? { idempotencyKey: key } : {}),
    },
    config,
    io,
  );
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      amount: { type: 'string' },
      'idempotency-key': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
    },
  });
}

/** True when this file is the process's entry (through the `bin` link or directly), not a module a test imported. */
function isEntry(): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return realpathSync(entry) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

if (isEntry()) {
  main(process.argv.slice(2)).then(
    (code) => {
      // A command that ran to its end exits now: nothing it opened may keep the process alive.
      if (code !== undefined) process.exit(code);
    },
    (err: unknown) => {
      process.stderr.write(`epay-applepay-proxy: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}

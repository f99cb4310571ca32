/**
 * @module The Python check in docs/webhooks.md, run as a merchant would copy it: it accepts what the proxy signs and
 * refuses what it must. Needs `python3` (standard library only).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { signWebhook } from './signature.js';

const DOC = new URL('../../../docs/webhooks.md', import.meta.url);
const RUN_TIMEOUT_MS = 20_000;

const OLD_SECRET = 'whsec_old_0123456789abcdef0123456789abcdef';
const NEW_SECRET = 'whsec_new_fedcba9876543210fedcba9876543210';
const T = 1764850000;
/** Non-ASCII on purpose: both sides must sign UTF-8 bytes. */
const BODY = JSON.stringify({
  id: 'evt_python',
  type: 'payment.refunded',
  created: T,
  data: {
    payment: { invoiceId: '000123456', amount: 1500.5, currency: 'KZT', note: 'Кофе ☕' },
    source: 'operation',
    refund: { amount: 500, externalId: 'r-1' },
  },
});

/** The one fenced ```python block of the doc. */
function pythonSnippet(): string {
  const blocks = [...readFileSync(DOC, 'utf8').matchAll(/^```python\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
  expect(blocks).toHaveLength(1);
  return blocks[0]!;
}

/** Reads cases from stdin and prints, for each, the event id it returned or the error code it raised. */
const DRIVER = `
import json as _json
import sys as _sys

_results = []
for _case in _json.load(_sys.stdin):
    try:
        _event = verify_epay_webhook(_case["body"].encode("utf-8"), _case["header"], _case["secrets"], now=_case["now"])
        _results.append({"ok": _event["id"], "note": _event["data"]["payment"].get("note")})
    except WebhookError as _err:
        _results.append({"error": _err.code})
print(_json.dumps(_results))
`;

interface Case {
  body: string;
  header: string | null;
  secrets: string[];
  /** Unix seconds; null: the real clock. */
  now: number | null;
}

function runPython(cases: Case[]): Promise<{ ok?: string; note?: string; error?: string }[]> {
  return new Promise((resolve, reject) => {
    const child = spawn('python3', ['-c', `${pythonSnippet()}\n${DRIVER}`], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    const timer = setTimeout(() => child.kill(), RUN_TIMEOUT_MS);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(JSON.parse(out));
      else reject(new Error(`python3 exited ${code}: ${err}`));
    });
    child.stdin.end(JSON.stringify(cases));
  });
}

describe('the Python check in docs/webhooks.md', () => {
  it('accepts what signWebhook signs and refuses a tampered, stale, unsigned or foreign delivery', async () => {
    const header = signWebhook(BODY, [NEW_SECRET], T);
    const rotating = signWebhook(BODY, [OLD_SECRET, NEW_SECRET], T);
    const fresh = Math.floor(Date.now() / 1000);
    const results = await runPython([
      { body: BODY, header, secrets: [NEW_SECRET], now: T },
      { body: BODY, header: signWebhook(BODY, [NEW_SECRET], fresh), secrets: [NEW_SECRET], now: null },
      { body: BODY, header: rotating, secrets: [NEW_SECRET], now: T },
      { body: BODY, header, secrets: [OLD_SECRET, NEW_SECRET], now: T },
      { body: BODY, header: header.replace(',', ' ,  '), secrets: [NEW_SECRET], now: T + 300 },
      { body: BODY.replace('1500.5', '1500.6'), header, secrets: [NEW_SECRET], now: T },
      { body: BODY.replace('Кофе', 'Кофи'), header, secrets: [NEW_SECRET], now: T },
      { body: BODY, header, secrets: [OLD_SECRET], now: T },
      { body: BODY, header, secrets: [NEW_SECRET], now: T + 301 },
      { body: BODY, header, secrets: [NEW_SECRET], now: T - 301 },
      { body: BODY, header: null, secrets: [NEW_SECRET], now: T },
      { body: BODY, header: `v1=${'0'.repeat(64)}`, secrets: [NEW_SECRET], now: T },
      { body: '[]', header: signWebhook('[]', [NEW_SECRET], T), secrets: [NEW_SECRET], now: T },
    ]);
    const accepted = { ok: 'evt_python', note: 'Кофе ☕' };
    expect(results).toEqual([
      accepted,
      accepted,
      accepted,
      accepted,
      accepted,
      { error: 'signature_mismatch' },
      { error: 'signature_mismatch' },
      { error: 'signature_mismatch' },
      { error: 'timestamp_out_of_tolerance' },
      { error: 'timestamp_out_of_tolerance' },
      { error: 'signature_missing' },
      { error: 'malformed' },
      { error: 'malformed' },
    ]);
  });
});

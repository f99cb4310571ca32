/** @module The merchant's check of an event, as a merchant's backend meets it (docs/webhooks.md). */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_WEBHOOK_TOLERANCE_S,
  signWebhook,
  verifyWebhook,
  WEBHOOK_VERIFICATION_ERROR_CODES,
  type WebhookEvent,
  WebhookVerificationError,
  type WebhookVerificationErrorCode,
} from './verify.js';

const OLD_SECRET = 'whsec_old_0123456789abcdef0123456789abcdef';
const NEW_SECRET = 'whsec_new_fedcba9876543210fedcba9876543210';
const T = 1764850000;
const AT_T = new Date(T * 1000);

const EVENT: WebhookEvent = {
  id: 'evt_4f1c2b7a9d8e6f5a4b3c2d1e0f9a8b7c',
  type: 'payment.paid',
  created: T,
  data: {
    payment: {
      invoiceId: '000123456',
      id: 'a1b2c3d4-0000-4000-8000-000000000001',
      amount: 1500.5,
      currency: 'KZT',
      state: 'charged',
      bankStatus: 'CHARGE',
      reference: '123456789012',
    },
    source: 'notification',
  },
};
/** Non-ASCII on purpose: the signature covers UTF-8 bytes, not UTF-16 units. */
const BODY = JSON.stringify({ ...EVENT, data: { ...EVENT.data, payment: { ...EVENT.data.payment, note: 'Кофе ☕' } } });

/** The error a call throws, or a failure when it does not throw one. */
function failure(run: () => unknown): WebhookVerificationError {
  try {
    run();
  } catch (err) {
    if (err instanceof WebhookVerificationError) return err;
    throw err;
  }
  throw new Error('expected a WebhookVerificationError');
}

function codeOf(run: () => unknown): WebhookVerificationErrorCode {
  return failure(run).code;
}

describe('verifyWebhook accepts', () => {
  it('a body signed with the one secret, and returns the event', () => {
    const event = verifyWebhook(BODY, signWebhook(BODY, [NEW_SECRET], T), NEW_SECRET, { now: AT_T });
    expect(event).toEqual(JSON.parse(BODY));
    expect(event.data.payment['note']).toBe('Кофе ☕');
  });

  it('a secret given as a one-element array', () => {
    expect(verifyWebhook(BODY, signWebhook(BODY, [NEW_SECRET], T), [NEW_SECRET], { now: AT_T }).id).toBe(EVENT.id);
  });

  it('rotation: signed with old and new, the receiver knows only the new', () => {
    const header = signWebhook(BODY, [OLD_SECRET, NEW_SECRET], T);
    expect(verifyWebhook(BODY, header, NEW_SECRET, { now: AT_T }).id).toBe(EVENT.id);
    expect(verifyWebhook(BODY, header, OLD_SECRET, { now: AT_T }).id).toBe(EVENT.id);
  });

  it('rotation: the receiver knows old and new, the header is signed only with the old', () => {
    const header = signWebhook(BODY, [OLD_SECRET], T);
    expect(verifyWebhook(BODY, header, [NEW_SECRET, OLD_SECRET], { now: AT_T }).id).toBe(EVENT.id);
    expect(verifyWebhook(BODY, header, [OLD_SECRET, NEW_SECRET], { now: AT_T }).id).toBe(EVENT.id);
  });

  it('the raw Buffer of express.raw, and a plain Uint8Array', () => {
    const header = signWebhook(BODY, [NEW_SECRET], T);
    const bytes = Buffer.from(BODY, 'utf8');
    expect(verifyWebhook(bytes, header, NEW_SECRET, { now: AT_T })).toEqual(JSON.parse(BODY));
    expect(verifyWebhook(new Uint8Array(bytes), header, NEW_SECRET, { now: AT_T }).id).toBe(EVENT.id);
  });

  it('a header with extra spaces around the commas', () => {
    const [t, v1a, v1b] = signWebhook(BODY, [OLD_SECRET, NEW_SECRET], T).split(',');
    expect(verifyWebhook(BODY, `  ${t} ,  ${v1a},${v1b}  `, NEW_SECRET, { now: AT_T }).id).toBe(EVENT.id);
  });

  it('a header that also carries a v1 of the wrong length and another scheme', () => {
    const header = signWebhook(BODY, [NEW_SECRET], T);
    const padded = header.replace(',v1=', `,v1=abc,v0=${'0'.repeat(64)},v1=`);
    expect(verifyWebhook(BODY, padded, NEW_SECRET, { now: AT_T }).id).toBe(EVENT.id);
  });

  it('a clock ahead or behind by exactly the tolerance', () => {
    const header = signWebhook(BODY, [NEW_SECRET], T);
    const s = DEFAULT_WEBHOOK_TOLERANCE_S;
    expect(s).toBe(300);
    expect(verifyWebhook(BODY, header, NEW_SECRET, { now: new Date((T + s) * 1000) }).id).toBe(EVENT.id);
    expect(verifyWebhook(BODY, header, NEW_SECRET, { now: new Date((T - s) * 1000) }).id).toBe(EVENT.id);
    expect(verifyWebhook(BODY, header, NEW_SECRET, { now: new Date((T + 10) * 1000), toleranceS: 10 }).id).toBe(
      EVENT.id,
    );
  });

  it('by default, against the real clock', () => {
    const header = signWebhook(BODY, [NEW_SECRET], Math.floor(Date.now() / 1000));
    expect(verifyWebhook(BODY, header, NEW_SECRET).id).toBe(EVENT.id);
  });
});

describe('verifyWebhook refuses', () => {
  const header = signWebhook(BODY, [NEW_SECRET], T);

  it('has exactly the contract codes', () => {
    expect([...WEBHOOK_VERIFICATION_ERROR_CODES]).toEqual([
      'signature_missing',
      'signature_mismatch',
      'timestamp_out_of_tolerance',
      'malformed',
    ]);
  });

  it.each([
    ['undefined', undefined],
    ['null', null],
    ['empty', ''],
    ['blank', '   '],
  ])('signature_missing: a header that is %s', (_name, missing) => {
    const err = failure(() => verifyWebhook(BODY, missing, NEW_SECRET, { now: AT_T }));
    expect(err.code).toBe('signature_missing');
    expect(err.name).toBe('WebhookVerificationError');
    expect(err).toBeInstanceOf(Error);
  });

  it.each([
    ['garbage', 'sha256=deadbeef'],
    ['no t', header.replace(/^t=\d+,/, '')],
    ['no v1', `t=${T}`],
    ['only a v1 of the wrong length', `t=${T},v1=${'a'.repeat(63)}`],
    ['only an uppercase v1', header.toUpperCase().replace('T=', 't=').replace('V1=', 'v1=')],
    ['a t with a leading zero', header.replace('t=', 't=0')],
  ])('malformed: a header with %s, before any signature is compared', (_name, bad) => {
    expect(codeOf(() => verifyWebhook(BODY, bad, NEW_SECRET, { now: AT_T }))).toBe('malformed');
  });

  it('malformed: a header that reached the caller as an array', () => {
    const repeated = [header, header] as unknown as string;
    expect(codeOf(() => verifyWebhook(BODY, repeated, NEW_SECRET, { now: AT_T }))).toBe('malformed');
  });

  it('signature_mismatch: another secret', () => {
    expect(codeOf(() => verifyWebhook(BODY, header, OLD_SECRET, { now: AT_T }))).toBe('signature_mismatch');
  });

  it('signature_mismatch: a body changed by one byte, as a string and as bytes', () => {
    const changed = BODY.replace('1500.5', '1500.6');
    expect(changed).not.toBe(BODY);
    expect(codeOf(() => verifyWebhook(changed, header, NEW_SECRET, { now: AT_T }))).toBe('signature_mismatch');
    for (const i of [0, Math.floor(BODY.length / 2), Buffer.byteLength(BODY) - 1]) {
      const bytes = Buffer.from(BODY, 'utf8');
      bytes[i] = bytes[i]! ^ 0x01;
      expect(
        codeOf(() => verifyWebhook(bytes, header, NEW_SECRET, { now: AT_T })),
        `byte ${i}`,
      ).toBe('signature_mismatch');
    }
  });

  it('signature_mismatch: a body parsed and serialised again (whitespace differs)', () => {
    const reserialised = JSON.stringify(JSON.parse(BODY), null, 2);
    expect(codeOf(() => verifyWebhook(reserialised, header, NEW_SECRET, { now: AT_T }))).toBe('signature_mismatch');
  });

  it('signature_mismatch: the signature moved to another timestamp', () => {
    const moved = header.replace(`t=${T}`, `t=${T + 1}`);
    expect(codeOf(() => verifyWebhook(BODY, moved, NEW_SECRET, { now: AT_T }))).toBe('signature_mismatch');
  });

  it('signature_mismatch: a v1 of the wrong length next to a wrong one, without a RangeError', () => {
    const wrong = `t=${T},v1=${'ab'.repeat(31)},v1=${'0'.repeat(64)}`;
    expect(codeOf(() => verifyWebhook(BODY, wrong, NEW_SECRET, { now: AT_T }))).toBe('signature_mismatch');
  });

  it('signature_mismatch comes before the clock: a forged stale header says mismatch', () => {
    const stale = `t=${T - 3600},v1=${'0'.repeat(64)}`;
    expect(codeOf(() => verifyWebhook(BODY, stale, NEW_SECRET, { now: AT_T }))).toBe('signature_mismatch');
  });

  it('timestamp_out_of_tolerance: a clock ahead or behind by more than the tolerance', () => {
    const s = DEFAULT_WEBHOOK_TOLERANCE_S;
    for (const now of [(T + s) * 1000 + 1, (T + s + 1) * 1000, (T - s) * 1000 - 1, (T - s - 1) * 1000, 0]) {
      expect(
        codeOf(() => verifyWebhook(BODY, header, NEW_SECRET, { now: new Date(now) })),
        String(now),
      ).toBe('timestamp_out_of_tolerance');
    }
    expect(
      codeOf(() => verifyWebhook(BODY, header, NEW_SECRET, { now: new Date((T + 11) * 1000), toleranceS: 10 })),
    ).toBe('timestamp_out_of_tolerance');
  });

  it.each([
    ['not JSON', '{"id":'],
    ['a JSON array', '[]'],
    ['JSON null', 'null'],
    ['a JSON string', '"evt_1"'],
    ['no id', JSON.stringify({ ...EVENT, id: undefined })],
    ['a number id', JSON.stringify({ ...EVENT, id: 1 })],
    ['no type', JSON.stringify({ ...EVENT, type: undefined })],
    ['a string created', JSON.stringify({ ...EVENT, created: String(T) })],
    ['an infinite created', JSON.stringify(EVENT).replace(`"created":${T}`, '"created":1e999')],
    ['no data', JSON.stringify({ ...EVENT, data: undefined })],
    ['a null data', JSON.stringify({ ...EVENT, data: null })],
    ['an array data', JSON.stringify({ ...EVENT, data: [] })],
  ])('malformed: a well-signed body that is %s', (_name, body) => {
    const signed = signWebhook(body, [NEW_SECRET], T);
    expect(codeOf(() => verifyWebhook(body, signed, NEW_SECRET, { now: AT_T }))).toBe('malformed');
  });

  it('malformed: well-signed bytes that are not UTF-8', () => {
    const bytes = Buffer.concat([Buffer.from('{"id":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
    const v1 = createHmac('sha256', NEW_SECRET).update(`${T}.`).update(bytes).digest('hex');
    const signed = `t=${T},v1=${v1}`;
    expect(codeOf(() => verifyWebhook(bytes, signed, NEW_SECRET, { now: AT_T }))).toBe('malformed');
  });

  it('and no message ever holds a secret or the expected signature', () => {
    const expectedV1 = header.split('v1=')[1]!;
    const errors = [
      failure(() => verifyWebhook(BODY, undefined, NEW_SECRET, { now: AT_T })),
      failure(() => verifyWebhook(BODY, 'nonsense', NEW_SECRET, { now: AT_T })),
      failure(() => verifyWebhook(`${BODY} `, header, [OLD_SECRET, NEW_SECRET], { now: AT_T })),
      failure(() => verifyWebhook(BODY, header, OLD_SECRET, { now: AT_T })),
      failure(() => verifyWebhook(BODY, header, NEW_SECRET, { now: new Date(0) })),
      failure(() => verifyWebhook('[]', signWebhook('[]', [NEW_SECRET], T), NEW_SECRET, { now: AT_T })),
    ];
    expect(new Set(errors.map((err) => err.code))).toEqual(new Set(WEBHOOK_VERIFICATION_ERROR_CODES));
    for (const message of errors.map((err) => `${err.message} ${err.stack ?? ''} ${JSON.stringify(err)}`)) {
      for (const secret of [OLD_SECRET, NEW_SECRET, expectedV1]) expect(message).not.toContain(secret);
    }
  });
});

describe('verifyWebhook is a programming error (TypeError), not a verification result, for', () => {
  const header = signWebhook(BODY, [NEW_SECRET], T);

  it.each([
    ['an empty list of secrets', []],
    ['an empty secret', ''],
    ['an empty secret in the list', [NEW_SECRET, '']],
    ['a secret that is not a string', [42]],
  ])('%s', (_name, secrets) => {
    expect(() => verifyWebhook(BODY, header, secrets as string[], { now: AT_T })).toThrow(TypeError);
  });

  it('a parsed body instead of the raw one', () => {
    const parsed = JSON.parse(BODY) as unknown as string;
    expect(() => verifyWebhook(parsed, header, NEW_SECRET, { now: AT_T })).toThrow(/raw request body/);
  });

  it('a negative tolerance or an invalid date', () => {
    expect(() => verifyWebhook(BODY, header, NEW_SECRET, { now: AT_T, toleranceS: -1 })).toThrow(TypeError);
    expect(() => verifyWebhook(BODY, header, NEW_SECRET, { now: new Date(Number.NaN) })).toThrow(TypeError);
  });

  it('even when the header is missing: the secrets are checked first', () => {
    expect(() => verifyWebhook(BODY, undefined, [], { now: AT_T })).toThrow(TypeError);
  });
});

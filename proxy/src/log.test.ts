/** `sanitize`, the log's last line of defence: what it must redact whatever field it comes in, and what it keeps. */
import { describe, expect, it } from 'vitest';
import { sanitize } from './log.js';

const PAN = '4400430100000001';
const CRYPTOGRAM = 'AMwBRjPWDnAgAA7Rls7mAoABFA=='; // a real online payment cryptogram (20 bytes)

describe('sanitize', () => {
  it.each([
    ['a PAN', `card ${PAN} refused`],
    ['a 19-digit PAN', '6250947000000014123'],
    ['an online payment cryptogram', CRYPTOGRAM],
    ['a base64 blob (a token, paymentData)', Buffer.from('x'.repeat(60)).toString('base64url')],
    ['a bearer token', 'Authorization: Bearer DCEB8O_ZM5U7SO'],
    ['PEM material', '-----BEGIN EC PRIVATE KEY-----'],
  ])('redacts %s in any untrusted field, and in reason and path', (_name, value) => {
    expect(sanitize({ extra: value, reason: value, path: `/x/${value}` })).toEqual({
      extra: '[redacted]',
      reason: '[redacted]',
      path: '[redacted]',
    });
  });

  it('keeps ordinary values and the trusted fields as they are, and drops undefined', () => {
    const record = {
      method: 'POST',
      path: '/applepay/payments',
      status: 402,
      outcome: 'declined',
      code: 'declined',
      bankCode: 51,
      invoiceId: '000123456',
      reason: 'refused: 51',
      ms: 12,
      gone: undefined,
    };
    const { gone: _gone, ...kept } = record;
    expect(sanitize(record)).toEqual(kept);
  });

  it('keeps a trusted field long by construction (a request id), but never lets reason or path carry a secret', () => {
    const reqId = 'a'.repeat(48);
    expect(sanitize({ reqId })).toEqual({ reqId });
    expect(sanitize({ reason: `cryptopay refused ${PAN}` }).reason).toBe('[redacted]');
  });

  it('does not treat a 6 to 11 digit invoice or an amount as a PAN', () => {
    expect(sanitize({ note: 'invoice 00012345678 amount 1500.51' })).toEqual({
      note: 'invoice 00012345678 amount 1500.51',
    });
  });
});

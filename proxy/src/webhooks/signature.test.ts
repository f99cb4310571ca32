/** @module The `epay-signature` header: what the proxy writes and what a receiver reads (docs/webhooks.md). */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseSignatureHeader, signatureDigest, signWebhook, WEBHOOK_SIGNATURE_HEADER } from './signature.js';

const SECRET_A = 'whsec_test_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const SECRET_B = 'whsec_test_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
const BODY =
  '{"id":"evt_1","type":"payment.paid","created":1764850000,"data":{"source":"payment","payment":{"amount":"100 ₸"}}}';
const T = 1764850000;

function hmacHex(secret: string, text: string): string {
  return createHmac('sha256', secret).update(text, 'utf8').digest('hex');
}

const SIG_A = hmacHex(SECRET_A, `${T}.${BODY}`);
const SIG_B = hmacHex(SECRET_B, `${T}.${BODY}`);

describe('signWebhook', () => {
  it('names the header as the contract does', () => {
    expect(WEBHOOK_SIGNATURE_HEADER).toBe('epay-signature');
  });

  it('writes t and the hex HMAC-SHA256 of "t.body" under the secret', () => {
    expect(signWebhook(BODY, [SECRET_A], T)).toBe(`t=${T},v1=${SIG_A}`);
  });

  it('matches a fixed known answer, so a change of the signed text cannot pass unnoticed', () => {
    // printf '%s' '1764850000.{"id":"evt_1"}' | openssl dgst -sha256 -hmac whsec_known_answer
    expect(signWebhook('{"id":"evt_1"}', ['whsec_known_answer'], 1764850000)).toBe(
      't=1764850000,v1=55abfedde3a22174faa10e917e690afdb0a705814b15d8fc7fd52b845734f0ca',
    );
  });

  it('writes one v1 per secret, in the given order', () => {
    expect(signWebhook(BODY, [SECRET_A, SECRET_B], T)).toBe(`t=${T},v1=${SIG_A},v1=${SIG_B}`);
    expect(signWebhook(BODY, [SECRET_B, SECRET_A], T)).toBe(`t=${T},v1=${SIG_B},v1=${SIG_A}`);
  });

  it('signs the UTF-8 bytes of the body, the same as signing those bytes', () => {
    expect(signatureDigest(Buffer.from(BODY, 'utf8'), SECRET_A, T).toString('hex')).toBe(SIG_A);
    expect(signatureDigest(new Uint8Array(Buffer.from(BODY, 'utf8')), SECRET_A, T).toString('hex')).toBe(SIG_A);
  });

  it('refuses no secret, an empty secret, and a timestamp the header could not carry', () => {
    expect(() => signWebhook(BODY, [], T)).toThrow(TypeError);
    expect(() => signWebhook(BODY, [SECRET_A, ''], T)).toThrow(TypeError);
    for (const t of [-1, 1.5, Number.NaN, 1e12, Number.MAX_SAFE_INTEGER + 2]) {
      expect(() => signWebhook(BODY, [SECRET_A], t), String(t)).toThrow(TypeError);
    }
    expect(signWebhook(BODY, [SECRET_A], 999_999_999_999)).toMatch(/^t=999999999999,v1=[0-9a-f]{64}$/);
  });
});

describe('parseSignatureHeader', () => {
  it('reads what signWebhook writes', () => {
    expect(parseSignatureHeader(signWebhook(BODY, [SECRET_A, SECRET_B], T))).toEqual({ t: T, v1: [SIG_A, SIG_B] });
  });

  it('takes spaces around the commas, items in any order, and a trailing comma', () => {
    expect(parseSignatureHeader(`  v1=${SIG_A} ,  t=${T} ,v1=${SIG_B},`)).toEqual({ t: T, v1: [SIG_A, SIG_B] });
  });

  it('ignores other schemes and v1 values that are not 64 lowercase hex characters', () => {
    expect(
      parseSignatureHeader(
        `t=${T},v0=${SIG_B},v1=${SIG_A.slice(2)},v1=${SIG_B.toUpperCase()},v1=${SIG_A}zz,v1=${SIG_A}`,
      ),
    ).toEqual({ t: T, v1: [SIG_A] });
  });

  it.each([
    ['an empty header', ''],
    ['no t', `v1=${SIG_A}`],
    ['no v1', `t=${T}`],
    ['only another scheme', `t=${T},v0=${SIG_A}`],
    ['only a v1 of the wrong length', `t=${T},v1=${SIG_A.slice(1)}`],
    ['two t', `t=${T},t=${T},v1=${SIG_A}`],
    ['a negative t', `t=-${T},v1=${SIG_A}`],
    ['a t with a sign', `t=+${T},v1=${SIG_A}`],
    ['a fractional t', `t=${T}.5,v1=${SIG_A}`],
    ['a t in exponent form', `t=1e9,v1=${SIG_A}`],
    ['a t with a leading zero', `t=0${T},v1=${SIG_A}`],
    ['a t of 13 digits', `t=1764850000000,v1=${SIG_A}`],
    ['an empty t', `t=,v1=${SIG_A}`],
    ['an item without =', `t=${T},garbage,v1=${SIG_A}`],
    ['an item with an empty key', `t=${T},=x,v1=${SIG_A}`],
    ['semicolons instead of commas', `t=${T};v1=${SIG_A}`],
  ])('rejects %s', (_name, header) => {
    expect(parseSignatureHeader(header)).toBeUndefined();
  });

  it('reads t=0 and a t of 12 digits', () => {
    expect(parseSignatureHeader(`t=0,v1=${SIG_A}`)).toEqual({ t: 0, v1: [SIG_A] });
    expect(parseSignatureHeader(`t=999999999999,v1=${SIG_A}`)).toEqual({ t: 999_999_999_999, v1: [SIG_A] });
  });
});

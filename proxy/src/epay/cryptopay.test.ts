/** `classifyCryptopay`: every kind of answer the bank (or what stands in front of it) can give to `cryptopay`. */
import { describe, expect, it } from 'vitest';
import { classifyCryptopay } from './cryptopay.js';

const answer = (status: number, body: unknown) => ({
  kind: 'answer' as const,
  status,
  headers: {},
  text: typeof body === 'string' ? body : JSON.stringify(body),
});
const SECURE3D = { paReq: 'cGFyZXE=', md: 'md-1', action: 'https://epay.homebank.kz/3ds' };

describe('classifyCryptopay', () => {
  it('a 200 with an id is paid', () => {
    expect(classifyCryptopay(answer(200, { id: 'p1', reference: '114537489258' }))).toEqual({
      kind: 'paid',
      id: 'p1',
      reference: '114537489258',
    });
  });

  it('a 200 with secure3D is 3-D Secure, only with every field and an https (or loopback http) action', () => {
    expect(classifyCryptopay(answer(200, { id: 'p1', secure3D: SECURE3D }))).toEqual({
      kind: '3ds',
      id: 'p1',
      ...SECURE3D,
    });
    expect(
      classifyCryptopay(answer(200, { id: 'p1', secure3D: { ...SECURE3D, action: 'http://127.0.0.1:9/3ds' } })).kind,
    ).toBe('3ds');
    for (const secure3D of [
      { ...SECURE3D, action: 'http://evil.example/3ds' },
      { ...SECURE3D, action: 'javascript:alert(1)' },
      { ...SECURE3D, md: '' },
    ]) {
      expect(classifyCryptopay(answer(200, { id: 'p1', secure3D })).kind).toBe('unknown');
    }
    expect(classifyCryptopay(answer(200, { secure3D: SECURE3D })).kind).toBe('unknown');
  });

  it.each([
    [400, { code: 477, message: 'Operation already exists' }],
    [400, { code: 5, message: 'Do not honor' }],
    [400, { code: '51', message: 'Insufficient funds' }],
    [200, { code: 487, message: 'Not permitted to merchant' }],
  ])('HTTP %s %j is a refusal for the status call to settle, never a decline by itself', (status, body) => {
    expect(classifyCryptopay(answer(status, body))).toEqual({
      kind: 'refused',
      bankCode: Number(body.code),
      message: body.message,
    });
  });

  it('454 and 459 are not final, with a 400 or a 200', () => {
    expect(classifyCryptopay(answer(400, { code: 454 }))).toEqual({ kind: 'not_final', bankCode: 454 });
    expect(classifyCryptopay(answer(200, { code: '459' }))).toEqual({ kind: 'not_final', bankCode: 459 });
  });

  it('401 and 403 are our token refused: nothing was charged', () => {
    expect(classifyCryptopay(answer(401, { code: 1002 }))).toEqual({ kind: 'token_refused', status: 401 });
    expect(classifyCryptopay(answer(403, '<html>forbidden</html>'))).toEqual({ kind: 'token_refused', status: 403 });
  });

  it('only the bank’s own 500 with a code is a bank error; gateways’ 502/503/504 and garbage are plainly unknown', () => {
    expect(classifyCryptopay(answer(500, { code: 1099, message: 'Internal error' }))).toMatchObject({
      kind: 'unknown',
      bankError: true,
    });
    expect(classifyCryptopay(answer(500, { message: 'oops' }))).toMatchObject({ kind: 'unknown', bankError: false });
    for (const status of [502, 503, 504])
      expect(classifyCryptopay(answer(status, { code: 1 }))).toMatchObject({ kind: 'unknown', bankError: false });
    expect(classifyCryptopay(answer(200, '<html>ok</html>'))).toMatchObject({ kind: 'unknown', bankError: false });
    expect(classifyCryptopay(answer(200, { code: 0 }))).toMatchObject({ kind: 'unknown' }); // no id: not proof of payment
    expect(classifyCryptopay(answer(400, { message: 'no code' }))).toMatchObject({ kind: 'unknown' });
  });

  it('no answer is unknown; a request that never left is not sent', () => {
    expect(classifyCryptopay({ kind: 'no_answer', reason: 'UND_ERR_HEADERS_TIMEOUT' })).toEqual({
      kind: 'unknown',
      bankError: false,
      reason: 'UND_ERR_HEADERS_TIMEOUT',
    });
    expect(classifyCryptopay({ kind: 'not_sent', reason: 'ECONNREFUSED' })).toEqual({
      kind: 'not_sent',
      reason: 'ECONNREFUSED',
    });
  });
});

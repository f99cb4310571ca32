/** `requestIdOf`: the caller's id when it is sane, a fresh one otherwise. */
import { describe, expect, it } from 'vitest';
import { requestIdOf } from './request-id.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('requestIdOf', () => {
  it.each([
    'a',
    '3f1c2b1e-9c4d-4e5f-8a6b-7c8d9e0f1a2b',
    'lb-01.fra:7f3a_9',
    '0123456789abcdef0123456789abcdef', // nginx $request_id
    'x'.repeat(39),
  ])('keeps %s', (id) => {
    expect(requestIdOf(id)).toBe(id);
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['longer than 128 characters', 'a.'.repeat(65)],
    ['with a space', 'a b'],
    ['with a quote', 'a"b'],
    ['with a newline', 'a\nb'],
    ['non-ASCII', 'zaïd'],
    ['a PAN', '4400430100000001'],
    ['a long base64 run (a token)', 'Q'.repeat(44)],
    [
      'an order token',
      'eyJhbGciOiJIUzI1NiJ9.eyJpbnZvaWNlSWQiOiIwMDAxMjM0NTYiLCJhbW91bnQiOjE1MDB9.c2lnbmF0dXJlLXZhbHVlLWhlcmU',
    ],
  ])('makes a new one when the id sent is %s', (_name, sent) => {
    const id = requestIdOf(sent);
    expect(id).toMatch(UUID);
    expect(requestIdOf(sent)).not.toBe(id);
  });
});

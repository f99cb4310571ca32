import { describe, expect, it } from 'vitest';
import { classifyPayformUrl, readConfirmAnswer } from './confirm-result.js';

const SUCCESS =
  'https://epay.homebank.kz/payform/success.html?amount=100&currency=KZT&invoiceID=000123456&accountID=&description=x&reference=114537489258&language=rus&cardid=';
const FAILURE = 'https://epay.homebank.kz/payform/?invoiceID=000123456&code=455&message=Wrong%20password';
const answer = (status: number, text = '', headers: Record<string, string> = {}) => ({
  kind: 'answer' as const,
  status,
  text,
  headers,
});

describe('payment/confirm answers', () => {
  it('reads a 3xx redirect', () => {
    expect(readConfirmAnswer(answer(302, '', { location: SUCCESS }))).toEqual({
      kind: 'success',
      reference: '114537489258',
    });
    expect(readConfirmAnswer(answer(303, '', { location: FAILURE }))).toEqual({
      kind: 'failure',
      code: '455',
      message: 'Wrong password',
    });
  });

  it('reads a 200 whose body names the page (JSON or HTML)', () => {
    expect(readConfirmAnswer(answer(200, JSON.stringify({ url: SUCCESS })))).toMatchObject({ kind: 'success' });
    expect(readConfirmAnswer(answer(200, `<a href="${FAILURE.replace(/&/g, '&amp;')}">go</a>`))).toMatchObject({
      kind: 'failure',
      code: '455',
    });
    expect(readConfirmAnswer(answer(200, `<meta http-equiv="refresh" content="0;url=${SUCCESS}">`))).toMatchObject({
      kind: 'success',
    });
  });

  it("reads the failure code from errorCode too, as the bank's own SDK does", () => {
    const url = 'https://epay.homebank.kz/payform/?invoiceID=000123456&errorCode=455&message=Wrong%20password';
    expect(readConfirmAnswer(answer(302, '', { location: url }))).toEqual({
      kind: 'failure',
      code: '455',
      message: 'Wrong password',
    });
    expect(classifyPayformUrl('https://epay.homebank.kz/other?errorCode=05')).toEqual({
      kind: 'failure',
      code: '05',
      message: '',
    });
  });

  it('leaves anything else to the status call', () => {
    expect(readConfirmAnswer(answer(200, '{}')).kind).toBe('unknown');
    expect(readConfirmAnswer(answer(302)).kind).toBe('unknown');
    expect(readConfirmAnswer(answer(500, 'oops')).kind).toBe('unknown');
    expect(readConfirmAnswer({ kind: 'no_answer', reason: 'UND_ERR_HEADERS_TIMEOUT' }).kind).toBe('unknown');
    expect(classifyPayformUrl('https://epay.homebank.kz/other').kind).toBe('unknown');
  });

  it('marks a refusal of the request itself, which a repeated confirmation also gets', () => {
    expect(readConfirmAnswer(answer(400, JSON.stringify({ code: 1, message: 'already confirmed' })))).toMatchObject({
      kind: 'failure',
      refused: true,
    });
  });
});

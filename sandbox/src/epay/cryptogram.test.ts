import { constants, createPrivateKey, createPublicKey, publicEncrypt, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isApplePaymentDataBase64, openCryptogram } from './cryptogram.js';
import { unpadPkcs1v15Type2 } from './pkcs1-v15.js';
import { SANDBOX_EPAY } from './sandbox-credentials.js';
import {
  APPLE_PAYMENT_DATA_BASE64,
  cardCryptogramText,
  encryptCryptogram,
  PASSTHROUGH_CRYPTOGRAM_TEXT,
  testKeyPem,
} from './test-support.js';

const privateKey = createPrivateKey(testKeyPem());
const publicKey = createPublicKey(privateKey);
const terminal = SANDBOX_EPAY.terminalId;
const NOW = new Date('2026-03-15T12:00:00Z');
const PAN = '4400430000000001';

const open = (plaintext: string | Buffer, key = publicKey) =>
  openCryptogram(encryptCryptogram(key, plaintext), privateKey, terminal, NOW);

/** Encrypts a hand-made 512-byte block with no padding, to forge broken PKCS#1 v1.5 structures. */
function encryptRawBlock(block: Buffer): string {
  return publicEncrypt({ key: publicKey, padding: constants.RSA_NO_PADDING }, block).toString('base64');
}

function pkcs1Block(
  message: Buffer,
  { first = 0x00, type = 0x02, paddingLength }: { first?: number; type?: number; paddingLength?: number } = {},
): Buffer {
  const size = 512;
  const psLength = paddingLength ?? size - 3 - message.length;
  const ps = Buffer.alloc(psLength);
  for (let i = 0; i < psLength; i += 1) ps[i] = 1 + ((randomBytes(1)[0] ?? 0) % 255);
  const block = Buffer.concat([Buffer.from([first, type]), ps, Buffer.from([0]), message]);
  return Buffer.concat([Buffer.alloc(size - block.length), block]).subarray(0, size);
}

describe('openCryptogram', () => {
  it('opens a decrypt-mode cryptogram and returns the PAN and expiry', () => {
    expect(open(cardCryptogramText(PAN, '1227'))).toEqual({
      ok: true,
      card: { kind: 'pan', pan: PAN, expMonth: 12, expYear: 2027 },
    });
  });

  it('recognises the passthrough placeholders', () => {
    expect(open(PASSTHROUGH_CRYPTOGRAM_TEXT)).toEqual({ ok: true, card: { kind: 'passthrough' } });
  });

  it('refuses a cryptogram encrypted for another key', () => {
    const otherKey = createPublicKey(testKeyPem('other'));
    expect(open(cardCryptogramText(PAN, '1227'), otherKey)).toEqual({ ok: false, problem: 'undecryptable' });
  });

  it('refuses OAEP padding, a block type other than 02, too little padding and a missing separator', () => {
    const plaintext = Buffer.from(cardCryptogramText(PAN, '1227'));
    const oaep = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING }, plaintext).toString(
      'base64',
    );
    expect(openCryptogram(oaep, privateKey, terminal, NOW)).toEqual({ ok: false, problem: 'undecryptable' });

    const signatureType = encryptRawBlock(pkcs1Block(plaintext, { type: 0x01 }));
    expect(openCryptogram(signatureType, privateKey, terminal, NOW)).toEqual({ ok: false, problem: 'undecryptable' });

    const shortPadding = Buffer.concat([Buffer.from([0, 2, 1, 1, 1, 1, 1, 1, 1, 0]), Buffer.alloc(502, 0x41)]);
    expect(openCryptogram(encryptRawBlock(shortPadding), privateKey, terminal, NOW)).toEqual({
      ok: false,
      problem: 'undecryptable',
    });

    const noSeparator = Buffer.concat([Buffer.from([0, 2]), Buffer.alloc(510, 0x41)]);
    expect(openCryptogram(encryptRawBlock(noSeparator), privateKey, terminal, NOW)).toEqual({
      ok: false,
      problem: 'undecryptable',
    });

    // The same hand-made structure with correct padding opens, so the failures above are the padding's.
    const good = encryptRawBlock(pkcs1Block(plaintext));
    expect(openCryptogram(good, privateKey, terminal, NOW).ok).toBe(true);
  });

  it('refuses a ciphertext of the wrong length and text that is not standard base64', () => {
    const valid = encryptCryptogram(publicKey, cardCryptogramText(PAN, '1227'));
    const truncated = Buffer.from(valid, 'base64').subarray(1).toString('base64');
    expect(openCryptogram(truncated, privateKey, terminal, NOW)).toEqual({ ok: false, problem: 'undecryptable' });
    const urlSafe = valid.replaceAll('+', '-').replaceAll('/', '_');
    if (urlSafe !== valid)
      expect(openCryptogram(urlSafe, privateKey, terminal, NOW)).toEqual({ ok: false, problem: 'not_base64' });
    expect(openCryptogram(`${valid}\n`, privateKey, terminal, NOW)).toEqual({ ok: false, problem: 'not_base64' });
    expect(openCryptogram('', privateKey, terminal, NOW)).toEqual({ ok: false, problem: 'not_base64' });
  });

  it.each([
    ['pretty-printed JSON', JSON.stringify(JSON.parse(cardCryptogramText(PAN, '1227')), null, 1)],
    ['a space after a colon', cardCryptogramText(PAN, '1227').replace('"hpan":', '"hpan": ')],
    ['an extra key', JSON.stringify({ hpan: PAN, expDate: '1227', cvc: '', terminalId: terminal, eci: '05' })],
    ['a missing key', JSON.stringify({ hpan: PAN, expDate: '1227', terminalId: terminal })],
    ['keys in another order', JSON.stringify({ expDate: '1227', hpan: PAN, cvc: '', terminalId: terminal })],
    ['a numeric cvc', JSON.stringify({ hpan: PAN, expDate: '1227', cvc: 123, terminalId: terminal })],
    ['a duplicated key', `{"hpan":"${PAN}","hpan":"${PAN}","expDate":"1227","cvc":"","terminalId":"${terminal}"}`],
    ['a PAN that is too short', cardCryptogramText('440043000001', '1227')],
    ['a PAN with spaces', cardCryptogramText('4400 4300 0000 0001', '1227')],
    ['expiry as MM/YY', cardCryptogramText(PAN, '12/27')],
    ['expiry as YYMM', cardCryptogramText(PAN, '2712')],
    ['expiry month 13', cardCryptogramText(PAN, '1327')],
    ['a cvc of 2 digits', JSON.stringify({ hpan: PAN, expDate: '1227', cvc: '12', terminalId: terminal })],
    [
      'placeholders with a real cvc',
      JSON.stringify({ hpan: 'AppleToken', expDate: 'expToken', cvc: '123', terminalId: terminal }),
    ],
    ['a JSON array', '["x"]'],
    ['invalid UTF-8', Buffer.from([0x7b, 0xff, 0xfe, 0x7d])],
  ])('refuses %s', (_, plaintext) => {
    expect(open(plaintext)).toEqual({ ok: false, problem: 'malformed' });
  });

  it('refuses another terminal', () => {
    const text = cardCryptogramText(PAN, '1227', '00000000-0000-0000-0000-000000000000');
    expect(open(text)).toEqual({ ok: false, problem: 'terminal_mismatch' });
  });

  it('accepts a card through the last day of its expiry month and refuses it after', () => {
    expect(open(cardCryptogramText(PAN, '0326')).ok).toBe(true);
    expect(open(cardCryptogramText(PAN, '0226'))).toEqual({ ok: false, problem: 'expired_card' });
  });
});

describe('unpadPkcs1v15Type2', () => {
  it('strips exactly the padding', () => {
    expect(unpadPkcs1v15Type2(Buffer.from([0, 2, 9, 9, 9, 9, 9, 9, 9, 9, 0, 65, 0, 66]))).toEqual(
      Buffer.from([65, 0, 66]),
    );
    expect(unpadPkcs1v15Type2(Buffer.from([1, 2, 9, 9, 9, 9, 9, 9, 9, 9, 0, 65]))).toBeUndefined();
  });
});

describe('isApplePaymentDataBase64', () => {
  it('accepts base64 of a paymentData object and refuses anything else', () => {
    expect(isApplePaymentDataBase64(APPLE_PAYMENT_DATA_BASE64)).toBe(true);
    const withoutHeader = Buffer.from(JSON.stringify({ version: 'EC_v1', data: 'AA==', signature: 'AA==' })).toString(
      'base64',
    );
    expect(isApplePaymentDataBase64(withoutHeader)).toBe(false);
    const rawJson = JSON.stringify({ version: 'EC_v1', data: 'AA==', signature: 'AA==', header: {} });
    expect(isApplePaymentDataBase64(rawJson)).toBe(false);
    expect(isApplePaymentDataBase64(Buffer.from('not json').toString('base64'))).toBe(false);
  });
});

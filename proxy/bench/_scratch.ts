import { generateKeyPairSync } from 'node:crypto';
import { createFakeApple } from '@epay-applepay/sandbox';
import { createPaymentTokenDecryptor } from '../src/applepay/decrypt-token.js';
import { verifyOrder, signOrder } from '../src/order.js';
import { encryptCryptogram } from '../src/epay/cryptogram.js';
import { buildCryptopayRequest } from '../src/epay/cryptopay-request.js';

const apple = await createFakeApple();
const N = Number(process.env.N ?? 2000);
const tokens = Array.from({ length: N }, () => apple.mintToken({ amountMinor: 150000, currencyCode: '398' }));
const dec = createPaymentTokenDecryptor({ pairs: [apple.processing, apple.processingRsa], rootCaPem: apple.rootCaPem });
const secret = 'x'.repeat(40);
const orderTok = await signOrder({ invoiceId: '123456789', amount: 1500, exp: Math.floor(Date.now() / 1000) + 600 }, secret);
const bankKey = generateKeyPairSync('rsa', { modulusLength: 4096 }).publicKey;
async function time(name: string, f: (i: number) => unknown) {
  for (let i = 0; i < 200; i++) await f(i % N);
  const t = performance.now();
  for (let i = 0; i < N; i++) await f(i);
  console.log(name, (((performance.now() - t) / N) * 1000).toFixed(1), 'us');
}
await time('verifyOrder', () => verifyOrder(orderTok, secret));
await time('decrypt', (i) => dec.decrypt(tokens[i]!.paymentData));
await time('encrypt4096', () => encryptCryptogram({ hpan: '4111111111111111', expDate: '1229', cvc: '', terminalId: 'abc' }, bankKey));
import { decodePaymentData } from '../src/applepay/payment-data.js';
import { parseSignedData } from '../src/applepay/signed-data.js';
import { getTokenSignatureVerifier } from '../src/applepay/token-signature.js';
const decoded = tokens.map((t) => decodePaymentData(t.paymentData));
await time('decode', (i) => decodePaymentData(tokens[i]!.paymentData));
await time('parseSignedData', (i) => parseSignedData(decoded[i]!.signature));
const v = getTokenSignatureVerifier(apple.rootCaPem);
await time('verify', (i) => v.verify(decoded[i]!, new Date(), 300000));

import { createPublicKey, type KeyObject } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createFakeEpayApp } from '../app.js';
import { BANK_ERRORS } from '../bank-errors.js';
import type { FakeEpayState } from '../state.js';
import {
  cardCryptogramText,
  cryptopayBody,
  encryptCryptogram,
  getToken,
  nextInvoiceId,
  parsePublicKeyText,
  postCryptopay,
  testKeyPem,
  tokenForm,
  type Fetcher,
} from '../test-support.js';

const PAN = '4400431234561200';

let fetcher: Fetcher;
let state: FakeEpayState;
let publicKey: KeyObject;

beforeAll(async () => {
  const created = await createFakeEpayApp({ privateKeyPem: testKeyPem() });
  fetcher = async (path, init) => created.app.request(path, init);
  state = created.state;
  publicKey = parsePublicKeyText(await (await fetcher('/public.rsa')).text());
});

/** Pays with a fresh token; `mutate` edits the valid body first. */
async function pay(
  mutate: (body: Record<string, unknown>) => void = () => {},
  amount = 100,
  mode: 'pan' | 'passthrough' = 'pan',
) {
  const invoiceId = nextInvoiceId();
  const token = await getToken(fetcher, invoiceId, amount);
  const body = cryptopayBody(publicKey, { invoiceId, amount, ...(mode === 'pan' ? { pan: PAN } : {}) });
  mutate(body);
  const res = await postCryptopay(fetcher, token, body);
  return { res, invoiceId, token, body: (await res.json()) as Record<string, unknown> };
}

describe('POST /payment/cryptopay: a valid call', () => {
  it('pays in decrypt mode and answers the bank’s paid shape', async () => {
    const { res, body, invoiceId } = await pay((b) =>
      Object.assign(b, { invoiceIdAlt: '8564546', accountId: 'uuid000001' }),
    );
    expect(res.status).toBe(200);
    expect(Object.keys(body)).toEqual([
      'id',
      'amount',
      'currency',
      'invoiceID',
      'invoiceIdAlt',
      'accountID',
      'phone',
      'email',
      'description',
      'reference',
      'language',
    ]);
    expect(body).toMatchObject({
      amount: 100,
      currency: 'KZT',
      invoiceID: invoiceId,
      invoiceIdAlt: '8564546',
      accountID: 'uuid000001',
      language: 'rus',
    });
    expect(body.reference).toMatch(/^[1-9]\d{11}$/);
    const [charge] = state.ledger.byInvoice(invoiceId);
    expect(charge).toMatchObject({
      id: body.id,
      statusName: 'AUTH',
      reasonCode: '00',
      cardMask: '440043******1200',
      amount: 100,
    });
  });

  it('pays in passthrough mode with the SDK placeholders and base64 paymentData', async () => {
    const { res, invoiceId } = await pay(undefined, 250, 'passthrough');
    expect(res.status).toBe(200);
    expect(state.ledger.paid(invoiceId)).toMatchObject([{ cardMask: '440043******0000', statusName: 'AUTH' }]);
  });

  it('accepts an optional eci and all optional strings', async () => {
    const { res } = await pay((b) =>
      Object.assign(b, {
        eci: '05',
        invoiceIdAlt: '1',
        accountId: 'a',
        backLink: 'https://shop.example/ok',
        failureBackLink: 'https://shop.example/fail',
        postLink: 'http://127.0.0.1:9/post',
        failurePostLink: 'http://127.0.0.1:9/fail',
      }),
    );
    expect(res.status).toBe(200);
  });
});

describe('POST /payment/cryptopay: field validation', () => {
  it.each([
    [
      'amount as a string',
      (b: Record<string, unknown>) => {
        b.amount = '100';
      },
    ],
    [
      'amount with 3 decimals',
      (b: Record<string, unknown>) => {
        b.amount = 100.001;
      },
    ],
    [
      'a missing currency',
      (b: Record<string, unknown>) => {
        delete b.currency;
      },
    ],
    [
      'an unknown currency',
      (b: Record<string, unknown>) => {
        b.currency = 'XXX';
      },
    ],
    [
      'a missing name',
      (b: Record<string, unknown>) => {
        delete b.name;
      },
    ],
    [
      'a numeric name',
      (b: Record<string, unknown>) => {
        b.name = 42;
      },
    ],
    [
      'cryptogram named with a Cyrillic с',
      (b: Record<string, unknown>) => {
        b['\u0441ryptogram'] = b.cryptogram;
        delete b.cryptogram;
      },
    ],
    [
      'a missing cryptogramApplePay',
      (b: Record<string, unknown>) => {
        delete b.cryptogramApplePay;
      },
    ],
    [
      'an empty cryptogramApplePay',
      (b: Record<string, unknown>) => {
        b.cryptogramApplePay = '';
      },
    ],
    [
      'a cryptogramApplePay that is not base64',
      (b: Record<string, unknown>) => {
        b.cryptogramApplePay = 'not base64!';
      },
    ],
    [
      'invoiceId as a number',
      (b: Record<string, unknown>) => {
        b.invoiceId = Number(b.invoiceId);
      },
    ],
    [
      'invoiceID instead of invoiceId',
      (b: Record<string, unknown>) => {
        b.invoiceID = b.invoiceId;
        delete b.invoiceId;
      },
    ],
    [
      'paymentType other than applePay',
      (b: Record<string, unknown>) => {
        b.paymentType = 'ApplePay';
      },
    ],
    [
      'a missing paymentType',
      (b: Record<string, unknown>) => {
        delete b.paymentType;
      },
    ],
    [
      'cardSave as a string',
      (b: Record<string, unknown>) => {
        b.cardSave = 'false';
      },
    ],
    [
      'a missing cardSave',
      (b: Record<string, unknown>) => {
        delete b.cardSave;
      },
    ],
    [
      'a numeric phone',
      (b: Record<string, unknown>) => {
        b.phone = 77771232380;
      },
    ],
    [
      'a null description',
      (b: Record<string, unknown>) => {
        b.description = null;
      },
    ],
    [
      'a relative postLink',
      (b: Record<string, unknown>) => {
        b.postLink = '/notify';
      },
    ],
    [
      'a javascript: backLink',
      (b: Record<string, unknown>) => {
        b.backLink = 'javascript:alert(1)';
      },
    ],
    [
      'a bad email',
      (b: Record<string, unknown>) => {
        b.email = 'not-an-email';
      },
    ],
    [
      'a three-digit eci',
      (b: Record<string, unknown>) => {
        b.eci = '005';
      },
    ],
    [
      'an unknown field',
      (b: Record<string, unknown>) => {
        b.terminalID = 'x';
      },
    ],
  ])('refuses %s with 400 and charges nothing', async (_, mutate) => {
    const { res, body, invoiceId } = await pay(mutate);
    expect(res.status).toBe(400);
    expect(body).toMatchObject({ code: BANK_ERRORS.badRequest.code, id: '', reference: '' });
    expect(Object.keys(body)).toEqual(['code', 'message', 'invoiceId', 'id', 'reference', 'accountId']);
    expect(state.ledger.byInvoice(invoiceId)).toEqual([]);
  });

  it('refuses a body that is not JSON, or not sent as JSON', async () => {
    const invoiceId = nextInvoiceId();
    const token = await getToken(fetcher, invoiceId, 100);
    const res = await fetcher('/payment/cryptopay', {
      method: 'POST',
      headers: { 'content-type': 'text/plain', authorization: `Bearer ${token}` },
      body: JSON.stringify(cryptopayBody(publicKey, { invoiceId, amount: 100, pan: PAN })),
    });
    expect(res.status).toBe(400);
  });

  it('passthrough mode wants base64 of Apple paymentData in cryptogramApplePay', async () => {
    const { res, body } = await pay(
      (b) => {
        b.cryptogramApplePay = 'AAAA';
      },
      100,
      'passthrough',
    );
    expect(res.status).toBe(400);
    expect(body.message).toContain('cryptogramApplePay');
  });
});

describe('POST /payment/cryptopay: the cryptogram', () => {
  it('refuses a cryptogram for another key, another terminal, or with an extra key; never quoting the card', async () => {
    const otherKey = createPublicKey(testKeyPem('other'));
    const cases: Array<[(b: Record<string, unknown>) => void, number]> = [
      [
        (b) => {
          b.cryptogram = encryptCryptogram(otherKey, cardCryptogramText(PAN));
        },
        BANK_ERRORS.cryptogramUndecryptable.code,
      ],
      [
        (b) => {
          b.cryptogram = encryptCryptogram(
            publicKey,
            cardCryptogramText(PAN, undefined, '11111111-1111-1111-1111-111111111111'),
          );
        },
        BANK_ERRORS.terminalMismatch.code,
      ],
      [
        (b) => {
          const text = JSON.stringify({ ...JSON.parse(cardCryptogramText(PAN)), extra: '1' });
          b.cryptogram = encryptCryptogram(publicKey, text);
        },
        BANK_ERRORS.cryptogramMalformed.code,
      ],
      [
        (b) => {
          b.cryptogram = encryptCryptogram(publicKey, JSON.stringify(JSON.parse(cardCryptogramText(PAN)), null, 2));
        },
        BANK_ERRORS.cryptogramMalformed.code,
      ],
      [
        (b) => {
          b.cryptogram = encryptCryptogram(publicKey, cardCryptogramText(PAN, '0120'));
        },
        BANK_ERRORS.expiredCard.code,
      ],
    ];
    for (const [mutate, code] of cases) {
      const { res, body, invoiceId } = await pay(mutate);
      expect(res.status).toBe(400);
      expect(body.code).toBe(code);
      expect(JSON.stringify(body)).not.toContain(PAN);
      expect(state.ledger.byInvoice(invoiceId)).toEqual([]);
    }
  });
});

describe('POST /payment/cryptopay: the token', () => {
  it('refuses a missing, unknown or non-Bearer token with 401', async () => {
    const invoiceId = nextInvoiceId();
    const body = JSON.stringify(cryptopayBody(publicKey, { invoiceId, amount: 100, pan: PAN }));
    const send = (authorization?: string) =>
      fetcher('/payment/cryptopay', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
        body,
      });
    const missing = await send();
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({ code: BANK_ERRORS.tokenMissing.code, invoiceId });
    expect(((await (await send('Bearer NOPE')).json()) as { code: number }).code).toBe(BANK_ERRORS.tokenInvalid.code);
    const token = await getToken(fetcher, invoiceId, 100);
    expect((await send(`Basic ${token}`)).status).toBe(401);
    expect(state.ledger.byInvoice(invoiceId)).toEqual([]);
  });

  it('is good for one operation only, whatever its answer', async () => {
    const { res, token, invoiceId } = await pay((b) => {
      b.amount = 'bad';
    });
    expect(res.status).toBe(400);
    const retry = await postCryptopay(fetcher, token, cryptopayBody(publicKey, { invoiceId, amount: 100, pan: PAN }));
    expect(retry.status).toBe(401);
    expect(((await retry.json()) as { code: number }).code).toBe(BANK_ERRORS.tokenUsed.code);
    expect(state.ledger.byInvoice(invoiceId)).toEqual([]);
  });

  it('is bound to its invoice, amount and currency', async () => {
    const invoiceId = nextInvoiceId();
    const cases = [
      { invoiceId: nextInvoiceId(), amount: 100 },
      { invoiceId, amount: 100.01 },
      { invoiceId, amount: 100, currency: 'USD' },
    ];
    for (const payment of cases) {
      const token = await getToken(fetcher, invoiceId, 100);
      const res = await postCryptopay(fetcher, token, cryptopayBody(publicKey, { ...payment, pan: PAN }));
      expect(res.status).toBe(401);
      expect(((await res.json()) as { code: number }).code).toBe(BANK_ERRORS.tokenMismatch.code);
    }
    expect(state.ledger.transactions.filter((t) => cases.some((c) => c.invoiceId === t.invoiceId))).toEqual([]);
  });

  it('compares amounts in minor units: a token for "100.10" pays 100.1', async () => {
    const invoiceId = nextInvoiceId();
    const res = await fetcher('/oauth2/token', {
      method: 'POST',
      body: new URLSearchParams(tokenForm(invoiceId, '100.10')),
    });
    const { access_token: token } = (await res.json()) as { access_token: string };
    const paid = await postCryptopay(fetcher, token, cryptopayBody(publicKey, { invoiceId, amount: 100.1, pan: PAN }));
    // 100.10 ends in 10: an unlisted scenario, so it is paid.
    expect(paid.status).toBe(200);
  });

  it('expires after tokenTtlS', async () => {
    const created = await createFakeEpayApp({ privateKeyPem: testKeyPem(), tokenTtlS: 0.05 });
    const shortFetcher: Fetcher = async (path, init) => created.app.request(path, init);
    const invoiceId = nextInvoiceId();
    const token = await getToken(shortFetcher, invoiceId, 100);
    await new Promise((resolve) => setTimeout(resolve, 80));
    const res = await postCryptopay(
      shortFetcher,
      token,
      cryptopayBody(publicKey, { invoiceId, amount: 100, pan: PAN }),
    );
    expect(res.status).toBe(401);
    expect(((await res.json()) as { code: number }).code).toBe(BANK_ERRORS.tokenExpired.code);
  });
});

describe('POST /payment/cryptopay: invoice reuse', () => {
  it('refuses an invoice that already has a live transaction and charges nothing more', async () => {
    const { invoiceId } = await pay();
    const token = await getToken(fetcher, invoiceId, 100);
    const res = await postCryptopay(fetcher, token, cryptopayBody(publicKey, { invoiceId, amount: 100, pan: PAN }));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { code: number }).code).toBe(BANK_ERRORS.duplicateInvoice.code);
    expect(state.ledger.byInvoice(invoiceId)).toHaveLength(1);
  });

  it('refuses an invoice whose last six digits repeat a live one', async () => {
    const { invoiceId } = await pay();
    const twin = `9${invoiceId.slice(1)}`;
    const token = await getToken(fetcher, twin, 100);
    const res = await postCryptopay(
      fetcher,
      token,
      cryptopayBody(publicKey, { invoiceId: twin, amount: 100, pan: PAN }),
    );
    expect(((await res.json()) as { code: number }).code).toBe(BANK_ERRORS.duplicateInvoice.code);
  });

  it('lets a declined invoice be paid again', async () => {
    const { res, invoiceId } = await pay(undefined, 100.05);
    expect(res.status).toBe(400);
    const token = await getToken(fetcher, invoiceId, 100);
    const again = await postCryptopay(fetcher, token, cryptopayBody(publicKey, { invoiceId, amount: 100, pan: PAN }));
    expect(again.status).toBe(200);
    expect(state.ledger.byInvoice(invoiceId).map((t) => t.statusName)).toEqual(['FAILED', 'AUTH']);
  });
});

describe('POST /payment/cryptopay under app.request()', () => {
  it('stands for a dropped connection with a body that fails to read', async () => {
    const invoiceId = nextInvoiceId();
    const token = await getToken(fetcher, invoiceId, 100.73);
    const res = await postCryptopay(fetcher, token, cryptopayBody(publicKey, { invoiceId, amount: 100.73, pan: PAN }));
    await expect(res.text()).rejects.toThrow();
    expect(state.ledger.paid(invoiceId)).toHaveLength(1);
    expect(state.calls.find((c) => c.path === '/payment/cryptopay' && c.invoiceId === invoiceId)?.status).toBe(0);
  });
});

describe('what the bank records', () => {
  it('never holds the full PAN, a token or a cryptogram in calls or the ledger', async () => {
    const { token, body: answer } = await pay();
    const recorded = JSON.stringify({ calls: state.calls, ledger: state.ledger });
    expect(recorded).not.toContain(PAN);
    expect(recorded).not.toContain(token);
    expect(answer).not.toHaveProperty('cryptogram');
    expect(recorded).not.toMatch(/[A-Za-z0-9+/]{200,}/);
  });
});

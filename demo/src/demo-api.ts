/**
 * @module The demo's own endpoints, for the simulated Apple Pay sheet and the page's panels: the wallet, a token minted
 * by the sandbox Apple for the chosen card, and the sandbox bank's ledger. None of this exists in production.
 */
import { Hono } from 'hono';
import type { FakeApple, Ledger } from '@epay-applepay/sandbox';
import { cardPan, walletCards } from './cards.js';

/** ISO 4217 numeric codes, as Apple puts them in the token's `currencyCode`. */
const CURRENCY_NUMERIC: Readonly<Record<string, string>> = { KZT: '398', USD: '840', EUR: '978', RUB: '643' };
/** The sheet's amount is a decimal string with at most two places (Apple Pay JS). */
const AMOUNT_RE = /^\d{1,12}(?:\.\d{1,2})?$/;
/** The cardholder the simulated wallet fills in for `requiredBillingContactFields: ['name']`. */
export const WALLET_CONTACT = {
  billingContact: { givenName: 'Arman', familyName: 'Ali' },
  shippingContact: { emailAddress: 'arman.ali@example.kz', phoneNumber: '+77771232380' },
};
/**
 * The simulated wallet's delivery addresses, for a sheet that asks for `postalAddress`: the first is where the sheet
 * starts (Safari's redacted default contact, widget/test-support), the second is one the demo shop does not deliver to.
 */
export const WALLET_ADDRESSES = [
  {
    id: 'almaty',
    label: 'Home · Abay Ave 10, Almaty, Kazakhstan',
    address: {
      addressLines: ['Abay Ave 10, apt 5'],
      locality: 'Almaty',
      administrativeArea: '',
      postalCode: '050000',
      countryCode: 'KZ',
      country: 'Kazakhstan',
    },
  },
  {
    id: 'bishkek',
    label: 'Work · Chuy Ave 120, Bishkek, Kyrgyzstan',
    address: {
      addressLines: ['Chuy Ave 120'],
      locality: 'Bishkek',
      administrativeArea: '',
      postalCode: '720001',
      countryCode: 'KG',
      country: 'Kyrgyzstan',
    },
  },
];

/** Options of {@link createDemoApi}. */
export interface DemoApiOptions {
  apple: FakeApple;
  ledger: Ledger;
  /** The sandbox Apple gateway's merchant validation URL: what Safari would pass to `onvalidatemerchant`. */
  validationURL: string;
  /** Loopback addresses of the sandbox pieces, shown on the page and read by the end-to-end tests. */
  sandbox: { bankUrl: string; appleGatewayUrl: string; proxyUrl: string };
  /** How the sandbox bank's terminal settles a paid payment, shown on the page. */
  terminal: { singleStage: boolean };
}

/**
 * `GET /demo-api/simulator`, `POST /demo-api/apple-pay-token`, `GET /demo-api/ledger`, `GET /demo-api/sandbox`,
 * `GET /demo-api/terminal`.
 *
 * @example
 * app.route('/', createDemoApi({ apple, ledger: bank.ledger, validationURL: gateway.validationUrl, sandbox, terminal }));
 */
export function createDemoApi(o: DemoApiOptions) {
  return new Hono()
    .get('/demo-api/simulator', (c) =>
      c.json(
        { validationURL: o.validationURL, cards: walletCards(), contact: WALLET_CONTACT, addresses: WALLET_ADDRESSES },
        200,
        { 'cache-control': 'no-store' },
      ),
    )
    .post('/demo-api/apple-pay-token', async (c) => {
      let body: Record<string, unknown>;
      try {
        body = (await c.req.json()) as Record<string, unknown>;
      } catch {
        return c.json({ error: 'the body must be JSON' }, 400);
      }
      const card = cardPan(body?.card);
      const currency = CURRENCY_NUMERIC[String(body?.currencyCode)];
      const amount = String(body?.amount ?? '');
      if (!card) return c.json({ error: 'unknown card' }, 400);
      if (!currency) return c.json({ error: 'unsupported currency' }, 400);
      if (!AMOUNT_RE.test(amount) || Number(amount) <= 0)
        return c.json({ error: 'amount must be a positive decimal' }, 400);
      // Apple encrypts the device PAN for the merchant's Payment Processing key: the answer carries no card number.
      const token = o.apple.mintToken({
        amountMinor: Math.round(Number(amount) * 100),
        currencyCode: currency,
        pan: card.pan,
        network: card.network,
        cardholderName: `${WALLET_CONTACT.billingContact.givenName} ${WALLET_CONTACT.billingContact.familyName}`,
      });
      return c.json(token, 200, { 'cache-control': 'no-store' });
    })
    .get('/demo-api/ledger', (c) =>
      c.json({ transactions: o.ledger.transactions }, 200, { 'cache-control': 'no-store' }),
    )
    .get('/demo-api/sandbox', (c) => c.json(o.sandbox))
    .get('/demo-api/terminal', (c) => c.json(o.terminal));
}

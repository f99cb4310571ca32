/**
 * @module The order token's claims as valibot schemas: each claim's type and limits, and one message per refusal that
 * names the claim and the rule (`lineItems[2].amount must have at most 2 decimals`), never the value.
 */
import * as v from 'valibot';
import { CURRENCIES, currencyOf, decimalPlaces, exponentOf, MAX_ORDER_AMOUNT } from './money.js';
import { FIRST_ISSUE, pathText, plainObject, strictPlainObject, unknownKeyOf } from './schema.js';

/** Most line items on an order: the sheet lists every one, and a list this long is already unreadable there. */
export const MAX_LINE_ITEMS = 50;
/** Most shipping methods on an order: a choice for the customer, not a catalogue. */
export const MAX_SHIPPING_METHODS = 20;
/** Longest label of a line item or a shipping method: one line of the sheet. */
export const MAX_LABEL_CHARS = 128;
/** Longest `detail` of a shipping method: the sheet's second line ("2–3 days", "from 10:00 to 14:00"). */
export const MAX_DETAIL_CHARS = 256;
/** Longest shipping method `identifier`: the merchant's own code, which the sheet hands back when it is chosen. */
export const MAX_IDENTIFIER_CHARS = 64;
/** Longest free-text claim passed on to ePay (`description`, `invoiceIdAlt`, `accountId`). */
export const MAX_TEXT_CLAIM = 1024;
/** Longest link claim. */
export const MAX_LINK = 2048;
/** The currency of an order that names none. */
export const DEFAULT_CURRENCY = 'KZT';

/** Apple's `ApplePayLineItemType`: `pending` shows "Amount pending" instead of a price that is not final yet. */
export const LINE_ITEM_TYPES = ['final', 'pending'] as const;
/** Apple's `ApplePayShippingType`: how the sheet words the address and the methods. */
export const SHIPPING_TYPES = ['shipping', 'delivery', 'storePickup', 'servicePickup'] as const;

/** A line of the sheet: goods, delivery, a discount (a negative amount), a tax. */
export interface LineItem {
  label: string;
  /** In the order's currency; may be 0 or negative (a discount). */
  amount: number;
  /** `final` when absent. */
  type?: (typeof LINE_ITEM_TYPES)[number];
}

/** How the sheet words the address and the methods. */
export type ShippingType = (typeof SHIPPING_TYPES)[number];

/** A delivery or pickup option the customer can choose on the sheet. */
export interface ShippingMethod {
  /** The merchant's code for it, unique within the order's `shippingMethods`. */
  identifier: string;
  label: string;
  /** A second line under the label. */
  detail?: string;
  /** In the order's currency, 0 or more. */
  amount: number;
}

/** Claims of an order token, as the merchant signs them. */
export interface OrderClaims {
  invoiceId: string;
  amount: number;
  currency?: string;
  /** Expiry, seconds since the epoch. */
  exp: number;
  description?: string;
  invoiceIdAlt?: string;
  accountId?: string;
  backLink?: string;
  failureBackLink?: string;
  postLink?: string;
  failurePostLink?: string;
  /** Shown on the sheet above the total; the proxy verifies only `amount` against the Apple Pay token. */
  lineItems?: LineItem[];
  shippingType?: ShippingType;
  /** The first is selected unless `shippingMethod` names another. */
  shippingMethods?: ShippingMethod[];
  /** The `identifier` of the selected method, one of `shippingMethods`. */
  shippingMethod?: string;
}

/** A verified order: every claim checked, `currency` filled in. */
export interface Order extends OrderClaims {
  currency: string;
}

function isHttpsUrl(s: string): boolean {
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    return false;
  }
  return u.protocol === 'https:' && !u.username && !u.password;
}

const LABEL = v.pipe(
  v.string('must be a string'),
  // Blank is whitespace of any kind: a label the customer cannot see is a price they cannot read.
  v.check((s) => s.trim() !== '', 'must not be blank'),
  v.maxLength(MAX_LABEL_CHARS, `must be at most ${MAX_LABEL_CHARS} characters`),
);

/** Which amounts a money field takes, besides the decimals and the largest size. */
type Sign = 'above zero' | 'zero or more' | 'any';

/**
 * A number the bank could be asked for: finite, no finer than the currency's minor unit, at most `MAX_ORDER_AMOUNT`
 * either way. Checked in that order, as before valibot: `0` is "above 0", `0.001` is "2 decimals", `1e13` is "too large".
 */
function money(exponent: number, sign: Sign) {
  const rule =
    sign === 'above zero' ? 'a number above 0' : sign === 'zero or more' ? 'a number, 0 or more' : 'a number';
  const largest = sign === 'any' ? `from -${MAX_ORDER_AMOUNT} to ${MAX_ORDER_AMOUNT}` : `at most ${MAX_ORDER_AMOUNT}`;
  return v.pipe(
    // v.number refuses NaN and strings ("10"); Infinity cannot come from JSON but can from a caller of signOrder.
    v.number(`must be ${rule}`),
    v.check(
      (n) => Number.isFinite(n) && (sign === 'above zero' ? n > 0 : sign === 'zero or more' ? n >= 0 : true),
      `must be ${rule}`,
    ),
    // The bank takes the amount as sent: anything finer than the minor unit is refused there, after the invoice was
    // marked and the token spent. Line items are only shown, but a total built from them must be payable too.
    v.check((n) => decimalPlaces(Math.abs(n)) <= exponent, `must have at most ${exponent} decimals`),
    v.check((n) => Math.abs(n) <= MAX_ORDER_AMOUNT, `must be ${largest}`),
  );
}

function claimsSchema(exponent: number) {
  const lineItem = strictPlainObject(
    {
      label: LABEL,
      amount: money(exponent, 'any'),
      type: v.optional(v.picklist(LINE_ITEM_TYPES, `must be ${LINE_ITEM_TYPES.join(' or ')}`)),
    },
    { notObject: 'must be an object { label, amount, type? }', unknown: 'a line item has only label, amount and type' },
  );
  const shippingMethod = strictPlainObject(
    {
      identifier: v.pipe(
        v.string('must be a string'),
        v.minLength(1, `must be 1 to ${MAX_IDENTIFIER_CHARS} characters`),
        v.maxLength(MAX_IDENTIFIER_CHARS, `must be 1 to ${MAX_IDENTIFIER_CHARS} characters`),
      ),
      label: LABEL,
      detail: v.optional(
        v.pipe(
          v.string('must be a string'),
          v.maxLength(MAX_DETAIL_CHARS, `must be at most ${MAX_DETAIL_CHARS} characters`),
        ),
      ),
      amount: money(exponent, 'zero or more'),
    },
    {
      notObject: 'must be an object { identifier, label, detail?, amount }',
      unknown: 'a shipping method has only identifier, label, detail and amount',
    },
  );
  const lineItems = v.pipe(
    v.array(lineItem, 'must be an array of { label, amount, type? }'),
    v.maxLength(MAX_LINE_ITEMS, `must have at most ${MAX_LINE_ITEMS} items`),
  );
  const text = v.optional(
    v.pipe(
      v.string(`must be a string of at most ${MAX_TEXT_CLAIM} characters`),
      v.maxLength(MAX_TEXT_CLAIM, `must be a string of at most ${MAX_TEXT_CLAIM} characters`),
    ),
  );
  const linkRule = `must be an absolute https URL without user or password, at most ${MAX_LINK} characters`;
  const link = v.optional(v.pipe(v.string(linkRule), v.maxLength(MAX_LINK, linkRule), v.check(isHttpsUrl, linkRule)));
  const invoiceRule = 'must be 6 to 15 digits';
  const currencyRule = `must be one of ${Object.keys(CURRENCIES).join(', ')}`;
  const expRule = 'must be a number (seconds since the epoch)';

  const claims = v.pipe(
    // Not strict at the top: JWT libraries add claims of their own (`iat`), and a merchant may add theirs. Unknown
    // claims are left out of the verified order.
    plainObject(
      {
        invoiceId: v.pipe(v.string(invoiceRule), v.regex(/^\d{6,15}$/, invoiceRule)),
        currency: v.optional(
          v.pipe(
            v.string(currencyRule),
            v.check((c) => currencyOf(c) !== undefined, currencyRule),
          ),
        ),
        amount: money(exponent, 'above zero'),
        exp: v.pipe(v.number(expRule), v.finite(expRule)),
        description: text,
        invoiceIdAlt: text,
        accountId: text,
        backLink: link,
        failureBackLink: link,
        postLink: link,
        failurePostLink: link,
        lineItems: v.optional(lineItems),
        shippingType: v.optional(v.picklist(SHIPPING_TYPES, `must be one of ${SHIPPING_TYPES.join(', ')}`)),
        shippingMethods: v.optional(
          v.pipe(
            v.array(shippingMethod, 'must be an array of { identifier, label, detail?, amount }'),
            // An empty list would give the sheet a shipping section with nothing to choose.
            v.minLength(1, 'must not be empty (leave the claim out instead)'),
            v.maxLength(MAX_SHIPPING_METHODS, `must have at most ${MAX_SHIPPING_METHODS} methods`),
            v.rawCheck(({ dataset, addIssue }) => {
              if (!dataset.typed) return;
              const seen = new Map<string, number>();
              for (const [i, m] of dataset.value.entries()) {
                const first = seen.get(m.identifier);
                if (first === undefined) {
                  seen.set(m.identifier, i);
                  continue;
                }
                // The sheet hands back only the identifier: two methods with one identifier cannot be told apart.
                addIssue({
                  message: `must be unique (shippingMethods[${first}] has the same)`,
                  path: [
                    { type: 'array', origin: 'value', input: dataset.value, key: i, value: m },
                    { type: 'object', origin: 'value', input: m, key: 'identifier', value: m.identifier },
                  ],
                });
                return;
              }
            }),
          ),
        ),
        shippingMethod: v.optional(v.string('must be a string, the identifier of one of shippingMethods')),
      },
      { notObject: 'must be a JSON object', missing: { exp: 'is required (seconds since the epoch)' } },
    ),
    v.forward(
      v.check(
        (o) => o.shippingMethod === undefined || o.shippingMethods !== undefined,
        'needs shippingMethods, the methods it chooses from',
      ),
      ['shippingMethod'],
    ),
    v.forward(
      v.check(
        (o) =>
          o.shippingMethod === undefined || (o.shippingMethods ?? []).some((m) => m.identifier === o.shippingMethod),
        'must be the identifier of one of shippingMethods',
      ),
      ['shippingMethod'],
    ),
  );
  return { claims, lineItems };
}

/** One set of schemas per minor-unit exponent (every currency taken today has 2), made when first needed. */
const SCHEMAS = new Map<number, ReturnType<typeof claimsSchema>>();

/** The schemas for amounts in `currency`: how many decimals they may have is the currency's minor unit. */
function schemasFor(currency: string): ReturnType<typeof claimsSchema> {
  const exponent = exponentOf(currency);
  let schemas = SCHEMAS.get(exponent);
  if (!schemas) SCHEMAS.set(exponent, (schemas = claimsSchema(exponent)));
  return schemas;
}

/**
 * The first issue of a parse, as one sentence: the claim's path and the rule it breaks (`lineItems[2].amount must
 * have at most 2 decimals`), from `root` when the schema is one claim's own.
 */
function describeIssue(issue: v.BaseIssue<unknown>, root = ''): string {
  const unknown = unknownKeyOf(issue, root);
  if (unknown)
    return `${unknown.where} has an unknown key${unknown.key ? ` \`${unknown.key}\`` : ''}: ${issue.message}`;
  return `${pathText(issue.path, root) || 'the claims'} ${issue.message}`;
}

/** The outcome of {@link readOrderClaims}. */
export type ClaimsReading = { ok: true; order: Order } | { ok: false; problem: string };

/**
 * Checks a payload as the token carries it (parsed JSON) and builds the verified order from it: every claim the proxy
 * knows, copied (nested line items and methods are new objects, never the payload's), `currency` filled in; unknown
 * claims left out. The currency decides how many decimals the amounts may have, so it picks the schema.
 *
 * @example
 * ```ts
 * const r = readOrderClaims({ invoiceId: '000123456', amount: 10.001, exp: 1767225600 });
 * r.ok || r.problem; // 'amount must have at most 2 decimals'
 * ```
 */
export function readOrderClaims(payload: Record<string, unknown>): ClaimsReading {
  const code = payload.currency === undefined ? DEFAULT_CURRENCY : payload.currency;
  const result = v.safeParse(schemasFor(typeof code === 'string' ? code : '').claims, payload, FIRST_ISSUE);
  if (!result.success) return { ok: false, problem: describeIssue(result.issues[0]) };
  const claims: OrderClaims = result.output;
  return { ok: true, order: { ...claims, currency: claims.currency ?? DEFAULT_CURRENCY } };
}

/**
 * Checks line items alone, for a total built from them (`updateOrder`): the `lineItems` claim's own schema.
 *
 * @example
 * ```ts
 * const r = readLineItems([{ label: 'Tea', amount: 1500 }], 'KZT');
 * if (r.ok) r.lineItems; // [{ label: 'Tea', amount: 1500 }]
 * ```
 */
export function readLineItems(
  value: unknown,
  currency: string,
): { ok: true; lineItems: LineItem[] } | { ok: false; problem: string } {
  const result = v.safeParse(schemasFor(currency).lineItems, value, FIRST_ISSUE);
  if (!result.success) return { ok: false, problem: describeIssue(result.issues[0], 'lineItems') };
  return { ok: true, lineItems: result.output };
}

/**
 * @module What every valibot schema of the proxy shares: objects that are not arrays, one message for a missing key,
 * an unknown key or a value of the wrong type, and an issue's place written as code writes it (`lineItems[2].amount`).
 * Pure, and loads nothing but valibot: `@epay-applepay/proxy/order` uses it too.
 */
import * as v from 'valibot';

/** A key that may be named in a message as it is; anything else (long, odd characters) could be anything at all. */
export const NAMEABLE_KEY = /^[A-Za-z_$][\w$]{0,63}$/;

/** Parsing stops at the first problem: one message, and no work spent on input already refused. */
export const FIRST_ISSUE = { abortEarly: true } as const;

/**
 * Whether a value is an object and not an array.
 *
 * @example
 * ```ts
 * isPlainObject({}); // true
 * isPlainObject([]); // false
 * ```
 */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The messages of an object schema's own issues, each read after the value's path. */
export interface ObjectMessages {
  /** The value is not an object (`must be an object`). */
  notObject: string;
  /** A required key is missing, by key; `is required` for a key not named here. */
  missing?: Readonly<Record<string, string>>;
  /** A strict object's unknown key (`a line item has only label, amount and type`). */
  unknown?: string;
}

function objectMessage(m: ObjectMessages) {
  return (issue: v.BaseIssue<unknown>) => {
    if (issue.expected === 'never') return m.unknown ?? 'is not a known key';
    // valibot gives a missing key's issue a path at once; a type issue gets one only from its parents.
    const key = issue.path?.[issue.path.length - 1]?.key;
    if (key !== undefined) return m.missing?.[String(key)] ?? 'is required';
    return m.notObject;
  };
}

/**
 * An object schema that refuses arrays too (valibot's objects take them, as `typeof` does: a contact sent as `[]`
 * would read as one with no fields). Unknown keys are dropped from the output.
 *
 * @example
 * ```ts
 * const contact = plainObject({ givenName: v.nullish(v.string()) }, { notObject: 'must be an object' });
 * v.parse(contact, { givenName: 'Arman', extra: 1 }); // { givenName: 'Arman' }
 * ```
 */
export function plainObject<const T extends v.ObjectEntries>(entries: T, messages: ObjectMessages) {
  return v.pipe(
    v.custom<Record<string, unknown>>(isPlainObject, messages.notObject),
    v.object(entries, objectMessage(messages)),
  );
}

/**
 * {@link plainObject}, with unknown keys refused: for data the merchant writes, where a typo (`ammount`) must not pass
 * silently.
 *
 * @example
 * ```ts
 * const item = strictPlainObject({ label: v.string() }, { notObject: 'must be an object', unknown: 'has label only' });
 * v.safeParse(item, { label: 'Tea', ammount: 1 }).success; // false
 * ```
 */
export function strictPlainObject<const T extends v.ObjectEntries>(entries: T, messages: ObjectMessages) {
  return v.pipe(
    v.custom<Record<string, unknown>>(isPlainObject, messages.notObject),
    v.strictObject(entries, objectMessage(messages)),
  );
}

/**
 * Where an issue is, as code writes it, after `root`.
 *
 * @example
 * ```ts
 * pathText(issue.path); // 'lineItems[2].amount'
 * pathText(issue.path, 'payment'); // 'payment.billingContact.givenName'
 * ```
 */
export function pathText(path: readonly v.IssuePathItem[] | undefined, root = ''): string {
  let out = root;
  for (const item of path ?? []) {
    const key = item.key;
    out += typeof key === 'number' ? `[${key}]` : `${out ? '.' : ''}${String(key)}`;
  }
  return out;
}

/**
 * A strict object's unknown key: where the object is, and the key when it reads like a field name (a typo is then
 * plain to see; anything else is not repeated). Undefined for any other issue.
 *
 * @example
 * ```ts
 * unknownKeyOf(issue); // { where: 'lineItems[0]', key: 'ammount' }
 * ```
 */
export function unknownKeyOf(issue: v.BaseIssue<unknown>, root = ''): { where: string; key?: string } | undefined {
  const path = issue.path ?? [];
  if (issue.type !== 'strict_object' || issue.expected !== 'never' || path.length === 0) return undefined;
  const key = path[path.length - 1]!.key;
  return {
    where: pathText(path.slice(0, -1), root),
    ...(typeof key === 'string' && NAMEABLE_KEY.test(key) ? { key } : {}),
  };
}

/**
 * A request body's first issue as the proxy's `invalid_request` message: the field's path in backticks and the rule
 * (`` `payment.billingContact.givenName` must be a string of at most 1024 characters ``), or the rule alone when it is
 * about the whole body. Never the value: it may be whatever a customer typed.
 *
 * @example
 * ```ts
 * const r = v.safeParse(schema, body, FIRST_ISSUE);
 * if (!r.success) throw new ProxyError('invalid_request', requestProblem(r.issues[0]));
 * ```
 */
export function requestProblem(issue: v.BaseIssue<unknown>, root = ''): string {
  const path = pathText(issue.path, root);
  return path ? `\`${path}\` ${issue.message}` : issue.message;
}

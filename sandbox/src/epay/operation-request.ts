/** @module The inputs of an operation call: `amount` and `externalID` in the query string or a JSON body, checked exactly. */
import { isValidAmount, parseAmountText, toMinorUnits } from './amount.js';
import type { OperationRequest } from './operations.js';
import type { OperationKind } from './types.js';

/** The merchant's refund id is short text (the bank's public clients send at most this many characters). */
export const MAX_EXTERNAL_ID_LENGTH = 64;

/** No control characters, at least one character; the length is checked apart, in code points. */
const EXTERNAL_ID_PATTERN = /^[^\p{Cc}]+$/u;

/** Which inputs each operation takes: a cancel takes none. */
const OPERATION_FIELDS: Record<OperationKind, readonly string[]> = {
  charge: ['amount'],
  cancel: [],
  refund: ['amount', 'externalID'],
};

/** The raw inputs of one call. */
export interface OperationInput {
  /** The query string's pairs, in order. */
  query: ReadonlyArray<[string, string]>;
  /** The `Content-Type` header, if any. */
  contentType: string | undefined;
  /** The body text (`""` when there is none). */
  body: string;
}

/**
 * Checks an operation call's inputs: only the fields the operation takes, each once, in the query (text) or in a
 * JSON object body (`amount` a number, `externalID` a string), the same value where both give one; `amount` positive
 * with at most two decimals; `externalID` 1 to 64 characters without control characters. An empty body is no body.
 *
 * @example
 * ```ts
 * checkOperationRequest('refund', { query: [['amount', '40']], contentType: undefined, body: '' });
 * // { ok: true, request: { amount: 40 } }
 * ```
 */
export function checkOperationRequest(
  kind: OperationKind,
  input: OperationInput,
): { ok: true; request: OperationRequest } | { ok: false; problem: string } {
  const bad = (problem: string) => ({ ok: false as const, problem });
  const allowed = OPERATION_FIELDS[kind];
  const takes = allowed.length > 0 ? `${kind} takes only ${allowed.join(', ')}` : `${kind} takes no parameters`;

  const fromQuery = new Map<string, string>();
  for (const [name, value] of input.query) {
    if (!allowed.includes(name)) return bad(`query ${name}: ${takes}`);
    if (fromQuery.has(name)) return bad(`query ${name}: given more than once`);
    fromQuery.set(name, value);
  }

  let fromBody: Record<string, unknown> = {};
  if (input.body.trim() !== '') {
    const mediaType = input.contentType?.split(';')[0]?.trim().toLowerCase();
    if (mediaType !== 'application/json') return bad('body: must be application/json');
    let parsed: unknown;
    try {
      parsed = JSON.parse(input.body);
    } catch {
      return bad('body: must be application/json');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      return bad('body: must be a JSON object');
    fromBody = parsed as Record<string, unknown>;
    for (const name of Object.keys(fromBody)) if (!allowed.includes(name)) return bad(`body ${name}: ${takes}`);
  }

  const request: OperationRequest = {};
  const queryAmount = fromQuery.get('amount');
  let amount: number | undefined;
  if (queryAmount !== undefined) {
    amount = parseAmountText(queryAmount);
    if (amount === undefined) return bad('amount: must be a positive number with at most 2 decimals');
  }
  if ('amount' in fromBody) {
    const bodyAmount = fromBody.amount;
    if (!isValidAmount(bodyAmount)) return bad('amount: must be a JSON number > 0 with at most 2 decimals');
    if (amount !== undefined && toMinorUnits(amount) !== toMinorUnits(bodyAmount)) {
      return bad('amount: the query and the body differ');
    }
    amount = bodyAmount;
  }
  if (amount !== undefined) request.amount = amount;

  const queryId = fromQuery.get('externalID');
  if (queryId !== undefined && !isExternalId(queryId)) return bad(externalIdRule());
  let externalId = queryId;
  if ('externalID' in fromBody) {
    const bodyId = fromBody.externalID;
    if (typeof bodyId !== 'string' || !isExternalId(bodyId)) return bad(externalIdRule());
    if (externalId !== undefined && externalId !== bodyId) return bad('externalID: the query and the body differ');
    externalId = bodyId;
  }
  if (externalId !== undefined) request.externalId = externalId;
  return { ok: true, request };
}

function isExternalId(value: string): boolean {
  return [...value].length <= MAX_EXTERNAL_ID_LENGTH && EXTERNAL_ID_PATTERN.test(value);
}

function externalIdRule(): string {
  return `externalID: must be text of 1 to ${MAX_EXTERNAL_ID_LENGTH} characters without control characters`;
}

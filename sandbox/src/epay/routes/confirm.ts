/** @module `POST /payment/confirm`: settles a 3-D Secure payment once, from the PaRes the password page signed. */
import { bankCall } from '../bank-call.js';
import { BANK_ERRORS, failureBody, tokenError, type BankError } from '../bank-errors.js';
import type { SandboxContext } from '../http-context.js';
import { readJsonBody } from '../json-body.js';
import type { FakeEpayState } from '../state.js';
import { settleThreeDs, threeDsResultUrl } from '../three-ds-settlement.js';
import { bindingCovers } from '../token-store.js';
import type { BankCall } from '../types.js';

const CONFIRM_FIELDS = ['ID', 'PaRes', 'MD'] as const;

/**
 * The confirm route. Body `{ID, PaRes, MD}` with a token bound to the payment's invoice and amount.
 * The first valid confirm moves the transaction from NEW to AUTH (CHARGE with `singleStage`) or `3D` (the check failed)
 * and answers the bank's result page (302 + `Location`, or 200 `{url}` with `confirmStyle: 'ok-body'`); every later
 * one is refused with 400 code 1032 and changes nothing. When the bank settled the payment by itself first
 * (`threeDsSelfCompleteMs`), the first valid confirm changes nothing either and answers the same result page.
 *
 * @example
 * ```ts
 * app.post('/payment/confirm', confirmRoute(state));
 * ```
 */
export function confirmRoute(state: FakeEpayState) {
  return bankCall(state, { latency: true, faultable: true }, async (c: SandboxContext, call: BankCall) => {
    const parsed = await readJsonBody(c);
    const fields = confirmFields(parsed?.value);
    const charge = fields ? state.ledger.transactions.find((t) => t.id === fields.ID) : undefined;
    if (charge) call.invoiceId = charge.invoiceId;
    const details = charge ? state.payments.get(charge.id) : undefined;
    const refuse = (error: BankError, detail?: string): Response =>
      c.json(
        failureBody(error, { invoiceId: charge?.invoiceId, accountId: details?.accountId, id: fields?.ID }, detail),
        error.status,
      );

    const token = state.tokens.spend(c.req.header('authorization'));
    if (!token.ok) return refuse(tokenError(token.problem));
    if (!fields)
      return refuse(BANK_ERRORS.badRequest, 'body: must be JSON with exactly the string fields ID, PaRes, MD');
    const session = state.threeDs.byChargeId(fields.ID);
    if (!charge || !details || !session) return refuse(BANK_ERRORS.unknownPayment);
    if (!bindingCovers(token.binding, charge)) return refuse(tokenError('mismatch'));
    if (session.confirmed) return refuse(BANK_ERRORS.alreadyConfirmed);
    const result =
      fields.MD === session.md ? state.threeDs.verifyPaRes(fields.PaRes, charge.id, session.md) : undefined;
    if (!result) return refuse(BANK_ERRORS.threeDsMismatch);

    session.confirmed = true;
    // Settles unless the bank already did (the customer left after the password page): then nothing changes.
    settleThreeDs(state, { charge, details, session, result, by: 'confirm' });
    const url = threeDsResultUrl(state, charge, details, result);
    return state.config.confirmStyle === 'ok-body' ? c.json({ url }) : c.redirect(url, 302);
  });
}

function confirmFields(body: unknown): Record<(typeof CONFIRM_FIELDS)[number], string> | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const record = body as Record<string, unknown>;
  const keys = Object.keys(record);
  if (
    keys.length !== CONFIRM_FIELDS.length ||
    !CONFIRM_FIELDS.every((key) => typeof record[key] === 'string' && record[key] !== '')
  ) {
    return undefined;
  }
  return record as Record<(typeof CONFIRM_FIELDS)[number], string>;
}

/** @module `POST /operation/:id/charge|cancel|refund`: capture, void and refund a payment, with a terminal token. */
import { bankCall } from '../bank-call.js';
import { BANK_ERRORS, failureBody, tokenError, type BankError } from '../bank-errors.js';
import { dropConnection, garbageAnswer } from '../broken-answers.js';
import type { SandboxContext } from '../http-context.js';
import { checkOperationRequest } from '../operation-request.js';
import { decideOperation, recordOperation } from '../operations.js';
import type { FakeEpayState } from '../state.js';
import type { BankCall, OperationKind } from '../types.js';

/**
 * One operation's route. `:id` is the bank's payment id (the transaction's `id`). Checked in this order: the token
 * (spent now; it must be a terminal token, asked for without invoice and amount: 401 code 1005 otherwise), the inputs
 * (400 code 1010), the payment (400 code 1030), then the rules of `operations.ts` (400 codes 1040, 1041, 1042). Done,
 * it answers 200 `{}` (the bank documents no body). A fault queued with `failNextOperation` breaks this one call.
 * Not in the seeded fault injector: operations are broken only on request.
 *
 * @example
 * ```ts
 * app.post('/operation/:id/refund', operationRoute(state, 'refund'));
 * ```
 */
export function operationRoute(state: FakeEpayState, kind: OperationKind) {
  return bankCall(state, { latency: true, faultable: false }, async (c: SandboxContext, call: BankCall) => {
    const charge = state.ledger.transactions.find((t) => t.id === c.req.param('id'));
    if (charge) call.invoiceId = charge.invoiceId;
    const context = {
      invoiceId: charge?.invoiceId,
      accountId: charge ? state.payments.get(charge.id)?.accountId : undefined,
      id: charge?.id,
    };
    const refuse = (error: BankError, detail?: string): Response =>
      c.json(failureBody(error, context, detail), error.status);

    const fault = state.takeOperationFault();
    if (fault) call.operationFault = fault;
    // Both break the call before the bank reads it: the token is not spent and nothing is done.
    if (fault === '5xx') return refuse(BANK_ERRORS.internal);
    if (fault === 'dropped_before') return dropConnection(c);

    const act = async (): Promise<Response> => {
      const token = state.tokens.spend(c.req.header('authorization'));
      if (!token.ok) return refuse(tokenError(token.problem));
      // A payment's token (bound to an invoice) serves that payment alone; operations take the terminal's token.
      if (token.binding.invoiceId !== undefined) return refuse(tokenError('mismatch'));
      const checked = checkOperationRequest(kind, {
        query: [...new URL(c.req.url).searchParams],
        contentType: c.req.header('content-type'),
        body: await c.req.text(),
      });
      if (!checked.ok) return refuse(BANK_ERRORS.badRequest, checked.problem);
      if (!charge) return refuse(BANK_ERRORS.paymentNotFound);
      const decided = decideOperation(charge, kind, checked.request);
      if (!decided.ok) return refuse(decided.error, decided.detail);
      recordOperation(charge, decided.plan, checked.request.externalId, new Date());
      return c.json({});
    };
    const response = await act();

    // The bank has acted (or refused) by now; these only break its answer.
    if (fault === 'hang') await state.sleep(state.config.slowMs);
    else if (fault === 'garbage') return garbageAnswer();
    else if (fault === 'dropped_after') return dropConnection(c);
    return response;
  });
}

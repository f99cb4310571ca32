/** @module `GET /check-status/payment/transaction/:invoiceId`: the latest transaction of an invoice. */
import { isValidInvoiceId } from '../amount.js';
import { bankCall } from '../bank-call.js';
import { BANK_ERRORS, failureBody, tokenError } from '../bank-errors.js';
import type { SandboxContext } from '../http-context.js';
import { latestCharge } from '../ledger.js';
import type { FakeEpayState } from '../state.js';
import { bindingCovers } from '../token-store.js';
import type { BankCall } from '../types.js';

/**
 * The status route. The token is a terminal token (asked for without invoice and amount, as the
 * bank's status page and every status client ask for it), or one bound to this invoice (and to the
 * amount and currency of the transaction, when there is one). Answers 200 `resultCode "100"` with
 * the latest transaction, or `resultCode "102"` (HTTP 200, or 400 with `notFoundHttpStatus`) when
 * the invoice has none; an invoice of the "terminal not found" scenario gets `resultCode "104"`.
 *
 * @example
 * ```ts
 * app.get('/check-status/payment/transaction/:invoiceId', checkStatusRoute(state));
 * ```
 */
export function checkStatusRoute(state: FakeEpayState) {
  return bankCall(state, { latency: true, faultable: true }, async (c: SandboxContext, call: BankCall) => {
    const invoiceId = c.req.param('invoiceId') ?? '';
    if (isValidInvoiceId(invoiceId)) call.invoiceId = invoiceId;
    const token = state.tokens.spend(c.req.header('authorization'));
    if (!token.ok) {
      const error = tokenError(token.problem);
      return c.json(failureBody(error, { invoiceId }), error.status);
    }
    if (!isValidInvoiceId(invoiceId)) {
      return c.json(failureBody(BANK_ERRORS.badRequest, { invoiceId }, 'invoiceId: must be 6 to 15 digits'), 400);
    }
    const charge = latestCharge(state.ledger, invoiceId);
    if (token.binding.invoiceId !== undefined && !bindingCovers(token.binding, charge ?? { invoiceId })) {
      const error = tokenError('mismatch');
      return c.json(failureBody(error, { invoiceId }), error.status);
    }
    if (state.terminalNotFound.has(invoiceId))
      return c.json({ resultCode: '104', resultMessage: 'Terminal not found' });
    if (!charge)
      return c.json({ resultCode: '102', resultMessage: 'Transaction not found' }, state.config.notFoundHttpStatus);
    return c.json({
      resultCode: '100',
      resultMessage: 'SUCCESS',
      transaction: {
        id: charge.id,
        invoiceID: charge.invoiceId,
        amount: charge.amount,
        currency: charge.currency,
        statusName: charge.statusName,
        reference: charge.reference,
        reasonCode: charge.reasonCode,
        cardMask: charge.cardMask,
        createdDate: charge.createdAt.toISOString(),
      },
    });
  });
}

/** @module `POST /payment/cryptopay`: checks the call as strictly as the bank, then acts out the scenario its test data picks. */
import { randomUUID } from 'node:crypto';
import { isValidInvoiceId } from '../amount.js';
import { bankCall } from '../bank-call.js';
import { BANK_ERRORS, failureBody, tokenError, type BankError } from '../bank-errors.js';
import { dropConnection, garbageAnswer } from '../broken-answers.js';
import { maskPan, PASSTHROUGH_CARD_MASK } from '../card.js';
import { approvedStatus, newApprovalCode, newCharge } from '../charge-factory.js';
import { checkCryptopayRequest, type CryptopayRequest } from '../cryptopay-request.js';
import { isApplePaymentDataBase64, isStandardBase64, openCryptogram, type CryptogramProblem } from '../cryptogram.js';
import type { SandboxContext } from '../http-context.js';
import { readJsonBody, stringField } from '../json-body.js';
import { invoiceTaken } from '../ledger.js';
import { BANK_LANGUAGE, buildNotification } from '../notifications.js';
import type { PaymentDetails } from '../payment-details.js';
import { pickScenario } from '../scenarios.js';
import type { FakeEpayState } from '../state.js';
import { bindingCovers } from '../token-store.js';
import type { BankCall, Charge } from '../types.js';

const CRYPTOGRAM_ERRORS: Record<CryptogramProblem, BankError> = {
  not_base64: BANK_ERRORS.cryptogramUndecryptable,
  undecryptable: BANK_ERRORS.cryptogramUndecryptable,
  malformed: BANK_ERRORS.cryptogramMalformed,
  terminal_mismatch: BANK_ERRORS.terminalMismatch,
  expired_card: BANK_ERRORS.expiredCard,
};

/**
 * The cryptopay route. Refusals answer the bank's failure shape (400, or 401 for the token) and
 * charge nothing; a valid call is acted out per the scenario table in `scenarios.ts`.
 *
 * @example
 * ```ts
 * app.post('/payment/cryptopay', cryptopayRoute(state));
 * ```
 */
export function cryptopayRoute(state: FakeEpayState) {
  return bankCall(state, { latency: true, faultable: true }, async (c: SandboxContext, call: BankCall) => {
    const parsed = await readJsonBody(c);
    const labelledInvoice = stringField(parsed?.value, 'invoiceId');
    const context = { invoiceId: labelledInvoice ?? '', accountId: stringField(parsed?.value, 'accountId') ?? '' };
    if (isValidInvoiceId(labelledInvoice)) call.invoiceId = labelledInvoice;
    const refuse = (error: BankError, detail?: string): Response =>
      c.json(failureBody(error, context, detail), error.status);

    // The token is spent as soon as it is presented: one token, one operation, whatever the answer.
    const token = state.tokens.spend(c.req.header('authorization'));
    if (!token.ok) return refuse(tokenError(token.problem));
    if (!parsed) return refuse(BANK_ERRORS.badRequest, 'body: must be application/json');
    const checked = checkCryptopayRequest(parsed.value);
    if (!checked.ok) return refuse(BANK_ERRORS.badRequest, checked.problem);
    const request = checked.request;
    if (!bindingCovers(token.binding, request)) return refuse(tokenError('mismatch'));
    if (request.terminalId !== '' && request.terminalId !== state.config.terminalId)
      return refuse(BANK_ERRORS.terminalMismatch);

    const opened = openCryptogram(request.cryptogram, state.keys.privateKey, state.config.terminalId, new Date());
    if (!opened.ok) return refuse(CRYPTOGRAM_ERRORS[opened.problem]);
    const card = opened.card;
    if (
      card.kind === 'passthrough'
        ? !isApplePaymentDataBase64(request.cryptogramApplePay)
        : !isStandardBase64(request.cryptogramApplePay)
    ) {
      return refuse(
        BANK_ERRORS.badRequest,
        card.kind === 'passthrough'
          ? 'cryptogramApplePay: must be base64 of the Apple Pay paymentData JSON'
          : 'cryptogramApplePay: must be the base64 online payment cryptogram',
      );
    }
    if (invoiceTaken(state.ledger, request.invoiceId)) return refuse(BANK_ERRORS.duplicateInvoice);

    const pan = card.kind === 'pan' ? card.pan : undefined;
    const cardMask = pan ? maskPan(pan) : PASSTHROUGH_CARD_MASK;
    const details = paymentDetails(request);
    const record = (statusName: Charge['statusName'], reasonCode: string): Charge => {
      const charge = newCharge({
        invoiceId: request.invoiceId,
        amount: request.amount,
        currency: request.currency,
        statusName,
        reasonCode,
        cardMask,
      });
      state.ledger.transactions.push(charge);
      state.payments.set(charge.id, details);
      return charge;
    };
    const approve = (): Charge => {
      // AUTH on a two-stage terminal (the default), CHARGE on a single-stage one.
      const charge = record(approvedStatus(state.config.singleStage), '00');
      state.notify(
        buildNotification(charge, details, state.config.terminalId, { ok: true, reason: 'success', reasonCode: '00' }),
      );
      return charge;
    };
    const decline = (code: number, message: string): Charge => {
      const reasonCode = String(code).padStart(2, '0');
      const charge = record('FAILED', reasonCode);
      state.notify(
        buildNotification(charge, details, state.config.terminalId, { ok: false, reason: message, reasonCode }),
      );
      return charge;
    };

    const outcome = pickScenario(request.amount, pan);
    switch (outcome.kind) {
      case 'paid':
        return c.json(paidBody(approve(), details));
      case '3ds': {
        const charge = record('NEW', '');
        details.secure = true;
        const session = state.threeDs.open({
          chargeId: charge.id,
          invoiceId: charge.invoiceId,
          amount: charge.amount,
          currency: charge.currency,
          cardMask,
        });
        const action = `${state.baseUrl ?? new URL(c.req.url).origin}/3ds`;
        return c.json(threeDsBody(charge, details, { paReq: session.paReq, md: session.md, action }));
      }
      case 'declined':
        decline(outcome.code, outcome.message);
        return refuse({ status: 400, code: outcome.code, message: outcome.message });
      case 'not_final':
        if (outcome.charged) approve();
        else decline(outcome.code, outcome.message);
        return refuse({ status: 400, code: outcome.code, message: outcome.message });
      case 'refused':
        if (outcome.charged) approve();
        if (outcome.terminalNotFound) state.terminalNotFound.add(request.invoiceId);
        return refuse({ status: 400, code: outcome.code, message: outcome.message });
      case 'slow': {
        const charge = approve();
        await state.sleep(state.config.slowMs);
        return c.json(paidBody(charge, details));
      }
      case 'garbage':
        approve();
        return garbageAnswer();
      case 'server_error':
        // The bank's application failed the request and says so in its own error shape; nothing is recorded, unless
        // the scenario charges all the same.
        if (outcome.charged) approve();
        if (outcome.terminalNotFound) state.terminalNotFound.add(request.invoiceId);
        return refuse(BANK_ERRORS.internal);
      case 'dropped':
        if (outcome.charged) approve();
        return dropConnection(c);
    }
  });
}

function paymentDetails(request: CryptopayRequest): PaymentDetails {
  return {
    name: request.name,
    email: request.email,
    phone: request.phone,
    accountId: request.accountId,
    description: request.description,
    invoiceIdAlt: request.invoiceIdAlt,
    backLink: request.backLink,
    failureBackLink: request.failureBackLink,
    postLink: request.postLink,
    failurePostLink: request.failurePostLink,
    cardId: request.cardSave ? randomUUID() : '',
    secure: false,
    approvalCode: newApprovalCode(),
  };
}

/** The bank's answer for a payment approved without 3-D Secure (docs/epay-api.md). */
function paidBody(charge: Charge, details: PaymentDetails) {
  return {
    id: charge.id,
    amount: charge.amount,
    currency: charge.currency,
    invoiceID: charge.invoiceId,
    invoiceIdAlt: details.invoiceIdAlt,
    accountID: details.accountId,
    phone: details.phone,
    email: details.email,
    description: details.description,
    reference: charge.reference,
    language: BANK_LANGUAGE,
  };
}

/** The bank's answer asking for 3-D Secure (docs/epay-api.md); the reference is empty until confirmed. */
function threeDsBody(charge: Charge, details: PaymentDetails, secure3D: { paReq: string; md: string; action: string }) {
  return {
    id: charge.id,
    accountId: details.accountId,
    amount: charge.amount,
    amountBonus: 0,
    currency: charge.currency,
    description: details.description,
    email: details.email,
    invoiceID: charge.invoiceId,
    invoiceIdAlt: details.invoiceIdAlt,
    language: 'RU',
    phone: details.phone,
    reference: '',
    intReference: '',
    secure3D,
    cardID: '',
    fee: 0,
  };
}

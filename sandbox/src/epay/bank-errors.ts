/** @module The sandbox bank's fixed set of API errors, in the bank's failure shape. */
import type { TokenProblem } from './token-store.js';

/** One refusal: its HTTP status, its numeric `code` and the bank-side message. */
export interface BankError {
  status: 400 | 401 | 500;
  code: number;
  message: string;
}

/** Every refusal the API endpoints give (declines live in scenarios.ts). Numbers are the sandbox's own. */
export const BANK_ERRORS = {
  tokenMissing: { status: 401, code: 1001, message: 'Authorization token is missing' },
  tokenInvalid: { status: 401, code: 1002, message: 'Authorization token is not valid' },
  tokenExpired: { status: 401, code: 1003, message: 'Authorization token has expired' },
  tokenUsed: { status: 401, code: 1004, message: 'Authorization token was already used' },
  tokenMismatch: {
    status: 401,
    code: 1005,
    message: 'Authorization token was issued for another invoice, amount or currency',
  },
  badRequest: { status: 400, code: 1010, message: 'Invalid request' },
  cryptogramUndecryptable: { status: 400, code: 1011, message: 'Cryptogram cannot be decrypted' },
  cryptogramMalformed: { status: 400, code: 1012, message: 'Cryptogram content is not valid' },
  terminalMismatch: { status: 400, code: 1013, message: 'Cryptogram terminal does not match' },
  expiredCard: { status: 400, code: 54, message: 'Expired card' },
  duplicateInvoice: { status: 400, code: 1020, message: 'Invoice is already paid or in progress' },
  unknownPayment: { status: 400, code: 1030, message: 'Payment not found or not waiting for 3-D Secure' },
  threeDsMismatch: { status: 400, code: 1031, message: '3-D Secure result does not belong to this payment' },
  alreadyConfirmed: { status: 400, code: 1032, message: 'Payment was already confirmed' },
  paymentNotFound: { status: 400, code: 1030, message: 'Payment not found' },
  invalidState: { status: 400, code: 1040, message: 'Operation is not allowed in the payment’s state' },
  amountTooLarge: { status: 400, code: 1041, message: 'Amount is more than the payment allows' },
  refundBelowMinimum: { status: 400, code: 1042, message: 'Refund amount is below the minimum' },
  internal: { status: 500, code: 1099, message: 'Internal error' },
} as const satisfies Record<string, BankError>;

const TOKEN_ERRORS: Record<TokenProblem, BankError> = {
  missing: BANK_ERRORS.tokenMissing,
  invalid: BANK_ERRORS.tokenInvalid,
  expired: BANK_ERRORS.tokenExpired,
  used: BANK_ERRORS.tokenUsed,
  mismatch: BANK_ERRORS.tokenMismatch,
};

/**
 * The refusal for a token problem.
 *
 * @example
 * ```ts
 * tokenError('used').status; // 401
 * ```
 */
export function tokenError(problem: TokenProblem): BankError {
  return TOKEN_ERRORS[problem];
}

/** The bank's failure body (docs/epay-api.md). */
export interface BankFailureBody {
  code: number;
  message: string;
  invoiceId: string;
  id: string;
  reference: string;
  accountId: string;
}

/**
 * The bank's failure body for an error; `detail` refines the message (it must never carry card data).
 *
 * @example
 * ```ts
 * failureBody(BANK_ERRORS.badRequest, { invoiceId: '000000123456' }, 'amount: must be a number');
 * ```
 */
export function failureBody(
  error: Pick<BankError, 'code' | 'message'>,
  context: { invoiceId?: string; accountId?: string; id?: string },
  detail?: string,
): BankFailureBody {
  return {
    code: error.code,
    message: detail ? `${error.message}: ${detail}` : error.message,
    invoiceId: context.invoiceId ?? '',
    id: context.id ?? '',
    reference: '',
    accountId: context.accountId ?? '',
  };
}

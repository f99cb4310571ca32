/** @module The shell every sandbox route runs in: records the call, adds latency, injects seeded faults. */
import { dropConnection, garbageAnswer, serverErrorAnswer, wasDropped } from './broken-answers.js';
import { BANK_ERRORS, failureBody } from './bank-errors.js';
import type { SandboxContext } from './http-context.js';
import type { FakeEpayState } from './state.js';
import type { BankCall } from './types.js';

/** How a route takes part in latency and faults. */
export interface BankCallKind {
  /** Bank API calls wait `latencyMs` first; the 3-D Secure pages and introspection do not. */
  latency: boolean;
  /** token, cryptopay, status and confirm may be broken by the seeded fault injector. */
  faultable: boolean;
}

/** A route body; it may set `call.invoiceId`. */
export type BankHandler = (c: SandboxContext, call: BankCall) => Promise<Response>;

/**
 * Wraps a route: appends a {@link BankCall} (method, path, invoice, status; never a secret), waits
 * the configured latency, and applies the next seeded fault. A `5xx` fault answers before the bank
 * does anything; `slow`, `garbage` and `dropped` faults let the bank act first and break the answer,
 * so the proxy must settle the outcome with the status call.
 *
 * @example
 * ```ts
 * app.post('/payment/cryptopay', bankCall(state, { latency: true, faultable: true }, cryptopay));
 * ```
 */
export function bankCall(state: FakeEpayState, kind: BankCallKind, handler: BankHandler) {
  return async (c: SandboxContext): Promise<Response> => {
    const call: BankCall = { method: c.req.method, path: c.req.path, at: Date.now(), status: 0 };
    state.calls.push(call);
    if (kind.latency) await state.sleep(state.latencyMs);
    const fault = kind.faultable ? state.pickFault() : undefined;
    if (fault) call.fault = fault;

    let response: Response;
    if (fault === '5xx') {
      response = serverErrorAnswer(502);
    } else {
      try {
        response = await handler(c, call);
      } catch {
        // Never echo the error: it could quote a request field.
        response = c.json(
          failureBody(BANK_ERRORS.internal, { invoiceId: call.invoiceId }),
          BANK_ERRORS.internal.status,
        );
      }
      // A connection the route already dropped has no answer left to break.
      if (!wasDropped(response)) {
        if (fault === 'slow') await state.sleep(state.config.slowMs);
        else if (fault === 'garbage') response = garbageAnswer();
        else if (fault === 'dropped') response = dropConnection(c);
      }
    }
    call.status = wasDropped(response) ? 0 : response.status;
    return response;
  };
}

/** @module `POST /3ds` and `POST /3ds/submit`: the sandbox bank's 3-D Secure password pages. */
import { bankCall } from '../bank-call.js';
import type { SandboxContext } from '../http-context.js';
import { isHttpUrl } from '../http-url.js';
import type { FakeEpayState } from '../state.js';
import { scheduleThreeDsSelfCompletion } from '../three-ds-settlement.js';
import type { ThreeDsSession } from '../three-ds-store.js';
import { passwordPage, returnPage, THREE_DS_CODE, THREE_DS_MAX_ATTEMPTS, threeDsErrorPage } from '../three-ds-pages.js';
import type { BankCall } from '../types.js';

const PAGE_ROUTE = { latency: false, faultable: false } as const;

/**
 * The 3-D Secure entry page: takes the bank's form post (`PaReq`, `MD`, `TermUrl`) and shows the
 * password page, or, once the customer has decided, the page that returns them to `TermUrl`.
 *
 * @example
 * ```ts
 * app.post('/3ds', threeDsPageRoute(state));
 * ```
 */
export function threeDsPageRoute(state: FakeEpayState) {
  return bankCall(state, PAGE_ROUTE, async (c: SandboxContext, call: BankCall) => {
    const form = await readForm(c);
    const md = form?.get('MD');
    const session = typeof md === 'string' ? state.threeDs.byMd(md) : undefined;
    if (!form || !session) return c.html(threeDsErrorPage('Unknown 3-D Secure session.'), 400);
    const charge = state.ledger.transactions.find((t) => t.id === session.chargeId);
    if (charge) call.invoiceId = charge.invoiceId;
    if (form.get('PaReq') !== session.paReq) return c.html(threeDsErrorPage('PaReq does not match this session.'), 400);
    const termUrl = form.get('TermUrl');
    if (typeof termUrl !== 'string' || !isHttpUrl(termUrl)) {
      return c.html(threeDsErrorPage('TermUrl must be an absolute http(s) URL.'), 400);
    }
    session.termUrl = termUrl;
    if (session.result || !charge) return c.html(decidedPage(state, session));
    const page = { md: session.md, amount: charge.amount, currency: charge.currency, cardMask: charge.cardMask };
    return c.html(passwordPage({ submitUrl: submitUrl(state, c), ...page }));
  });
}

/**
 * The password form's target: `Confirm` with the right code authenticates, `Decline` (or too many
 * wrong codes) fails; either way the customer is sent back to `TermUrl` with a signed `PaRes`, and the bank's clock
 * starts: without the merchant's confirm within `threeDsSelfCompleteMs`, the bank settles the payment itself.
 *
 * @example
 * ```ts
 * app.post('/3ds/submit', threeDsSubmitRoute(state));
 * ```
 */
export function threeDsSubmitRoute(state: FakeEpayState) {
  return bankCall(state, PAGE_ROUTE, async (c: SandboxContext, call: BankCall) => {
    const form = await readForm(c);
    const md = form?.get('MD');
    const session = typeof md === 'string' ? state.threeDs.byMd(md) : undefined;
    if (!form || !session?.termUrl) return c.html(threeDsErrorPage('Unknown 3-D Secure session.'), 400);
    const charge = state.ledger.transactions.find((t) => t.id === session.chargeId);
    if (charge) call.invoiceId = charge.invoiceId;
    if (!session.result && charge) {
      const decision = form.get('decision');
      if (decision === 'decline') {
        session.result = 'N';
      } else if (decision === 'confirm' && form.get('code') === THREE_DS_CODE) {
        session.result = 'Y';
      } else {
        session.attempts += 1;
        if (session.attempts >= THREE_DS_MAX_ATTEMPTS) {
          session.result = 'N';
        } else {
          const left = THREE_DS_MAX_ATTEMPTS - session.attempts;
          return c.html(
            passwordPage({
              submitUrl: submitUrl(state, c),
              md: session.md,
              amount: charge.amount,
              currency: charge.currency,
              cardMask: charge.cardMask,
              error: `Wrong code. ${left} attempt${left === 1 ? '' : 's'} left.`,
            }),
          );
        }
      }
      scheduleThreeDsSelfCompletion(state, session);
    }
    return c.html(decidedPage(state, session));
  });
}

function submitUrl(state: FakeEpayState, c: SandboxContext): string {
  return `${state.baseUrl ?? new URL(c.req.url).origin}/3ds/submit`;
}

function decidedPage(state: FakeEpayState, session: ThreeDsSession): string {
  // A session whose payment vanished (ledger reset) can only fail.
  const result = session.result ?? 'N';
  session.result = result;
  return returnPage({
    termUrl: session.termUrl ?? '',
    paRes: state.threeDs.paRes({ ...session, result }),
    md: session.md,
    approved: result === 'Y',
  });
}

async function readForm(c: SandboxContext): Promise<FormData | undefined> {
  const mediaType = c.req.header('content-type')?.split(';')[0]?.trim().toLowerCase();
  if (mediaType !== 'application/x-www-form-urlencoded' && mediaType !== 'multipart/form-data') return undefined;
  try {
    return await c.req.raw.formData();
  } catch {
    return undefined;
  }
}

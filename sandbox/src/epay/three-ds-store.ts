/** @module The bank's 3-D Secure sessions: PaReq/MD handed out by cryptopay, PaRes signed by the password page. */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Bytes of randomness in an MD (the bank's are ~24 bytes of base64). */
const MD_BYTES = 24;
/** Key size of the PaRes HMAC. */
const PARES_KEY_BYTES = 32;

/** The customer's answer on the password page: `Y` authenticated, `N` not. */
export type ThreeDsResult = 'Y' | 'N';

/** One payment waiting for (or past) 3-D Secure. */
export interface ThreeDsSession {
  chargeId: string;
  md: string;
  paReq: string;
  /** Where the password page sends the customer back; set by `POST /3ds`. */
  termUrl?: string;
  /** Wrong codes entered so far. */
  attempts: number;
  /** Fixed once the customer confirmed or declined: a second visit cannot change it. */
  result?: ThreeDsResult;
  /** Set by the first accepted `payment/confirm`; a second one is refused. */
  confirmed: boolean;
  /**
   * Who settled the payment (moved it out of NEW and notified): the merchant's first valid confirm, or the bank itself
   * when no confirm came in time after the customer's decision. Set once; whoever comes second settles nothing.
   */
  settledBy?: 'confirm' | 'bank';
  /** Aborted to call off the bank's pending self-completion (a confirm settled first). */
  selfCompletion?: AbortController;
}

/** Opens sessions and signs/verifies PaRes. */
export interface ThreeDsStore {
  open(payment: {
    chargeId: string;
    invoiceId: string;
    amount: number;
    currency: string;
    cardMask: string;
  }): ThreeDsSession;
  byMd(md: string): ThreeDsSession | undefined;
  byChargeId(chargeId: string): ThreeDsSession | undefined;
  /** The opaque PaRes for a decided session. */
  paRes(session: ThreeDsSession & { result: ThreeDsResult }): string;
  /** The result a PaRes carries, when it is authentic and made for this payment and MD. */
  verifyPaRes(paRes: string, chargeId: string, md: string): ThreeDsResult | undefined;
}

/**
 * An empty store with its own random HMAC key.
 *
 * @example
 * ```ts
 * const store = createThreeDsStore();
 * const session = store.open({ chargeId, invoiceId, amount: 100.11, currency: 'KZT', cardMask });
 * ```
 */
export function createThreeDsStore(): ThreeDsStore {
  const key = randomBytes(PARES_KEY_BYTES);
  const sessionsByMd = new Map<string, ThreeDsSession>();
  const sessionsByCharge = new Map<string, ThreeDsSession>();
  const mac = (chargeId: string, md: string, result: ThreeDsResult): Buffer =>
    createHmac('sha256', key).update(`PaRes\n${chargeId}\n${md}\n${result}`).digest();

  return {
    open(payment) {
      const md = randomBytes(MD_BYTES).toString('base64');
      const paReq = Buffer.from(
        JSON.stringify({
          messageType: 'PaReq',
          id: payment.chargeId,
          invoiceId: payment.invoiceId,
          amount: payment.amount,
          currency: payment.currency,
          cardMask: payment.cardMask,
        }),
      ).toString('base64');
      const session: ThreeDsSession = { chargeId: payment.chargeId, md, paReq, attempts: 0, confirmed: false };
      sessionsByMd.set(md, session);
      sessionsByCharge.set(payment.chargeId, session);
      return session;
    },
    byMd: (md) => sessionsByMd.get(md),
    byChargeId: (chargeId) => sessionsByCharge.get(chargeId),
    paRes(session) {
      const body = { messageType: 'PaRes', id: session.chargeId, md: session.md, status: session.result };
      const signature = mac(session.chargeId, session.md, session.result).toString('base64url');
      return Buffer.from(JSON.stringify({ ...body, mac: signature })).toString('base64');
    },
    verifyPaRes(paRes, chargeId, md) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(Buffer.from(paRes, 'base64').toString('utf8'));
      } catch {
        return undefined;
      }
      if (typeof parsed !== 'object' || parsed === null) return undefined;
      const { id, md: paResMd, status, mac: signature } = parsed as Record<string, unknown>;
      if (id !== chargeId || paResMd !== md || (status !== 'Y' && status !== 'N') || typeof signature !== 'string') {
        return undefined;
      }
      const expected = mac(chargeId, md, status);
      const given = Buffer.from(signature, 'base64url');
      return given.length === expected.length && timingSafeEqual(given, expected) ? status : undefined;
    },
  };
}

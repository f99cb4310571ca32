/** @module Pure rule: whether Apple Pay can be offered on this page, and with which Apple Pay JS version. */
import type { ApplePaySessionConstructor } from './apple-pay-session.js';
import type { ApplePayCapability, EpayUnavailableReason } from './events.js';

/** The newest Apple Pay JS version the element knows; it counts down from here. */
export const MAX_APPLE_PAY_VERSION = 14;

/** Availability with the version to open sessions with, or the reason Apple Pay is not offered. */
export type Availability =
  | { available: true; version: number; Session: ApplePaySessionConstructor }
  | { available: false; reason: EpayUnavailableReason };

/**
 * The highest Apple Pay JS version the browser supports, counting down from {@link MAX_APPLE_PAY_VERSION};
 * 0 when none is.
 *
 * @example
 * resolveSupportedVersion(ApplePaySession); // 14 on a current Safari
 */
export function resolveSupportedVersion(Session: Pick<ApplePaySessionConstructor, 'supportsVersion'>): number {
  for (let v = MAX_APPLE_PAY_VERSION; v > 0; v--) {
    try {
      if (Session.supportsVersion(v)) return v;
    } catch {
      // An old Safari throws for versions it has never heard of: try the next one down.
    }
  }
  return 0;
}

/**
 * Decides availability from the page's globals. The secure-context check comes before
 * `canMakePayments()`, which throws `InvalidAccessError` on an insecure page. With a `capability`
 * (Apple's answer to `applePayCapabilities(merchantIdentifier)`), that answer replaces
 * `canMakePayments()`: `applePayUnsupported` is `cannot_make_payments`, any other value lets the
 * button show.
 *
 * @example
 * detectAvailability({ ApplePaySession: window.ApplePaySession, isSecureContext: window.isSecureContext });
 * detectAvailability(window, 'paymentCredentialStatusUnknown'); // no canMakePayments() call
 */
export function detectAvailability(
  env: { ApplePaySession?: unknown; isSecureContext: boolean },
  capability?: ApplePayCapability,
): Availability {
  const Session = env.ApplePaySession as ApplePaySessionConstructor | undefined;
  if (typeof Session !== 'function') return { available: false, reason: 'unsupported_browser' };
  if (!env.isSecureContext) return { available: false, reason: 'insecure_context' };
  let canPay = !!capability && capability !== 'applePayUnsupported';
  try {
    canPay ||= !capability && Session.canMakePayments() === true;
  } catch {
    canPay = false;
  }
  if (!canPay) return { available: false, reason: 'cannot_make_payments' };
  const version = resolveSupportedVersion(Session);
  return version > 0 ? { available: true, version, Session } : { available: false, reason: 'unsupported_version' };
}

/**
 * @module Safari, as far as the element can tell, in engines that are not Safari: the fake `ApplePaySession` and
 * Apple's native CSS button (`CSS.supports('-webkit-appearance', '-apple-pay-button')` true), which neither Chromium
 * nor WebKitGTK has. Outside Safari the element shows only Apple's SDK button; the payment tests run the native path.
 */
import {
  type FakeApplePay,
  type FakeApplePayOptions,
  installFakeApplePay,
} from '../../test-support/fake-apple-pay-session.js';

const NATIVE_QUERY = ['-webkit-appearance', '-apple-pay-button'] as const;
const realSupports = CSS.supports;

/** What this engine itself says of Apple's native button (false in Chromium and WebKitGTK). */
export function engineHasNativeButton(): boolean {
  return (realSupports as (p: string, v: string) => boolean).call(CSS, ...NATIVE_QUERY);
}

/**
 * Makes `CSS.supports` answer the Apple Pay button query as Safari (true) or every other engine (false), until the
 * returned function restores the engine's own.
 *
 * @example
 * const restore = nativeApplePayButton(true);
 */
export function nativeApplePayButton(supported: boolean): () => void {
  Object.defineProperty(CSS, 'supports', {
    configurable: true,
    writable: true,
    value: (...args: string[]) =>
      args[0] === NATIVE_QUERY[0] && args[1] === NATIVE_QUERY[1]
        ? supported
        : (realSupports as (...a: string[]) => boolean).apply(CSS, args),
  });
  return () => Object.defineProperty(CSS, 'supports', { configurable: true, writable: true, value: realSupports });
}

/**
 * The fake `ApplePaySession` with Safari's native button; `uninstall()` removes both.
 *
 * @example
 * const applePay = installSafariApplePay({ stepTimeoutMs: 2000 });
 */
export function installSafariApplePay(options: FakeApplePayOptions = {}): FakeApplePay {
  const applePay = installFakeApplePay(options);
  const restore = nativeApplePayButton(true);
  const uninstall = applePay.uninstall.bind(applePay);
  applePay.uninstall = () => {
    uninstall();
    restore();
  };
  return applePay;
}

/**
 * @module The demo's simulated Apple Pay: the widget's stand-in of Apple's Apple Pay JS SDK
 * (widget/test-support/apple-pay-sdk-stand-in.ts: `ApplePaySession`, the same fake session with Safari's rules that
 * the element's own tests run against, and `<apple-pay-button>`), with the sandbox Apple behind it and the sheet drawn
 * in the page (wallet.ts). A real Apple Pay is never replaced. One script, in one of two roles:
 *
 * - put first in `<head>` by the demo server (the default page): it installs at once, before any script of the page,
 *   as for a page that loaded Apple's SDK itself; `window.EpayDemoSimulator.installed` tells the page whether it did;
 * - loaded by the element as its `sdk` (`?as=apple-pay-sdk`, the switch "Chrome with Apple's SDK"): it stands in for
 *   Apple's script, and defines both a moment after it ran, as Apple's may.
 */
import { installApplePaySdkStandIn } from '../../../widget/test-support/apple-pay-sdk-stand-in.js';
import { simulatorConfig } from './config.js';
import { merchantSessionProblem, openWallet } from './wallet.js';

/** The query that gives this script its SDK role (demo/src/web-server.ts puts it in the element's `sdk`). */
const SDK_ROLE = 'apple-pay-sdk';
/** How long after its script ran the stand-in SDK defines `ApplePaySession` and `<apple-pay-button>`. */
const SDK_DEFINES_AFTER_MS = 150;

function install(): boolean {
  if ('ApplePaySession' in window) return false;
  installApplePaySdkStandIn({
    // The sandbox Apple gateway, so the proxy's merchant validation is real.
    validationURL: async () => (await simulatorConfig()).validationURL,
    verifyMerchantSession: merchantSessionProblem,
    sheet: openWallet,
  });
  return true;
}

const script = document.currentScript as HTMLScriptElement | null;
/** `sdk`: loaded by the element as Apple's SDK; `page`: put first in the page by the demo server. */
export const role: 'sdk' | 'page' =
  script && new URL(script.src, location.href).searchParams.get('as') === SDK_ROLE ? 'sdk' : 'page';

if (role === 'sdk') setTimeout(install, SDK_DEFINES_AFTER_MS);

/** True when this page got the simulation at once, first in `<head>` (the browser had no ApplePaySession). */
export const installed = role === 'page' && install();

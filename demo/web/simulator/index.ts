/**
 * @module The demo's simulated Apple Pay, loaded as a classic script before anything else on a page. Where the browser
 * has no `ApplePaySession` it installs the widget's fake one (widget/test-support/fake-apple-pay-session.ts: the same
 * session, with Safari's rules, that the element's own tests run against), with the sandbox Apple behind it and the
 * sheet drawn in the page (wallet.ts). A real Apple Pay is never replaced. `window.EpayDemoSimulator.installed` tells
 * the page which one it has.
 */
import { installFakeApplePay } from '../../../widget/test-support/fake-apple-pay-session.js';
import { simulatorConfig } from './config.js';
import { merchantSessionProblem, openWallet } from './wallet.js';

function install(): boolean {
  if ('ApplePaySession' in window) return false;
  installFakeApplePay({
    // The sandbox Apple gateway, so the proxy's merchant validation is real.
    validationURL: async () => (await simulatorConfig()).validationURL,
    verifyMerchantSession: merchantSessionProblem,
    sheet: openWallet,
  });
  return true;
}

/** True when this page got the simulation (the browser had no ApplePaySession). */
export const installed = install();

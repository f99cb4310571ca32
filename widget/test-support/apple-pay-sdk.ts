/**
 * @module Stands in for Apple's `https://applepay.cdn-apple.com/jsapi/1.latest/apple-pay-sdk.js` in the browser tests,
 * served by the test server: a classic script (no import or export statement, so a plain `<script src>` runs it) that
 * returns at once. `ApplePaySession` and `<apple-pay-button>` appear later, after the script's `load` event, as they
 * may from Apple's. It installs the stand-in (apple-pay-sdk-stand-in.ts) with the options a test put on
 * `window.appleSdkStandInOptions` before the element asked for the script.
 */
void import('./apple-pay-sdk-stand-in.js').then(({ installApplePaySdkStandIn }) =>
  setTimeout(() => {
    const options = (window as { appleSdkStandInOptions?: Parameters<typeof installApplePaySdkStandIn>[0] })
      .appleSdkStandInOptions;
    installApplePaySdkStandIn(options);
  }, 20),
);

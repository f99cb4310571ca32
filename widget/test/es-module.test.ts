/** @module The built ES module, imported as an app would import `@epay-applepay/widget`: it defines the element and exports the API. */
import { deepEqual, equal, ok } from './helpers/assert.js';
import { PAID, installFakeProxy } from './helpers/fake-proxy.js';
import { FAKE_PAYMENT } from '../test-support/fake-apple-pay-session.js';
import { makeOrder, mount, nextEvent, realClick, waitFor } from './helpers/page.js';
import { installSafariApplePay } from './helpers/safari.js';

// A variable path: the type checker must not look for dist/ (tests may be type-checked before a build).
const ES_BUILD = '../dist/epay-applepay-button.js';

describe('ES module build (import)', () => {
  it('defines the element on import and exports the public API', async () => {
    equal(customElements.get('epay-applepay-button'), undefined, 'nothing defined before the import');
    const widget = await import(/* @vite-ignore */ ES_BUILD);
    equal(customElements.get('epay-applepay-button'), widget.EpayApplePayButton);
    for (const name of [
      'buildPaymentRequest',
      'decodeOrderToken',
      'detectAvailability',
      'PROXY_TIMEOUT_MS',
      'TAG_NAME',
    ]) {
      ok(name in widget, `exports ${name}`);
    }
    equal(
      widget.buildPaymentRequest({ invoiceId: '000001', amount: 5, currency: 'KZT', exp: 2e9 }).total.amount,
      '5.00',
    );
  });

  it('pays end to end with the built module', async () => {
    await import(/* @vite-ignore */ ES_BUILD);
    const applePay = installSafariApplePay({ stepTimeoutMs: 2000 });
    const proxy = installFakeProxy();
    try {
      const el = await mount({ proxy: '/pay', order: makeOrder() });
      const success = nextEvent(el, 'epay-success');
      await realClick(el);
      const session = applePay.last!;
      await waitFor(() => session.step === 'waiting', 'merchant validation');
      session.authorize();
      deepEqual((await success).detail, { payment: PAID.payment, billingContact: FAKE_PAYMENT.billingContact });
      el.remove();
    } finally {
      proxy.uninstall();
      applePay.uninstall();
    }
  });
});

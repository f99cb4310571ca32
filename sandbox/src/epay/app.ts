/** @module createFakeEpayApp: the sandbox bank's Hono app, wiring only. */
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { bankCall } from './bank-call.js';
import { checkStatusRoute } from './routes/check-status.js';
import { confirmRoute } from './routes/confirm.js';
import { cryptopayRoute } from './routes/cryptopay.js';
import { notificationFaultsRoute } from './routes/notification-faults.js';
import { oauthTokenRoute } from './routes/oauth-token.js';
import { operationRoute } from './routes/operations.js';
import { publicKeyRoute } from './routes/public-key.js';
import { threeDsPageRoute, threeDsSubmitRoute } from './routes/three-ds.js';
import { createFakeEpayState, type FakeEpayState } from './state.js';
import type { FakeEpayOptions } from './types.js';

/** Bodies above this are refused (413): an Apple token is a few kilobytes. */
const MAX_BODY_BYTES = 256 * 1024;

/**
 * The sandbox bank as a Hono app with its state, for `app.request()` tests or mounting. Without a
 * listening server the 3-D Secure `action` is built from the request's origin.
 *
 * @example
 * ```ts
 * const { app, state } = await createFakeEpayApp({ privateKeyPem });
 * const res = await app.request('/public.rsa');
 * ```
 */
export async function createFakeEpayApp(options: FakeEpayOptions = {}): Promise<{ app: Hono; state: FakeEpayState }> {
  const state = await createFakeEpayState(options);
  const app = new Hono();
  app.use(bodyLimit({ maxSize: MAX_BODY_BYTES }));

  app.post('/oauth2/token', oauthTokenRoute(state));
  app.get('/public.rsa', publicKeyRoute(state));
  app.post('/payment/cryptopay', cryptopayRoute(state));
  app.post('/payment/confirm', confirmRoute(state));
  app.get('/check-status/payment/transaction/:invoiceId', checkStatusRoute(state));
  app.post('/operation/:id/charge', operationRoute(state, 'charge'));
  app.post('/operation/:id/cancel', operationRoute(state, 'cancel'));
  app.post('/operation/:id/refund', operationRoute(state, 'refund'));
  app.post('/3ds', threeDsPageRoute(state));
  app.post('/3ds/submit', threeDsSubmitRoute(state));

  // Introspection for end-to-end tests; not bank calls, so neither recorded nor delayed.
  app.get('/_sandbox/ledger', (c) => c.json(state.ledger));
  app.get('/_sandbox/calls', (c) => c.json(state.calls));
  app.get('/_sandbox/notifications', (c) => c.json(state.notifications));
  // Controls for demos and fault runs; like introspection, not bank calls.
  app.get('/_sandbox/notification-faults', (c) => c.json(state.notificationFaults));
  app.post('/_sandbox/notification-faults', notificationFaultsRoute(state));

  // Recorded, so that a client calling the wrong path or method shows up in `calls`.
  app.notFound(
    bankCall(state, { latency: false, faultable: false }, async (c) =>
      c.json({ code: 404, message: 'Not found' }, 404),
    ),
  );
  return { app, state };
}

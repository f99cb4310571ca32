/** @module `GET` and `POST /_sandbox/notification-faults`: reads or switches the notification faults of a running bank. */
import type { SandboxContext } from '../http-context.js';
import { readJsonBody } from '../json-body.js';
import type { FakeEpayState } from '../state.js';
import type { NotificationFaults } from '../types.js';

/**
 * The control route: `POST` a JSON object like the `notificationFaults` option (`{}` turns them off) to replace the
 * faults and restart their PRNG; 200 answers the faults in force with defaults filled in, 400 `{ "error" }` names
 * what is wrong and changes nothing. Not a bank call: neither recorded nor delayed nor faulted.
 *
 * @example
 * ```ts
 * app.post('/_sandbox/notification-faults', notificationFaultsRoute(state));
 * ```
 */
export function notificationFaultsRoute(state: FakeEpayState) {
  return async (c: SandboxContext): Promise<Response> => {
    const parsed = await readJsonBody(c);
    if (!parsed) return c.json({ error: 'body: must be a JSON object (Content-Type: application/json)' }, 400);
    if (typeof parsed.value !== 'object' || parsed.value === null || Array.isArray(parsed.value)) {
      return c.json({ error: 'body: must be a JSON object' }, 400);
    }
    try {
      // Checked field by field inside: the cast only hands the object over.
      return c.json(state.setNotificationFaults(parsed.value as NotificationFaults));
    } catch (error) {
      if (error instanceof RangeError) return c.json({ error: error.message }, 400);
      throw error;
    }
  };
}

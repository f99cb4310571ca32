/**
 * @module The bank's `public.rsa`, cached: fetched when a sheet opens or the first payment needs it, refreshed when
 * old (the old key is kept while the bank cannot be reached), and fetched again when the bank cannot read a
 * cryptogram (it may have rotated its key).
 */
import type { KeyObject } from 'node:crypto';
import { bankCall } from './http.js';
import { type BankLine, FETCH_RETRY_DELAY_MS, remaining, sleep } from './bank-line.js';
import { parseBankPublicKey } from './public-key.js';

/** A cached public key is refreshed after this long; if the bank is unreachable then, the old one is kept. */
export const PUBLIC_KEY_TTL_MS = 6 * 60 * 60_000;

/**
 * @example
 * ```ts
 * const keys = createPublicKeyCache(line);
 * const key = await keys.getPublicKey(deadline);
 * ```
 */
export function createPublicKeyCache(line: BankLine) {
  const { timeouts: t } = line;
  let key: { object: KeyObject; der: string; at: number } | undefined;
  let keyFetch: Promise<boolean> | undefined;

  /** Fetches `public.rsa`; keeps the old key when the bank cannot be reached. Returns whether the key changed. */
  function fetchPublicKey(deadline: number): Promise<boolean> {
    keyFetch ??= (async () => {
      try {
        // Reading a public file: safe to retry once.
        for (let attempt = 0; attempt < 2; attempt++) {
          if (attempt > 0) await sleep(FETCH_RETRY_DELAY_MS);
          const res = await bankCall(line, 'public_key', `${line.credentials.api}/public.rsa`, {
            method: 'GET',
            timeoutMs: remaining(deadline, t.publicKeyMs),
          });
          if (res.kind !== 'answer' || res.status !== 200) continue;
          try {
            const object = parseBankPublicKey(res.text);
            const der = object.export({ format: 'der', type: 'spki' }).toString('base64');
            const changed = key !== undefined && key.der !== der;
            key = { object, der, at: Date.now() };
            return changed;
          } catch {
            // a garbled key file: try once more, then keep what we have
          }
        }
        return false;
      } finally {
        keyFetch = undefined;
      }
    })();
    return keyFetch;
  }

  return {
    /** The bank's public key: cached, refreshed when old (keeping the old one if the bank is unreachable). */
    async getPublicKey(deadline: number): Promise<KeyObject | undefined> {
      if (!key) await fetchPublicKey(deadline);
      else if (Date.now() - key.at > PUBLIC_KEY_TTL_MS) void fetchPublicKey(deadline);
      return key?.object;
    },
    /** Fetches the key in the background if none is cached yet (when a sheet opens). */
    warmPublicKey(): void {
      if (!key) void fetchPublicKey(Date.now() + t.publicKeyMs * 2);
    },
    /** Fetches the key again (after the bank rejected a cryptogram). Returns whether it changed. */
    refreshPublicKey(deadline: number): Promise<boolean> {
      return fetchPublicKey(deadline);
    },
  };
}

/** @module Apple's Apple Pay JS SDK for browsers without their own `ApplePaySession`: which script the `sdk` attribute means, and loading it once per page. */

/** Apple's auto-updating SDK (`sdk="apple"`): backward-compatible fixes without a page change. */
export const APPLE_PAY_SDK_URL = 'https://applepay.cdn-apple.com/jsapi/1.latest/apple-pay-sdk.js';

/**
 * How long the element waits for the SDK (its script, `ApplePaySession`, `<apple-pay-button>`, and
 * `applePayCapabilities`) before `epay-ready` says `sdk_unavailable`: under the 10 s the element
 * promises, so the event is out in time even on a busy page.
 */
export const SDK_TIMEOUT_MS = 9000;

/** How often a loading SDK is looked for: it may define its globals some time after its script ran. */
const SDK_POLL_MS = 50;

/** One load per script URL and page, however many elements ask, and never a second try. */
const loads = new Map<string, Promise<boolean>>();

/**
 * The script an `sdk` attribute asks for: `null` for none (empty or `none`), Apple's URL for `apple`,
 * the absolute URL of an https address or of a same-origin path, and `false` for anything else
 * (plain http to another origin, `data:`, `javascript:`, an unparsable value), which is never loaded.
 *
 * @example
 * sdkScriptUrl('apple', location.href, location.origin); // APPLE_PAY_SDK_URL
 * sdkScriptUrl('/js/apple-pay-sdk.js', 'https://shop.kz/cart', 'https://shop.kz'); // 'https://shop.kz/js/apple-pay-sdk.js'
 * sdkScriptUrl('http://cdn.example/sdk.js', 'https://shop.kz/', 'https://shop.kz'); // false
 */
export function sdkScriptUrl(value: string | null | undefined, base: string, origin: string): string | null | false {
  const v = (value ?? '').trim();
  const keyword = v.toLowerCase();
  if (!v || keyword === 'none') return null;
  if (keyword === 'apple') return APPLE_PAY_SDK_URL;
  try {
    const url = new URL(v, base);
    return url.protocol === 'https:' || url.origin === origin ? url.href : false;
  } catch {
    return false;
  }
}

/** True once the SDK has defined both of its globals: `ApplePaySession` and the `<apple-pay-button>` element. */
function sdkDefined(): boolean {
  return 'ApplePaySession' in window && !!customElements.get('apple-pay-button');
}

/**
 * Adds the SDK's script (`crossorigin="anonymous"`, as Apple publishes it) unless the page already
 * has one with that URL, once per page. Resolves true once `ApplePaySession` and `<apple-pay-button>`
 * exist, false when the script fails (offline, 404, refused by CSP) or they are still missing after
 * `timeoutMs`; never rejects. A script that failed is taken out again, and never added twice.
 *
 * @example
 * if (await loadApplePaySdk(APPLE_PAY_SDK_URL)) new ApplePaySession(14, request);
 */
export function loadApplePaySdk(src: string, timeoutMs = SDK_TIMEOUT_MS): Promise<boolean> {
  let loading = loads.get(src);
  if (!loading) {
    loading = new Promise<boolean>((resolve) => {
      const found = [...document.scripts].find((s) => s.src === src);
      // Both set before the script is inserted: the fetch mode is fixed then.
      const script =
        found ??
        document.head.appendChild(Object.assign(document.createElement('script'), { src, crossOrigin: 'anonymous' }));
      const done = (ok: boolean) => {
        clearInterval(poll);
        clearTimeout(timer);
        if (!ok && !found) script.remove();
        resolve(ok);
      };
      const poll = setInterval(() => sdkDefined() && done(true), SDK_POLL_MS);
      const timer = setTimeout(done, timeoutMs, false);
      script.addEventListener('error', () => done(false));
    });
    loads.set(src, loading);
  }
  return loading;
}

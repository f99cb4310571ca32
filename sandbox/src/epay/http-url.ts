/** @module The one URL rule the sandbox applies to merchant links. */

/**
 * Whether a value is an absolute http(s) URL (the sandbox accepts plain http so that tests can
 * point links at 127.0.0.1).
 *
 * @example
 * ```ts
 * isHttpUrl('https://shop.example/paid'); // true
 * isHttpUrl('/paid'); // false
 * ```
 */
export function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

/** @module Pure: the exact allowlist of Apple's merchant validation URLs (the browser hands us the URL to call). */
import { ProxyError } from '../errors.js';

/**
 * Apple's published Apple Pay gateway hosts, from Apple's "Setting up your server" page of Apple Pay on
 * the web (https://developer.apple.com/documentation/applepayontheweb/setting-up-your-server): the
 * production hosts (Listing 1), the sandbox hosts (Listing 2), and the regional pod hosts the earlier
 * editions of that page listed, which `validationURL` has been seen to name. Port 443 only.
 */
export const APPLE_VALIDATION_HOSTS: readonly string[] = Object.freeze([
  'apple-pay-gateway.apple.com',
  'cn-apple-pay-gateway.apple.com',
  'apple-pay-gateway-cert.apple.com',
  'cn-apple-pay-gateway-cert.apple.com',
  'apple-pay-gateway-nc-pod1.apple.com',
  'apple-pay-gateway-nc-pod2.apple.com',
  'apple-pay-gateway-nc-pod3.apple.com',
  'apple-pay-gateway-nc-pod4.apple.com',
  'apple-pay-gateway-nc-pod5.apple.com',
  'apple-pay-gateway-pr-pod1.apple.com',
  'apple-pay-gateway-pr-pod2.apple.com',
  'apple-pay-gateway-pr-pod3.apple.com',
  'apple-pay-gateway-pr-pod4.apple.com',
  'apple-pay-gateway-pr-pod5.apple.com',
  'cn-apple-pay-gateway-sh-pod1.apple.com',
  'cn-apple-pay-gateway-sh-pod2.apple.com',
  'cn-apple-pay-gateway-sh-pod3.apple.com',
  'cn-apple-pay-gateway-tj-pod1.apple.com',
  'cn-apple-pay-gateway-tj-pod2.apple.com',
  'cn-apple-pay-gateway-tj-pod3.apple.com',
]);

/** The two paths Apple's gateway serves merchant sessions on. */
export const APPLE_VALIDATION_PATHS: readonly string[] = Object.freeze([
  '/paymentservices/paymentSession',
  '/paymentservices/startSession',
]);

/** Longer than any real validation URL; refuses a megabyte string before URL parsing sees it. */
const MAX_VALIDATION_URL_LENGTH = 512;
const HTTPS_PORT = '443';

function refuse(why: string): never {
  throw new ProxyError('invalid_validation_url', `The validation URL is not an Apple Pay gateway URL: ${why}`);
}

/** `host` or `host:port` of an allowlist entry, as [lower-case host, port]. */
function splitEntry(entry: string): [string, string] {
  const lower = entry.trim().toLowerCase();
  // An IPv6 literal entry is written in brackets, like the URL host: [::1]:8443.
  const match = /^(\[[^\]]+\]|[^:]+)(?::(\d{1,5}))?$/.exec(lower);
  if (!match || match[1] === undefined) return ['', ''];
  return [match[1], match[2] ?? HTTPS_PORT];
}

/**
 * Returns the parsed URL when `raw` is an `https` URL on an allowlisted host and port, on one of Apple's two
 * session paths, with no query, fragment or userinfo; throws `ProxyError('invalid_validation_url')` otherwise.
 * A bare `host` entry allows port 443 only, `host:port` exactly that port; hosts compare exactly (no
 * suffix match, no trailing dot), so look-alikes and IP literals never match unless listed.
 *
 * @example
 * checkValidationUrl('https://apple-pay-gateway.apple.com/paymentservices/paymentSession', APPLE_VALIDATION_HOSTS);
 * checkValidationUrl('https://127.0.0.1:8443/paymentservices/paymentSession', ['127.0.0.1:8443']); // tests
 */
export function checkValidationUrl(raw: unknown, allowedHosts: readonly string[]): URL {
  if (typeof raw !== 'string') refuse('not a string');
  if (raw.length > MAX_VALIDATION_URL_LENGTH) refuse('too long');
  // Control characters and spaces would be stripped or encoded by the URL parser: refuse what we did not get verbatim.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\u0000-\u0020\u007f\\]/.test(raw)) refuse('it contains spaces, control characters or backslashes');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return refuse('not an absolute URL');
  }
  if (url.protocol !== 'https:') refuse('not https');
  // What the URL parser would normalise away (userinfo, dot segments, an empty '?') is judged on the raw text.
  const afterScheme = raw.slice(raw.indexOf('//') + 2);
  const authority = afterScheme.split('/', 1)[0] ?? '';
  if (url.username !== '' || url.password !== '' || authority.includes('@')) refuse('it carries user information');
  if (url.search !== '' || raw.includes('?')) refuse('it has a query');
  if (url.hash !== '' || raw.includes('#')) refuse('it has a fragment');
  if (!APPLE_VALIDATION_PATHS.includes(url.pathname) || afterScheme.slice(authority.length) !== url.pathname) {
    refuse('not a merchant session path');
  }

  const host = url.hostname.toLowerCase();
  const port = url.port === '' ? HTTPS_PORT : url.port;
  if (host.endsWith('.')) refuse('the host ends with a dot');
  const allowed = allowedHosts.some((entry) => {
    const [entryHost, entryPort] = splitEntry(entry);
    return entryHost !== '' && entryHost === host && entryPort === port;
  });
  if (!allowed) refuse('the host is not on the allowlist');
  return url;
}

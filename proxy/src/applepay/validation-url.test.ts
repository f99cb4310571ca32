import { describe, expect, it } from 'vitest';
import { ProxyError } from '../errors.js';
import { APPLE_VALIDATION_HOSTS, checkValidationUrl } from './validation-url.js';

const SESSION = '/paymentservices/paymentSession';
const TEST_HOSTS = [...APPLE_VALIDATION_HOSTS, '127.0.0.1:8443', 'localhost:9443', '[::1]:8443'];

function refusal(raw: unknown, hosts: readonly string[] = TEST_HOSTS): string {
  try {
    checkValidationUrl(raw, hosts);
  } catch (err) {
    expect(err).toBeInstanceOf(ProxyError);
    return (err as ProxyError).code;
  }
  return 'allowed';
}

describe('checkValidationUrl', () => {
  it.each([
    `https://apple-pay-gateway.apple.com${SESSION}`,
    'https://apple-pay-gateway.apple.com/paymentservices/startSession',
    `https://cn-apple-pay-gateway.apple.com${SESSION}`,
    `https://apple-pay-gateway-cert.apple.com${SESSION}`,
    `https://apple-pay-gateway-nc-pod5.apple.com${SESSION}`,
    `https://apple-pay-gateway.apple.com:443${SESSION}`,
    `https://APPLE-PAY-GATEWAY.Apple.COM${SESSION}`,
    `https://127.0.0.1:8443${SESSION}`,
    `https://localhost:9443${SESSION}`,
    `https://[::1]:8443${SESSION}`,
  ])('allows %s', (raw) => {
    expect(checkValidationUrl(raw, TEST_HOSTS).href.toLowerCase()).toBe(raw.toLowerCase().replace(':443/', '/'));
  });

  it.each([
    ['a look-alike suffix', `https://apple-pay-gateway.apple.com.evil.example${SESSION}`],
    ['a look-alike prefix', `https://evil-apple-pay-gateway.apple.com${SESSION}`],
    ['a sibling subdomain', `https://pay.apple.com${SESSION}`],
    ['a parent domain', `https://apple.com${SESSION}`],
    ['a subdomain of an allowed host', `https://x.apple-pay-gateway.apple.com${SESSION}`],
    ['another port on an allowed host', `https://apple-pay-gateway.apple.com:8443${SESSION}`],
    ['port 443 on a host:port entry', `https://127.0.0.1${SESSION}`],
    ['another port on a host:port entry', `https://127.0.0.1:8444${SESSION}`],
    ['plain http', `http://apple-pay-gateway.apple.com${SESSION}`],
    ['another scheme', `wss://apple-pay-gateway.apple.com${SESSION}`],
    ['another path', 'https://apple-pay-gateway.apple.com/paymentservices/other'],
    ['the root path', 'https://apple-pay-gateway.apple.com/'],
    ['a trailing slash', `https://apple-pay-gateway.apple.com${SESSION}/`],
    ['an upper-case path', 'https://apple-pay-gateway.apple.com/PaymentServices/paymentSession'],
    ['dot segments', 'https://apple-pay-gateway.apple.com/x/../paymentservices/paymentSession'],
    ['an encoded slash', 'https://apple-pay-gateway.apple.com/paymentservices%2FpaymentSession'],
    ['userinfo before an allowed host', `https://user:pw@apple-pay-gateway.apple.com${SESSION}`],
    ['an allowed host as userinfo', `https://apple-pay-gateway.apple.com@evil.example${SESSION}`],
    ['an empty userinfo', `https://@apple-pay-gateway.apple.com${SESSION}`],
    ['an unlisted IP literal', `https://17.171.78.7${SESSION}`],
    ['an IP literal spelled in decimal', `https://2147483649${SESSION}`],
    ['an unlisted IPv6 literal', `https://[::2]:8443${SESSION}`],
    ['a trailing dot', `https://apple-pay-gateway.apple.com.${SESSION}`],
    ['a query', `https://apple-pay-gateway.apple.com${SESSION}?x=1`],
    ['an empty query', `https://apple-pay-gateway.apple.com${SESSION}?`],
    ['a fragment', `https://apple-pay-gateway.apple.com${SESSION}#x`],
    ['a punycode look-alike (Cyrillic a)', `https://\u0430pple-pay-gateway.apple.com${SESSION}`],
    ['a punycode look-alike written as xn--', `https://xn--pple-pay-gateway-8ci.apple.com${SESSION}`],
    ['a full-width dot', `https://apple-pay-gateway\uff0eapple.com.evil.example${SESSION}`],
    ['a backslash', `https://apple-pay-gateway.apple.com\\@evil.example${SESSION}`],
    ['surrounding spaces', ` https://apple-pay-gateway.apple.com${SESSION}`],
    ['a relative URL', SESSION],
    ['an overlong string', `https://apple-pay-gateway.apple.com${SESSION}`.padEnd(2000, 'a')],
  ])('refuses %s', (_why, raw) => {
    expect(refusal(raw)).toBe('invalid_validation_url');
  });

  it.each([[undefined], [null], [42], [{ href: `https://apple-pay-gateway.apple.com${SESSION}` }], [['x']]])(
    'refuses the non-string %j',
    (raw) => {
      expect(refusal(raw)).toBe('invalid_validation_url');
    },
  );

  it('allows the loopback gateway only when it is listed', () => {
    expect(refusal(`https://127.0.0.1:8443${SESSION}`, APPLE_VALIDATION_HOSTS)).toBe('invalid_validation_url');
    expect(refusal(`https://127.0.0.1:8443${SESSION}`, ['127.0.0.1:8443'])).toBe('allowed');
  });

  it('lists only Apple hosts, all lower case, without ports', () => {
    for (const host of APPLE_VALIDATION_HOSTS) expect(host).toMatch(/^[a-z0-9-]+(\.[a-z0-9-]+)*\.apple\.com$/);
  });
});

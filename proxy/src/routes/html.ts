/** @module The proxy's only HTML: a small result page and a retry page, escaped, with strict security headers. */
import type { Context } from 'hono';

/** No script, no outside resources, no framing, no forms: the page only shows text. */
export const HTML_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => ESCAPES[ch] ?? ch);
}

function page(title: string, inner: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(title)}</title><style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem}</style></head><body><h1>${escapeHtml(title)}</h1>${inner}</body></html>`;
}

export function htmlPage(c: Context, status: 200 | 400, title: string, text: string): Response {
  return c.html(page(title, `<p>${escapeHtml(text)}</p>`), status, HTML_SECURITY_HEADERS);
}

/**
 * A page whose one button posts `fields` again to this same address (a form without `action` posts to the page's own
 * URL, wherever the proxy is mounted). Still no script: the customer presses the button.
 */
export function retryPage(c: Context, title: string, text: string, fields: Record<string, string>): Response {
  const inputs = Object.entries(fields)
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('');
  const headers = {
    ...HTML_SECURITY_HEADERS,
    'content-security-policy':
      "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  };
  return c.html(
    page(
      title,
      `<p>${escapeHtml(text)}</p><form method="post">${inputs}<button type="submit">Try again</button></form>`,
    ),
    503,
    headers,
  );
}

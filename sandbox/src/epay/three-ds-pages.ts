/** @module The HTML of the sandbox's 3-D Secure pages: the password page and the page that returns the customer to TermUrl. */

/** The one-time code the sandbox's password page accepts (shown as a hint on the page). */
export const THREE_DS_CODE = '123456';

/** Wrong codes allowed before the page gives up and reports a failed authentication. */
export const THREE_DS_MAX_ATTEMPTS = 3;

const STYLE = `
  body { font: 16px/1.5 system-ui, sans-serif; background: #f3f4f6; margin: 0; }
  main { max-width: 420px; margin: 48px auto; background: #fff; border-radius: 12px; padding: 24px 28px; box-shadow: 0 2px 12px #0002; }
  h1 { font-size: 20px; margin: 0 0 12px; }
  dl { display: grid; grid-template-columns: auto 1fr; gap: 4px 16px; margin: 0 0 16px; }
  dt { color: #6b7280; } dd { margin: 0; }
  label { display: block; font-weight: 600; margin-bottom: 4px; }
  input[type=text] { font-size: 20px; letter-spacing: 4px; padding: 8px; width: 100%; box-sizing: border-box; }
  .hint { color: #6b7280; font-size: 14px; margin: 4px 0 16px; }
  .error { color: #b91c1c; margin: 0 0 12px; }
  .actions { display: flex; gap: 12px; }
  button { font-size: 16px; padding: 10px 18px; border-radius: 8px; border: 1px solid #111; background: #111; color: #fff; cursor: pointer; }
  button.secondary { background: #fff; color: #111; }
`;

/**
 * Escapes text for an HTML text node or a double-quoted attribute.
 *
 * @example
 * ```ts
 * escapeHtml('<a href="x">'); // '&lt;a href=&quot;x&quot;&gt;'
 * ```
 */
export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

function page(title: string, body: string, script = ''): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${body}
</main>${script}
</body>
</html>
`;
}

/** What the password page shows about the payment. */
export interface PasswordPageModel {
  /** Absolute URL of `POST /3ds/submit`. */
  submitUrl: string;
  md: string;
  amount: number;
  currency: string;
  cardMask: string;
  /** Set after a wrong code. */
  error?: string;
}

/**
 * The password page: payment summary, a code field with its hint, and Confirm / Decline.
 *
 * @example
 * ```ts
 * c.html(passwordPage({ submitUrl, md, amount: 100.11, currency: 'KZT', cardMask: '440043******0011' }));
 * ```
 */
export function passwordPage(model: PasswordPageModel): string {
  const error = model.error ? `<p class="error" role="alert">${escapeHtml(model.error)}</p>` : '';
  return page(
    '3-D Secure: confirm the payment',
    `<h1>Confirm the payment</h1>
<dl>
  <dt>Amount</dt><dd>${escapeHtml(`${model.amount} ${model.currency}`)}</dd>
  <dt>Card</dt><dd>${escapeHtml(model.cardMask)}</dd>
</dl>
${error}<form method="post" action="${escapeHtml(model.submitUrl)}">
  <input type="hidden" name="MD" value="${escapeHtml(model.md)}">
  <label for="code">One-time code</label>
  <input type="text" id="code" name="code" inputmode="numeric" autocomplete="one-time-code" required autofocus>
  <p class="hint">Sandbox bank: the code is <strong>${THREE_DS_CODE}</strong>. Decline to test a failed authentication.</p>
  <div class="actions">
    <button type="submit" name="decision" value="confirm">Confirm</button>
    <button type="submit" name="decision" value="decline" class="secondary" formnovalidate>Decline</button>
  </div>
</form>`,
  );
}

/**
 * The page that returns the customer to the merchant: a form posting `PaRes` and `MD` to
 * `TermUrl`, submitted by a small script, with a visible Continue button for browsers without script.
 *
 * @example
 * ```ts
 * c.html(returnPage({ termUrl, paRes, md, approved: true }));
 * ```
 */
export function returnPage(model: { termUrl: string; paRes: string; md: string; approved: boolean }): string {
  const outcome = model.approved ? 'Authentication succeeded.' : 'Authentication failed.';
  return page(
    '3-D Secure: returning to the shop',
    `<h1>${outcome}</h1>
<p>Returning you to the shop…</p>
<form method="post" action="${escapeHtml(model.termUrl)}" name="ReturnForm">
  <input type="hidden" name="PaRes" value="${escapeHtml(model.paRes)}">
  <input type="hidden" name="MD" value="${escapeHtml(model.md)}">
  <button type="submit">Continue</button>
</form>`,
    '\n<script>document.forms.ReturnForm.submit();</script>',
  );
}

/**
 * A plain error page for a request the 3-D Secure server cannot serve.
 *
 * @example
 * ```ts
 * c.html(threeDsErrorPage('Unknown 3-D Secure session'), 400);
 * ```
 */
export function threeDsErrorPage(message: string): string {
  return page('3-D Secure: error', `<h1>3-D Secure error</h1>\n<p class="error">${escapeHtml(message)}</p>`);
}

/** @module Builds and submits the 3-D Secure form with DOM calls only, so a strict Content-Security-Policy allows it. */
import type { Epay3dsDetail } from './events.js';

/**
 * True for an absolute https URL (http only on this machine, for the sandbox bank). The form's action comes from the
 * network; anything else (`javascript:`, `data:`, plain http elsewhere) must never become a navigation target.
 *
 * @example
 * isFormAction('https://epay-proxy.homebank.kz/'); // true
 */
export function isFormAction(action: unknown): action is string {
  try {
    const u = new URL(action as string);
    return u.protocol === 'https:' || (u.protocol === 'http:' && /^(localhost|127\.0\.0\.1|\[::1\])$/.test(u.hostname));
  } catch {
    return false;
  }
}

/**
 * Builds the bank's form: `method="post"`, the given action, one hidden input for each of
 * `PaReq`, `MD` and `TermUrl` (and nothing else the answer may carry).
 *
 * @example
 * const form = buildThreeDsForm(document, { action, fields: { PaReq, MD, TermUrl } });
 */
export function buildThreeDsForm(doc: Document, detail: Epay3dsDetail): HTMLFormElement {
  const form = doc.createElement('form');
  form.method = 'post';
  form.action = detail.action;
  form.target = '_self';
  form.hidden = true;
  for (const name of ['PaReq', 'MD', 'TermUrl'] as const) {
    const input = doc.createElement('input');
    input.type = 'hidden';
    input.name = name;
    input.value = detail.fields[name];
    form.append(input);
  }
  return form;
}

/**
 * Posts the customer to the bank's 3-D Secure page: the form is appended to `document.body`
 * (a detached form does not submit) and submitted.
 *
 * @example
 * postThreeDsForm(event.detail); // what the element does unless `epay-3ds` is cancelled
 */
export function postThreeDsForm(detail: Epay3dsDetail, doc: Document = document): HTMLFormElement {
  const form = buildThreeDsForm(doc, detail);
  doc.body.append(form);
  form.submit();
  return form;
}

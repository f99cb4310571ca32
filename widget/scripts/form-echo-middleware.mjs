/**
 * @module Dev-server middleware for the browser tests: `POST /__form-echo` answers with a page that
 * shows what the browser really submitted (method, content type, fields), so a test can check a
 * form post of the engine under test, not a stubbed `submit()`.
 */

/** The path the tests post their forms to. */
export const FORM_ECHO_PATH = '/__form-echo';
/** A test form is a few hundred bytes; anything far larger is a bug, not a form. */
const MAX_BODY_BYTES = 64 * 1024;

/**
 * Koa middleware for @web/test-runner's `middleware` option.
 *
 * @example
 * export default { middleware: [formEcho] };
 * @param {{ path: string, method: string, req: AsyncIterable<Buffer>, get(header: string): string, throw(status: number): never, type: string, body: unknown }} ctx Koa's context (the fields used here)
 * @param {() => Promise<unknown>} next
 */
export async function formEcho(ctx, next) {
  if (ctx.path !== FORM_ECHO_PATH) return next();
  let body = '';
  for await (const chunk of ctx.req) {
    body += chunk;
    if (body.length > MAX_BODY_BYTES) ctx.throw(413);
  }
  const echo = {
    method: ctx.method,
    contentType: ctx.get('content-type'),
    fields: Object.fromEntries(new URLSearchParams(body)),
  };
  ctx.type = 'text/html';
  // JSON inside <script type="application/json">: the fields are data, never markup.
  ctx.body = `<!doctype html><title>form echo</title><script type="application/json" id="echo">${JSON.stringify(echo).replace(/</g, '\\u003c')}</script>`;
}

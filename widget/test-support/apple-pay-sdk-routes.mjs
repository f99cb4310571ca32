/**
 * @module Dev-server middleware for the SDK tests: scripts standing for Apple's SDK when it fails. Under
 * `/__apple-pay-sdk/`: `404.js` answers 404, `hang.js` never answers (until the page goes away, or a minute passes),
 * `empty.js` loads and defines nothing. The working stand-in is a file the server serves as it is:
 * `/test-support/apple-pay-sdk.ts`.
 */

/** The path the failing scripts are served under. */
export const APPLE_PAY_SDK_ROUTES = '/__apple-pay-sdk/';
/** A hung script outlives every test that waits for it, and no test run. */
const HANG_LIMIT_MS = 60_000;

/**
 * Koa middleware for @web/test-runner's `middleware` option.
 *
 * @example
 * export default { middleware: [appleSdkRoutes] };
 * @param {{ path: string, res: import('node:http').ServerResponse, status: number, type: string, body: unknown }} ctx Koa's context (the fields used here)
 * @param {() => Promise<unknown>} next
 */
export async function appleSdkRoutes(ctx, next) {
  if (!ctx.path.startsWith(APPLE_PAY_SDK_ROUTES)) return next();
  const name = ctx.path.slice(APPLE_PAY_SDK_ROUTES.length);
  if (name === 'hang.js') {
    // The response's `close` also fires when the browser gives up on the request (the page closed).
    await new Promise((resolve) => {
      ctx.res.once('close', resolve);
      setTimeout(resolve, HANG_LIMIT_MS).unref();
    });
    ctx.status = 504;
    return;
  }
  if (name === 'empty.js') {
    ctx.type = 'text/javascript';
    ctx.body = '/* An SDK that loads and defines nothing: no ApplePaySession, no <apple-pay-button>. */\n';
    return;
  }
  ctx.status = 404;
  ctx.body = 'Not found';
}

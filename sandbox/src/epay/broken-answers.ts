/** @module The ways a bank answer breaks: dropped connection, HTML garbage, a gateway 5xx. */
import { nodeSocket, type SandboxContext } from './http-context.js';

/** @hono/node-server writes nothing for a response with this header: the socket is already gone. */
const ALREADY_SENT_HEADER = 'x-hono-already-sent';

const dropped = new WeakSet<Response>();

/**
 * Cuts the client's connection without an answer. Served over HTTP, the socket is destroyed; under
 * `app.request()` there is no socket, so the answer's body fails when read instead.
 *
 * @example
 * ```ts
 * return dropConnection(c);
 * ```
 */
export function dropConnection(c: SandboxContext): Response {
  const socket = nodeSocket(c);
  let response: Response;
  if (socket) {
    socket.destroy();
    response = new Response(null, { headers: { [ALREADY_SENT_HEADER]: 'true' } });
  } else {
    const body = new ReadableStream({
      start(controller) {
        controller.error(new Error('connection dropped by the sandbox bank'));
      },
    });
    response = new Response(body, { status: 200, headers: { 'content-type': 'application/json' } });
  }
  dropped.add(response);
  return response;
}

/**
 * Whether a response stands for a dropped connection.
 *
 * @example
 * ```ts
 * call.status = wasDropped(res) ? 0 : res.status;
 * ```
 */
export function wasDropped(response: Response): boolean {
  return dropped.has(response);
}

/**
 * A 200 whose body is an HTML error page where JSON was expected (what a misbehaving balancer sends).
 *
 * @example
 * ```ts
 * return garbageAnswer();
 * ```
 */
export function garbageAnswer(): Response {
  const html =
    '<!DOCTYPE html><html><head><title>Service Temporarily Unavailable</title></head>' +
    '<body><h1>Service Temporarily Unavailable</h1><p>The server is temporarily unable to service your request.</p>' +
    '<hr><address>epay-api</address></body></html>';
  return new Response(html, { status: 200, headers: { 'content-type': 'text/html; charset=utf-8' } });
}

/**
 * A gateway error page with the given 5xx status.
 *
 * @example
 * ```ts
 * return serverErrorAnswer(500);
 * ```
 */
export function serverErrorAnswer(status: 500 | 502): Response {
  const title = status === 500 ? '500 Internal Server Error' : '502 Bad Gateway';
  const html = `<html><head><title>${title}</title></head><body><center><h1>${title}</h1></center><hr><center>nginx</center></body></html>`;
  return new Response(html, { status, headers: { 'content-type': 'text/html; charset=utf-8' } });
}

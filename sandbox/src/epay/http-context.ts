/** @module The request context of the sandbox bank, and the Node socket behind it when there is one. */
import type { HttpBindings } from '@hono/node-server';
import type { Context } from 'hono';
import type { Socket } from 'node:net';

/**
 * The app is a plain `Hono` (what the public API promises), so its context is the default one;
 * the Node bindings are read through {@link nodeSocket}.
 */
export type SandboxContext = Context;

/**
 * The client's socket when served by @hono/node-server; `undefined` under `app.request()`.
 *
 * @example
 * ```ts
 * nodeSocket(c)?.destroy();
 * ```
 */
export function nodeSocket(c: SandboxContext): Socket | undefined {
  const env = c.env as Partial<HttpBindings> | undefined;
  return env?.incoming?.socket;
}

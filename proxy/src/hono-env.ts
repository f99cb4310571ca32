/** @module The Hono environment shared by the proxy's middleware and routes. */
import type { LogRecord } from './log.js';

export interface HonoEnv {
  Variables: {
    /** Fields a route adds to the request's one log line. */
    log: LogRecord;
  };
}

/** @module The Hono environment shared by the proxy's middleware and routes. */
import type { LogRecord } from './log.js';

export interface HonoEnv {
  Variables: {
    /** Fields a route adds to the request's one log line. */
    log: LogRecord;
    /** On `/operations/*`: a short id of the bearer key the request presented (never the key). */
    operationsKey?: string;
  };
}

/** @module The Node entry: `pnpm --filter @epay-applepay/proxy start`. Refuses to start on bad settings. */
import { closeProxyApp, createProxyApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { serveProxy } from './node-server.js';
import { RedisStore } from './redis-store.js';

/** Time given to requests in flight on shutdown. */
const SHUTDOWN_GRACE_MS = 25_000;

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig(process.env);
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\nThe proxy did not start. See docs/settings.md.\n`);
    process.exit(78); // EX_CONFIG
  }
  throw err;
}

for (const warning of config.warnings) {
  process.stderr.write(`${JSON.stringify({ t: new Date().toISOString(), level: 'warn', msg: warning })}\n`);
}

// Several instances behind a load balancer share one Redis for the invoice lock and the replay guard.
const app = createProxyApp(
  config,
  config.redisUrl === undefined ? {} : { store: new RedisStore({ url: config.redisUrl }) },
);
// Slow senders are cut and connections capped here; docs/merchant-guide.md, "5. Run the proxy behind your shop's domain", says what
// the reverse proxy in front adds.
const serverOptions = {
  port: config.port,
  hostname: process.env.HOST ?? '0.0.0.0',
  maxConnections: config.maxConnections,
};
const server = serveProxy(app, serverOptions, (info) => {
  process.stdout.write(
    `${JSON.stringify({
      t: new Date().toISOString(),
      level: 'info',
      msg: 'listening',
      port: info.port,
      mode: config.epay.tokenMode,
      store: config.redisUrl === undefined ? 'memory' : 'redis',
    })}\n`,
  );
});

function shutdown() {
  server.close(() => {
    void closeProxyApp(app).finally(() => process.exit(0));
  });
  setTimeout(() => process.exit(0), SHUTDOWN_GRACE_MS).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

import { buildApp } from './app.ts';
import { ConfigError, ensureSecret, loadConfig } from './platform/config.ts';
import { DataDirLockedError } from './platform/data-dir.ts';
import { DatabaseRoleError } from './platform/db/index.ts';
import { productionFindings } from './platform/startup-checks.ts';

// Everything this process writes under DATA_DIR (database, secret, mails) is for its owner alone.
process.umask(0o077);
import { startMetricsListener } from './platform/metrics.ts';
import { startAdminSocket, stopAdminSocket } from './admin-socket.ts';

let config;
try {
  config = ensureSecret(loadConfig());
} catch (e) {
  if (e instanceof ConfigError) {
    console.error(`Configuration error: ${e.message}`);
    process.exit(78);
  }
  throw e;
}

// A production start says what it would leave broken or unprotected, one line each; strict refuses instead.
const findings = productionFindings(config);
if (findings.length && config.startupChecks === 'strict') {
  for (const f of findings) console.error(`Configuration error: ${f.message}`);
  console.error('Configuration error: refusing a production start with STARTUP_CHECKS=strict; fix the above or set STARTUP_CHECKS=warn');
  process.exit(78);
}

const app = await buildApp(config).catch((e: unknown) => {
  if (e instanceof DataDirLockedError) {
    console.error(`error: ${e.message}`);
    process.exit(75);
  }
  if (e instanceof DatabaseRoleError) {
    console.error(`error: ${e.message}`);
    process.exit(78);
  }
  throw e;
});
for (const f of findings) app.log.warn({ variable: f.variable }, `production start: ${f.message}`);
app.log.info({ host: config.host, port: config.port }, 'application built; starting to listen');
await app.listen({ port: config.port, host: config.host });
// Metrics on their own listener, loopback by default: never anonymous on the public port. A taken metrics
// port (two instances on one host with the default) costs the scrape, not the API: logged, and serving goes on.
let metricsServer: Awaited<ReturnType<typeof startMetricsListener>> | null = null;
if (config.metricsPort !== null) {
  try {
    metricsServer = await startMetricsListener(app, config.metricsHost, config.metricsPort);
  } catch (err) {
    app.log.error(
      { err: (err as Error).message, port: config.metricsPort, host: config.metricsHost },
      'metrics listener could not start; set METRICS_PORT to a free port',
    );
  }
}
// Embedded engine: the CLI's backup and audit check reach this process through DATA_DIR/admin.sock
// (the database has one owner). Without it they need the server stopped, so a failure is logged, not fatal.
let adminServer: Awaited<ReturnType<typeof startAdminSocket>> | null = null;
if (app.platform.database.pglite) {
  try {
    adminServer = await startAdminSocket(config.dataDir, app.platform.database, app.platform.log);
  } catch (err) {
    app.log.error({ err: (err as Error).message }, 'admin socket could not start: backup and audit verify need the server stopped');
  }
}
app.log.info(
  { engine: app.platform.database.engine, publicUrl: config.publicUrl, metrics: metricsServer?.address() ?? null },
  'Telecare is serving',
);

let closing = false;
async function shutdown(signal: string) {
  if (closing) return;
  closing = true;
  app.log.info({ signal }, 'shutting down: draining in-flight requests');
  // A request that never finishes must not keep the process alive forever.
  const force = setTimeout(() => {
    app.log.error('shutdown timed out; exiting');
    process.exit(1);
  }, 25_000);
  force.unref();
  try {
    metricsServer?.close();
    await stopAdminSocket(adminServer);
    await app.close();
    process.exit(0);
  } catch (err) {
    app.log.error({ err }, 'error during shutdown');
    process.exit(1);
  }
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));

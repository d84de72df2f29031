import type { Logger } from 'pino';
import type { Database } from './index.ts';

/**
 * The embedded engine has no autovacuum, so its planner statistics go stale and, e.g., the doctor
 * directory's trigram index is ignored until VACUUM has run. Runs VACUUM ANALYZE shortly after start
 * and then periodically; a server PostgreSQL does this itself, so it does nothing there.
 */
export function startEmbeddedMaintenance(database: Database, log: Logger, intervalMinutes: number): () => void {
  if (database.engine !== 'pglite' || intervalMinutes <= 0) return () => undefined;
  let running: Promise<void> | null = null;
  const run = () => {
    if (running) return;
    const started = Date.now();
    running = database
      .pglite!.exec('VACUUM ANALYZE')
      .then(() => log.debug({ ms: Date.now() - started }, 'embedded database vacuumed'))
      .catch((err) => log.warn({ err: (err as Error).message }, 'embedded VACUUM ANALYZE failed'))
      .finally(() => {
        running = null;
      });
  };
  const first = setTimeout(run, 5_000);
  const every = setInterval(run, intervalMinutes * 60_000);
  first.unref();
  every.unref();
  return () => {
    clearTimeout(first);
    clearInterval(every);
  };
}

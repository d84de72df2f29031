import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Database } from './index.ts';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../../migrations/', import.meta.url));

// Any constant works; it only has to be the same for every instance of Telecare.
const MIGRATION_LOCK = 727_001;

interface Runner {
  exec(text: string): Promise<void>;
  query<T>(text: string, params?: unknown[]): Promise<T[]>;
}

export function migrationFiles(): { name: string; sql: string }[] {
  return readdirSync(MIGRATIONS_DIR)
    .filter((f) => /^\d{4}_[\w-]+\.sql$/.test(f))
    .sort()
    .map((name) => ({ name, sql: readFileSync(MIGRATIONS_DIR + name, 'utf8') }));
}

/**
 * Applies pending SQL migrations in one transaction, in file order. The same files serve PGlite and
 * PostgreSQL; an advisory lock makes instances that start together apply them once.
 */
export async function runMigrations(database: Database): Promise<string[]> {
  const files = migrationFiles();
  if (database.pglite) {
    const c = database.pglite;
    return apply(
      {
        exec: async (t) => {
          await c.exec(t);
        },
        query: async <T>(t: string, p?: unknown[]) => (await c.query<T>(t, p)).rows,
      },
      files,
    );
  }
  const client = await database.pool!.connect();
  try {
    return await apply(
      {
        exec: async (t) => {
          await client.query(t);
        },
        query: async <T>(t: string, p?: unknown[]) => (await client.query(t, p)).rows as T[],
      },
      files,
    );
  } finally {
    client.release();
  }
}

async function apply(r: Runner, files: { name: string; sql: string }[]): Promise<string[]> {
  const applied: string[] = [];
  // Up to date: nothing to lock or create, so a serving role without DDL rights (the owner migrated) starts too.
  const [{ present }] = await r.query<{ present: boolean }>("SELECT to_regclass('schema_migrations') IS NOT NULL AS present");
  if (present) {
    const done = new Set((await r.query<{ name: string }>('SELECT name FROM schema_migrations')).map((x) => x.name));
    if (files.every((f) => done.has(f.name))) return applied;
  }
  await r.exec('BEGIN');
  try {
    await r.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await r.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = new Set((await r.query<{ name: string }>('SELECT name FROM schema_migrations')).map((x) => x.name));
    for (const f of files) {
      if (done.has(f.name)) continue;
      await r.exec(f.sql);
      await r.query('INSERT INTO schema_migrations (name) VALUES ($1)', [f.name]);
      applied.push(f.name);
    }
    await r.exec('COMMIT');
  } catch (e) {
    await r.exec('ROLLBACK').catch(() => undefined);
    throw e;
  }
  return applied;
}

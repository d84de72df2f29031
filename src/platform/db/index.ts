import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { btree_gist } from '@electric-sql/pglite/contrib/btree_gist';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzlePg, NodePgSession, NodePgTransaction } from 'drizzle-orm/node-postgres';
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import { sql, type SQL } from 'drizzle-orm';
import pg from 'pg';
import type { Logger } from 'pino';
import { runMigrations } from './migrate.ts';
import { lockDataDir, makePrivate } from '../data-dir.ts';

/** Both engines' Drizzle databases share this base; repos take it (or a transaction). */
export type Db = PgDatabase<PgQueryResultHKT, Record<string, never>>;
export type Tx = PgTransaction<PgQueryResultHKT, Record<string, never>>;
export type Executor = Db | Tx;

export interface Database {
  engine: 'pglite' | 'postgres';
  db: Db;
  /** Raw SQL returning rows, for the few queries Drizzle's builder cannot express. */
  rows<T = Record<string, unknown>>(query: SQL, executor?: Executor): Promise<T[]>;
  ping(timeoutMs?: number): Promise<void>;
  /** The server URL, for LISTEN connections; null on the embedded engine. */
  url: string | null;
  pglite: PGlite | null;
  pool: pg.Pool | null;
  close(): Promise<void>;
}

export interface OpenOptions {
  databaseUrl: string | null;
  /** Server engine: migrations run on a connection of this role (the schema's owner) instead of databaseUrl's. */
  ownerUrl?: string | null;
  /** Directory for the embedded engine; 'memory://' keeps it in memory (tests). */
  pgliteDir: string;
  log?: Logger;
  poolMax?: number;
  /** Embedded engine only: start from this data directory dump (tests clone a migrated template). */
  pgliteTemplate?: Blob | File;
}

/**
 * drizzle-orm 0.45's NodePgSession.transaction sends BEGIN before its try/finally, so when BEGIN fails (the
 * server went away, a proxy cut the connection) the pooled client is never released: the pool leaks it, and
 * pool.end() at shutdown waits for it forever (the database-outage test hung there). This is the same
 * transaction with BEGIN inside the try, and a client whose BEGIN or ROLLBACK failed destroyed rather than
 * returned to the pool.
 */
function releasePooledClientsOnFailure(db: Db, pool: pg.Pool): void {
  type Work = (tx: unknown) => Promise<unknown>;
  type Internals = ConstructorParameters<typeof NodePgSession>;
  const session = (
    db as unknown as { session: { dialect: Internals[1]; options: Internals[3]; transaction: (work: Work) => Promise<unknown> } }
  ).session;
  session.transaction = async (work: Work) => {
    const client = await pool.connect();
    const txSession = new NodePgSession(client, session.dialect, undefined, session.options);
    const tx = new NodePgTransaction(session.dialect, txSession, undefined);
    let broken: Error | undefined;
    try {
      try {
        await tx.execute(sql`begin`);
      } catch (err) {
        broken = err as Error;
        throw err;
      }
      withCommit.set(tx, []);
      try {
        const result = await work(tx);
        await commit(client, withCommit.get(tx)!);
        return result;
      } catch (err) {
        await tx.execute(sql`rollback`).catch((e: Error) => (broken = e));
        throw err;
      } finally {
        withCommit.delete(tx);
      }
    } finally {
      client.release(broken);
    }
  };
}

/**
 * The statements each open node-postgres transaction sends with its COMMIT (see runWithCommit), by the
 * transaction object the work receives: a savepoint inside it (`tx.transaction(…)`) is another object, so
 * its statements run at once and roll back with it.
 */
const withCommit = new WeakMap<object, { q: Prepared<unknown>; values: unknown[] }[]>();

/**
 * Sends the statements deferred to the commit and the COMMIT back to back: the connection is in pipeline
 * mode, so they leave together and the server runs the COMMIT right after the last statement, without
 * waiting for this process to read its answer. A failed statement aborts the transaction, and the COMMIT
 * that follows it then rolls back; its error is thrown.
 */
async function commit(client: pg.PoolClient, statements: { q: Prepared<unknown>; values: unknown[] }[]): Promise<void> {
  const sent = statements.map(({ q, values }) => client.query({ name: q.name, text: q.text, values }));
  const outcomes = await Promise.allSettled([...sent, client.query('COMMIT')]);
  const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (failed) throw failed.reason;
}

export async function openDatabase(opts: OpenOptions): Promise<Database> {
  let database: Database;
  if (opts.databaseUrl) {
    const pool = new pg.Pool({
      connectionString: opts.databaseUrl,
      max: opts.poolMax ?? 10,
      // Queries leave as soon as they are issued instead of after the previous answer (runWithCommit).
      pipeline: true,
      connectionTimeoutMillis: 3000,
      idleTimeoutMillis: 10_000,
    });
    // An idle client losing its server must not crash the process; the next query reports it.
    pool.on('error', (err) => opts.log?.warn({ err: err.message }, 'idle database client error'));
    // A checked-out client (e.g. inside a transaction) whose server goes away emits 'error' too; with no
    // listener that would crash the process. The query in progress still fails and answers 503.
    pool.on('connect', (client) => client.on('error', (err) => opts.log?.warn({ err: err.message }, 'database client error')));
    const db = drizzlePg(pool) as unknown as Db;
    releasePooledClientsOnFailure(db, pool);
    database = {
      engine: 'postgres',
      db,
      url: opts.databaseUrl,
      pglite: null,
      pool,
      rows: async (q, ex) => ((await (ex ?? db).execute(q)) as unknown as { rows: never[] }).rows,
      ping: (timeoutMs = 2000) =>
        withTimeout(
          pool.query('select 1').then(() => undefined),
          timeoutMs,
        ),
      close: () => pool.end(),
    };
  } else {
    const onDisk = opts.pgliteDir !== 'memory://';
    // One owner per data directory: a second PGlite on the same files (the CLI beside the server) loses writes.
    const unlock = onDisk ? lockDataDir(dirname(opts.pgliteDir)) : () => undefined;
    let client: PGlite;
    try {
      if (onDisk) mkdirSync(opts.pgliteDir, { recursive: true, mode: 0o700 });
      client = await PGlite.create(opts.pgliteDir, {
        extensions: { btree_gist, pg_trgm },
        ...(opts.pgliteTemplate ? { loadDataDir: opts.pgliteTemplate } : {}),
      });
    } catch (e) {
      unlock();
      throw e;
    }
    if (onDisk) makePrivate(dirname(opts.pgliteDir));
    const db = drizzlePglite(client) as unknown as Db;
    database = {
      engine: 'pglite',
      db,
      url: null,
      pglite: client,
      pool: null,
      rows: async (q, ex) => ((await (ex ?? db).execute(q)) as unknown as { rows: never[] }).rows,
      ping: (timeoutMs = 2000) =>
        withTimeout(
          client.query('select 1').then(() => undefined),
          timeoutMs,
        ),
      close: async () => {
        try {
          await client.close();
          if (onDisk) makePrivate(dirname(opts.pgliteDir));
        } finally {
          unlock();
        }
      },
    };
  }
  return database;
}

export function pgliteDirFor(dataDir: string): string {
  return join(dataDir, 'pglite');
}

export async function openAndMigrate(opts: OpenOptions): Promise<Database> {
  // Start-up progress, so a slow start shows which step it is in.
  opts.log?.info({ engine: opts.databaseUrl ? 'postgres' : 'pglite' }, 'opening the database');
  const database = await openDatabase(opts);
  try {
    opts.log?.info('migrating the database');
    const applied = database.pool && opts.ownerUrl ? await migrateAsOwner(opts.ownerUrl) : await runMigrations(database);
    opts.log?.info({ applied }, applied.length ? 'migrations applied' : 'database schema is up to date');
  } catch (e) {
    await database.close().catch(() => undefined);
    throw e;
  }
  return database;
}

/** Runs the migrations on a short-lived connection of the owner role, closed before serving starts. */
export async function migrateAsOwner(ownerUrl: string): Promise<string[]> {
  const owner = await openDatabase({ databaseUrl: ownerUrl, pgliteDir: '', poolMax: 1 });
  try {
    return await runMigrations(owner);
  } finally {
    await owner.close();
  }
}

/** Start-up refused: DATABASE_ROLE_CHECK=refuse and the serving role could rewrite the audit trail. */
export class DatabaseRoleError extends Error {}

/**
 * The serving role's standing on the server engine: a superuser, or a member of the role that owns the
 * audit trail, can switch its append-only triggers off and rewrite it.
 */
export async function servingRole(database: Database): Promise<{ role: string; superuser: boolean; owner: boolean }> {
  const [r] = await database.rows<{ role: string; superuser: boolean; owner: boolean }>(sql`
    SELECT current_user::text AS role,
           (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS superuser,
           COALESCE((SELECT pg_has_role(current_user, relowner, 'MEMBER') FROM pg_class WHERE oid = to_regclass('audit_events')), false) AS owner`);
  return r!;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(Object.assign(new Error('database ping timed out'), { code: 'ETIMEDOUT' })), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}

/** SQLSTATE of a database error, looking through Drizzle's wrapper. */
export function sqlState(err: unknown): string | undefined {
  let e: unknown = err;
  for (let i = 0; i < 5 && e; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Constraint name of a database error, looking through Drizzle's wrapper. */
export function constraintName(err: unknown): string | undefined {
  let e: unknown = err;
  for (let i = 0; i < 5 && e; i++) {
    const c = (e as { constraint?: unknown }).constraint;
    if (typeof c === 'string') return c;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EPIPE', 'EHOSTUNREACH']);

/** True when the error means the database cannot be reached, not that the query was wrong. */
export function isUnavailable(err: unknown): boolean {
  let e: unknown = err;
  for (let i = 0; i < 5 && e; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') {
      if (CONNECTION_CODES.has(code)) return true;
      // 08: connection exception; 57P01-03: admin shutdown, crash shutdown, cannot connect now.
      if (/^08/.test(code) || /^57P0[123]$/.test(code)) return true;
    }
    const msg = (e as { message?: unknown }).message;
    if (
      typeof msg === 'string' &&
      /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|connection is closed/i.test(
        msg,
      )
    )
      return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

export { sql };

/**
 * A hot query written once in SQL, run as a named prepared statement on node-postgres (parsed and
 * planned once per connection, then only bound and executed) and as a plain parametrised query on
 * PGlite (one process, no network: the extended protocol's unnamed statement is as cheap there). Rows
 * come back as the driver gives them (timestamptz as Date on both engines); alias columns in the SQL.
 * Names must be unique per text: a connection refuses one name prepared with two texts.
 */
export interface Prepared<T> {
  readonly name: string;
  readonly text: string;
  /** Never set: carries the row type. */
  readonly row?: T;
}

export function prepared<T = Record<string, unknown>>(name: string, text: string): Prepared<T> {
  return { name, text };
}

interface Queryable {
  query(q: unknown, values?: unknown[]): Promise<{ rows: unknown[] }>;
}

/** The driver client under a Drizzle database or transaction (pool, pooled client, PGlite or its transaction). */
function clientOf(ex: Executor): Queryable {
  return (ex as unknown as { session: { client: Queryable } }).session.client;
}

const isNodePg = (c: Queryable) => c instanceof pg.Pool || c instanceof pg.Client;

/**
 * Runs a prepared statement whose result nobody reads as the last work of the transaction `ex`: on the
 * server engine it leaves with the COMMIT (one round trip, no wait on this process between the two), so
 * locks it takes are held for as short as the server can hold them, and the request's transaction ends one
 * round trip sooner (the audit insert of a hot read rides along this way).
 * On PGlite, outside a transaction or inside a savepoint it runs at once. Its error surfaces from the
 * transaction, as any.
 */
export async function runWithCommit(ex: Executor, q: Prepared<unknown>, values: unknown[]): Promise<void> {
  const pending = withCommit.get(ex);
  if (pending) pending.push({ q, values });
  else await run(ex, q, values);
}

/** Runs a prepared query in `ex` (a database or a transaction: the statement joins the transaction). */
export async function run<T>(ex: Executor, q: Prepared<T>, values: unknown[]): Promise<T[]> {
  const client = clientOf(ex);
  const result = isNodePg(client) ? await client.query({ name: q.name, text: q.text, values }) : await client.query(q.text, values);
  return result.rows as T[];
}

/**
 * One table's part of a combined statement, written by the table's owner: a hot path that inserts a row
 * and, in the same statement (data-modifying CTEs, one round trip), the rows other modules keep for it
 * (its audit event, its mails, its reminders) composes their owners' parts instead of spelling their
 * columns. `text(from, first)` is the part's statement, reading the new row from the CTE `from` and its
 * parameters from `$first` on; `values(input)` are those parameters, `params` of them, in order.
 */
export interface StatementPart<I> {
  readonly params: number;
  text(from: string, first: number): string;
  values(input: I): unknown[];
}

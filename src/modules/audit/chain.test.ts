// The hash-chained audit trail: the database links every event to the previous one, the admin API
// shows the links, and `npm run cli -- audit verify` (run as a child process on the data directory or
// the server database, as an operator would) finds an event a superuser edited or removed.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { openAndMigrate, pgliteDirFor, type Database } from '../../platform/db/index.ts';
import { createScratchDatabase } from '../../platform/db/scratch.ts';
import { build, createAdminUser, createPatient } from '../../../test/helpers.ts';
import { compiled } from '../../../test/fixtures/compiled.ts';
import { seedDataDir } from '../../../test/fixtures/pglite-template.ts';
import { chainHash, GENESIS_HASH, verifyChain, type ChainRow } from './chain.ts';

const ROOT = new URL('../../..', import.meta.url).pathname;

/**
 * A database the CLI can open too: a PGlite data directory (only one process may hold it, so it is
 * closed before each CLI run and reopened after) or a scratch database on the test server.
 */
async function persistentDatabase(t: TestContext) {
  const dataDir = mkdtempSync(join(tmpdir(), 'telecare-chain-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  let databaseUrl: string | null = null;
  if (process.env.TEST_DATABASE_URL) {
    const scratch = await createScratchDatabase(process.env.TEST_DATABASE_URL, 'tc_chain');
    t.after(scratch.drop);
    databaseUrl = scratch.url;
  } else {
    // Migrated from the run's template: a first start (initdb and migrations) is not this file's subject.
    await seedDataDir(dataDir);
  }
  const open = () => openAndMigrate({ databaseUrl, pgliteDir: pgliteDirFor(dataDir) });
  const env: Record<string, string> = { DATA_DIR: dataDir, LOG_LEVEL: 'silent', ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}) };
  const withDb = async <T>(fn: (db: Database) => Promise<T>): Promise<T> => {
    const db = await open();
    try {
      return await fn(db);
    } finally {
      await db.close();
    }
  };
  const verifyCli = () =>
    spawnSync(process.execPath, [...compiled('cli'), 'audit', 'verify'], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      encoding: 'utf8',
    });
  return { open, withDb, verifyCli };
}

/** Runs one statement on audit_events with the append-only trigger lifted, as a superuser could. */
async function tamper(db: Database, statement: ReturnType<typeof sql>) {
  await db.db.transaction(async (tx) => {
    await tx.execute(sql`ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update`);
    await tx.execute(statement);
    await tx.execute(sql`ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_update`);
  });
}

const countEvents = async (db: Database) => (await db.rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM audit_events`))[0].n;

test('every event links to the previous one; the admin API shows prevHash and hash; the chain recomputes in Node', async (t) => {
  const app = await build(t);
  const admin = await createAdminUser(app);
  await createPatient(app);
  await createPatient(app);
  const res = await app.request('GET', '/api/v1/admin/audit-events?limit=100', { token: admin.token });
  assert.equal(res.status, 200, res.text);
  const items = res.body.items as { id: string; prevHash: string; hash: string }[];
  assert.ok(items.length >= 8);
  // Newest first: each event's prevHash is the hash of the one listed after it.
  for (let i = 0; i + 1 < items.length; i++) assert.equal(items[i].prevHash, items[i + 1].hash, `link ${i}`);
  assert.equal(items[items.length - 1].prevHash, GENESIS_HASH, 'the first event starts from the genesis hash');
  assert.equal(new Set(items.map((e) => e.hash)).size, items.length);

  const result = await verifyChain(app.database);
  assert.equal(result.ok, true, JSON.stringify(result.broken));
  assert.equal(result.count, await countEvents(app.database));
  const [head] = await app.database.rows<{ hash: string }>(sql`SELECT hash FROM audit_chain_head`);
  assert.equal(result.headHash, head.hash);
  // The read above wrote one more event, so the head is past the page the admin saw.
  const [last] = await app.database.rows<{ prev_hash: string; action: string }>(
    sql`SELECT prev_hash, action FROM audit_events ORDER BY seq DESC LIMIT 1`,
  );
  assert.equal(last.action, 'audit_event.list');
  assert.equal(last.prev_hash, items[0].hash);
});

test("values a writer supplies for seq, prevHash or hash are replaced by the chain's own", async (t) => {
  const app = await build(t);
  await createPatient(app);
  const [row] = await app.database.rows<ChainRow & { seq_num: string }>(sql`
    INSERT INTO audit_events (seq, action, resource_type, outcome, prev_hash, hash)
    VALUES (1, 'forged.write', 'user', 'SUCCESS', ${'f'.repeat(64)}, ${'e'.repeat(64)})
    RETURNING id::text AS id, seq::text AS seq, prev_hash, hash`);
  assert.notEqual(row.seq, '1');
  assert.notEqual(row.prev_hash, 'f'.repeat(64));
  assert.notEqual(row.hash, 'e'.repeat(64));
  const result = await verifyChain(app.database);
  assert.equal(result.ok, true, JSON.stringify(result.broken));
  assert.equal(result.headSeq, row.seq);
  assert.equal(result.headHash, row.hash);
  // The head row can move forward but not vanish.
  await assert.rejects(app.database.rows(sql`DELETE FROM audit_chain_head`));
  await assert.rejects(app.database.rows(sql`TRUNCATE audit_chain_head`));
});

test('the canonical form separates fields unambiguously: moving text between fields changes the hash', () => {
  const base: ChainRow = {
    id: '00000000-0000-4000-8000-000000000001',
    seq: '7',
    at: '2026-01-01T00:00:00.000000Z',
    actor_id: null,
    actor_role: 'PATIENT',
    action: 'a.b',
    resource_type: 'x',
    resource_id: null,
    patient_id: null,
    outcome: 'SUCCESS',
    ip: '1.2.3.4',
    request_id: 'r',
    prev_hash: null,
    hash: null,
  };
  const h = chainHash(GENESIS_HASH, base);
  assert.match(h, /^[0-9a-f]{64}$/);
  assert.notEqual(chainHash(GENESIS_HASH, { ...base, action: 'a.b|1:x', resource_type: '' }), h);
  assert.notEqual(chainHash(GENESIS_HASH, { ...base, resource_id: '-' }), h, 'NULL differs from the text "-"');
  assert.notEqual(chainHash(GENESIS_HASH, { ...base, ip: '' }), h, 'NULL differs from empty text');
  assert.notEqual(chainHash('1'.repeat(64), base), h);
});

test('audit verify (CLI) passes on an intact trail and names the event a superuser edited, then the one after a removed event, then a cut tail', async (t) => {
  const store = await persistentDatabase(t);
  const total = await store.withDb(async (db) => {
    const app = await build(t, {}, { database: db });
    await createAdminUser(app);
    for (let i = 0; i < 3; i++) await createPatient(app);
    await app.close();
    return countEvents(db);
  });
  assert.ok(total >= 10);

  const ok = store.verifyCli();
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, new RegExp(`audit chain intact: ${total} events verified in [0-9.]+ s \\([0-9]+ events/s\\)`));

  // A superuser edits one event in the middle, with the append-only trigger disabled.
  const target = await store.withDb(async (db) => {
    const [e] = await db.rows<{ id: string; seq: string; actor_role: string | null }>(sql`
      SELECT id::text AS id, seq::text AS seq, actor_role FROM audit_events ORDER BY audit_events.seq OFFSET ${Math.floor(total / 2)} LIMIT 1`);
    await tamper(db, sql`UPDATE audit_events SET actor_role = 'ADMIN', outcome = 'FAILURE' WHERE id = ${e.id}`);
    return e;
  });
  const edited = store.verifyCli();
  assert.equal(edited.status, 1, edited.stdout);
  assert.match(edited.stderr, new RegExp(`BROKEN at event ${target.id} \\(seq ${target.seq}\\): hash does not match the event's fields`));
  assert.match(edited.stderr, new RegExp(`checked ${Math.floor(total / 2) + 1} events`), edited.stderr);

  // Putting the original values back makes the chain whole again: the check is exact, not heuristic.
  await store.withDb((db) =>
    tamper(db, sql`UPDATE audit_events SET actor_role = ${target.actor_role}, outcome = 'SUCCESS' WHERE id = ${target.id}`),
  );
  assert.equal(store.verifyCli().status, 0);

  // Removing an event breaks the link of the event after it.
  const after = await store.withDb(async (db) => {
    const rows = await db.rows<{ id: string; seq: string }>(
      sql`SELECT id::text AS id, seq::text AS seq FROM audit_events ORDER BY audit_events.seq OFFSET 3 LIMIT 2`,
    );
    await tamper(db, sql`DELETE FROM audit_events WHERE id = ${rows[0].id}`);
    return rows[1];
  });
  const removed = store.verifyCli();
  assert.equal(removed.status, 1);
  assert.match(
    removed.stderr,
    new RegExp(`BROKEN at event ${after.id} \\(seq ${after.seq}\\): prevHash does not match the hash of the previous event`),
  );

  // Cutting the newest events off (and nothing else) is caught by the chain head.
  const store2 = await persistentDatabase(t);
  await store2.withDb(async (db) => {
    const app = await build(t, {}, { database: db });
    await createPatient(app);
    await app.close();
    await tamper(db, sql`DELETE FROM audit_events WHERE seq = (SELECT max(seq) FROM audit_events)`);
  });
  const cut = store2.verifyCli();
  assert.equal(cut.status, 1);
  assert.match(cut.stderr, /BROKEN at the head \(seq [0-9]+\): the chain head names seq [0-9]+ but the last event is seq [0-9]+/);
});

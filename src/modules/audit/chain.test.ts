// The hash-chained audit trail: the sequencer links every committed event to the previous one after
// commit, the admin API shows the links once they exist, and `npm run cli -- audit verify` (run as a
// child process on the data directory or the server database, as an operator would) finds an event a
// superuser edited or removed.
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
import { chained } from '../../../test/fixtures/audit.ts';

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

/** Runs one statement with the append-only triggers lifted, as a superuser (or the owner) could. */
async function tamper(db: Database, statement: ReturnType<typeof sql>) {
  await db.db.transaction(async (tx) => {
    await tx.execute(sql`ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update`);
    await tx.execute(sql`ALTER TABLE audit_chain DISABLE TRIGGER audit_chain_no_update`);
    await tx.execute(statement);
    await tx.execute(sql`ALTER TABLE audit_chain ENABLE TRIGGER audit_chain_no_update`);
    await tx.execute(sql`ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_update`);
  });
}

const countEvents = async (db: Database) => (await db.rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM audit_events`))[0].n;

test('events show at once, unchained; once chained each links to the previous one, the admin API shows prevHash and hash, and the chain recomputes in Node', async (t) => {
  // The sequencer only runs when the test asks (flush): what the API shows before is deterministic.
  const app = await build(t, { auditSequencer: false });
  const admin = await createAdminUser(app);
  await createPatient(app);
  const patient = await createPatient(app);

  // Before the sequencer has run, the events are there, with null hashes.
  const early = await app.request('GET', `/api/v1/admin/audit-events?patientId=${patient.id}&limit=100`, { token: admin.token });
  assert.equal(early.status, 200, early.text);
  assert.ok(early.body.items.length >= 1);
  for (const e of early.body.items) assert.deepEqual([e.prevHash, e.hash], [null, null]);
  const log = await app.request('GET', '/api/v1/patients/me/access-log', { token: patient.token });
  assert.equal(log.status, 200, log.text);
  assert.ok(log.body.items.length >= 1, "the patient's access log shows events before they are chained");

  await chained(app);
  const res = await app.request('GET', '/api/v1/admin/audit-events?limit=100', { token: admin.token });
  assert.equal(res.status, 200, res.text);
  const items = res.body.items as { id: string; prevHash: string; hash: string }[];
  assert.ok(items.length >= 8);
  // Newest first: each event's prevHash is the hash of the one listed after it (one request at a time, so
  // the chain order, by transaction, is the seq order here).
  for (let i = 0; i + 1 < items.length; i++) assert.equal(items[i].prevHash, items[i + 1].hash, `link ${i}`);
  assert.equal(items[items.length - 1].prevHash, GENESIS_HASH, 'the first event starts from the genesis hash');
  assert.equal(new Set(items.map((e) => e.hash)).size, items.length);

  await chained(app);
  const result = await verifyChain(app.database);
  assert.equal(result.ok, true, JSON.stringify(result.broken));
  assert.equal(result.count, await countEvents(app.database));
  assert.equal(result.pending, 0);
  const [head] = await app.database.rows<{ hash: string }>(sql`SELECT hash FROM audit_chain_head`);
  assert.equal(result.headHash, head.hash);
  // The read above wrote one more event, chained after the page the admin saw.
  const [last] = await app.database.rows<{ prev_hash: string; action: string }>(sql`
    SELECT c.prev_hash, e.action FROM audit_chain c JOIN audit_events e ON e.id = c.event_id ORDER BY c.chain_seq DESC LIMIT 1`);
  assert.equal(last.action, 'audit_event.list');
  assert.equal(last.prev_hash, items[0].hash);
});

test('one sequence value per event; values a writer supplies for seq, xid or the content hash are replaced by the database', async (t) => {
  const app = await build(t, { auditSequencer: false });
  await createPatient(app);
  const [before] = await app.database.rows<{ last: string }>(sql`SELECT last_value::text AS last FROM audit_events_seq_seq`);
  const [row] = await app.database.rows<{ id: string; seq: string; xid: string; content_hash: string }>(sql`
    INSERT INTO audit_events (seq, xid, content_hash, action, resource_type, outcome)
    VALUES (1, 1, ${'e'.repeat(64)}, 'forged.write', 'user', 'SUCCESS')
    RETURNING id::text AS id, seq::text AS seq, xid::text AS xid, content_hash`);
  assert.equal(BigInt(row.seq), BigInt(before.last) + 1n, 'exactly one draw: the seq after the last one');
  assert.notEqual(row.xid, '1');
  assert.notEqual(row.content_hash, 'e'.repeat(64));
  await chained(app);
  const result = await verifyChain(app.database);
  assert.equal(result.ok, true, JSON.stringify(result.broken));
  const [link] = await app.database.rows<{ chain_seq: string; hash: string }>(
    sql`SELECT chain_seq::text AS chain_seq, hash FROM audit_chain WHERE event_id = ${row.id}`,
  );
  assert.equal(result.headSeq, link.chain_seq);
  assert.equal(result.headHash, link.hash);
  // The head row can move forward but not vanish.
  await assert.rejects(app.database.rows(sql`DELETE FROM audit_chain_head`));
  await assert.rejects(app.database.rows(sql`TRUNCATE audit_chain_head`));
  // Links are never changed or removed once written.
  await assert.rejects(app.database.rows(sql`UPDATE audit_chain SET hash = ${'0'.repeat(64)}`));
  await assert.rejects(app.database.rows(sql`DELETE FROM audit_chain`));
});

test('a sequencer batch that fails midway leaves nothing behind: the next one chains the same events, once', async (t) => {
  const app = await build(t, { auditSequencer: false });
  await createPatient(app);
  const pg = app.database.pglite;
  if (pg) {
    // One process: a crash of the sequencer is a crash of everything, so its batch never commits. The same as a rollback.
    await pg.transaction(async (tx) => {
      const [{ n }] = (await tx.query<{ n: number }>('SELECT audit_chain_batch(3) AS n')).rows;
      assert.equal(n, 3);
      await tx.rollback();
    });
  } else {
    const c = await app.database.pool!.connect();
    await c.query('BEGIN');
    assert.equal((await c.query('SELECT audit_chain_batch(3) AS n')).rows[0].n, 3);
    c.release(new Error('the sequencer dies mid-batch')); // the connection is destroyed: its transaction rolls back
  }
  const [{ n }] = await app.database.rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM audit_chain`);
  assert.equal(n, 0, 'no link of the lost batch remains');
  await chained(app);
  const result = await verifyChain(app.database);
  assert.equal(result.ok, true, JSON.stringify(result.broken));
  assert.equal(result.count, await countEvents(app.database));
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

test('audit verify (CLI) passes on an intact trail and names the event a superuser edited, then a removed event, then a cut tail', async (t) => {
  const store = await persistentDatabase(t);
  const total = await store.withDb(async (db) => {
    const app = await build(t, {}, { database: db });
    await createAdminUser(app);
    for (let i = 0; i < 3; i++) await createPatient(app);
    // Closing chains what the requests committed.
    await app.close();
    return countEvents(db);
  });
  assert.ok(total >= 10);

  const ok = store.verifyCli();
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(
    ok.stdout,
    new RegExp(
      `audit chain intact: ${total} events verified in [0-9.]+ s \\([0-9]+ events/s\\), head position ${total} hash [0-9a-f]{64}; 0 committed events not chained yet`,
    ),
  );

  // A superuser edits one event in the middle, with the append-only trigger disabled.
  const target = await store.withDb(async (db) => {
    const [e] = await db.rows<{ id: string; seq: string; actor_role: string | null }>(sql`
      SELECT e.id::text AS id, e.seq::text AS seq, e.actor_role FROM audit_chain c JOIN audit_events e ON e.id = c.event_id
      ORDER BY c.chain_seq OFFSET ${Math.floor(total / 2)} LIMIT 1`);
    await tamper(db, sql`UPDATE audit_events SET actor_role = 'ADMIN', outcome = 'FAILURE' WHERE id = ${e.id}`);
    return e;
  });
  const edited = store.verifyCli();
  assert.equal(edited.status, 1, edited.stdout);
  assert.match(
    edited.stderr,
    new RegExp(
      `BROKEN at event ${target.id} \\(seq ${target.seq}, chain position ${Math.floor(total / 2) + 1}\\): the event's fields do not match its content hash`,
    ),
  );
  assert.match(edited.stderr, new RegExp(`checked ${Math.floor(total / 2) + 1} events`), edited.stderr);

  // Putting the original values back makes the chain whole again: the check is exact, not heuristic.
  await store.withDb((db) =>
    tamper(db, sql`UPDATE audit_events SET actor_role = ${target.actor_role}, outcome = 'SUCCESS' WHERE id = ${target.id}`),
  );
  assert.equal(store.verifyCli().status, 0);

  // Removing an event leaves its link naming nothing.
  const gone = await store.withDb(async (db) => {
    const [e] = await db.rows<{ id: string }>(sql`SELECT event_id::text AS id FROM audit_chain ORDER BY chain_seq OFFSET 3 LIMIT 1`);
    await tamper(db, sql`DELETE FROM audit_events WHERE id = ${e.id}`);
    return e;
  });
  const removed = store.verifyCli();
  assert.equal(removed.status, 1);
  assert.match(
    removed.stderr,
    new RegExp(`BROKEN at event ${gone.id} \\(chain position 4\\): link 4 names event ${gone.id}, which is not in the trail`),
  );

  // Removing the event and its link breaks the link after it.
  await store.withDb((db) => tamper(db, sql`DELETE FROM audit_chain WHERE event_id = ${gone.id}`));
  const unlinked = store.verifyCli();
  assert.equal(unlinked.status, 1);
  assert.match(unlinked.stderr, /chain position 5\): the link at position 5 follows position 3: links between them were removed/);

  // Cutting the newest events and their links off (and nothing else) is caught by the chain head.
  const store2 = await persistentDatabase(t);
  await store2.withDb(async (db) => {
    const app = await build(t, {}, { database: db });
    await createPatient(app);
    await app.close();
    await tamper(db, sql`DELETE FROM audit_chain WHERE chain_seq = (SELECT max(chain_seq) FROM audit_chain)`);
  });
  const cut = store2.verifyCli();
  assert.equal(cut.status, 1);
  assert.match(cut.stderr, /BROKEN at chain position [0-9]+: the chain head names position [0-9]+ but the last link is position [0-9]+/);
});

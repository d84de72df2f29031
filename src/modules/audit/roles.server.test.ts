// Server engine only: the audit trail beyond the reach of the role that serves requests. An owner role
// migrates; the app role (DATABASE_URL) serves and may only insert unchained events and read; a
// sequencer role (AUDIT_SEQUENCER_DATABASE_URL) may only run the chaining function. Everything the app
// role might try in order to rewrite the trail fails, and start-up refuses (or warns about) a serving
// role that is a superuser or the owner.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import pino from 'pino';
import { buildApp } from '../../app.ts';
import { DatabaseRoleError, migrateAsOwner, openDatabase, sqlState } from '../../platform/db/index.ts';
import { createScratchDatabase } from '../../platform/db/scratch.ts';
import { grantServingRoles } from '../../platform/db/roles.ts';
import { build, createAdminUser, createPatient, testConfig } from '../../../test/helpers.ts';
import { chained } from '../../../test/fixtures/audit.ts';
import { verifyChain } from './chain.ts';

const ADMIN_URL = process.env.TEST_DATABASE_URL!;

const asRole = (url: string, role: string) => {
  const u = new URL(url);
  u.username = role;
  u.password = '';
  return u.toString();
};

async function adminQuery(text: string) {
  const c = new pg.Client({ connectionString: ADMIN_URL });
  await c.connect();
  try {
    await c.query(text);
  } finally {
    await c.end();
  }
}

/** Three fresh roles and a database the owner role owns, migrated by it and granted as docs/deployment.md says. */
async function separatedDatabase(t: TestContext) {
  const tag = randomBytes(4).toString('hex');
  const roles = { owner: `tc_owner_${tag}`, app: `tc_app_${tag}`, sequencer: `tc_seq_${tag}` };
  for (const r of Object.values(roles)) await adminQuery(`CREATE ROLE ${r} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE`);
  const scratch = await createScratchDatabase(ADMIN_URL, 'tc_roles');
  const name = new URL(scratch.url).pathname.slice(1);
  await adminQuery(`ALTER DATABASE ${name} OWNER TO ${roles.owner}`);
  t.after(async () => {
    await scratch.drop();
    for (const r of Object.values(roles)) await adminQuery(`DROP ROLE IF EXISTS ${r}`);
  });
  const urls = {
    owner: asRole(scratch.url, roles.owner),
    app: asRole(scratch.url, roles.app),
    sequencer: asRole(scratch.url, roles.sequencer),
  };
  await migrateAsOwner(urls.owner);
  await grantServingRoles(urls.owner, roles.app, roles.sequencer);
  return { roles, urls };
}

test('the app role serves and its events are chained by the sequencer role; it cannot update, delete, alter, switch triggers off or re-chain the trail', async (t) => {
  const { roles, urls } = await separatedDatabase(t);
  // Refuse: start-up would stop here if the app role could rewrite the trail.
  const app = await build(
    t,
    { auditSequencer: false, auditSequencerUrl: urls.sequencer, databaseRoleCheck: 'refuse' },
    { databaseUrl: urls.app },
  );
  await createAdminUser(app);
  await createPatient(app);
  await chained(app);
  const before = await verifyChain(app.database);
  assert.equal(before.ok, true, JSON.stringify(before.broken));
  assert.ok(before.count >= 5);

  // Closed by the test itself, before its after-hooks drop the database under them.
  const c = new pg.Client({ connectionString: urls.app });
  await c.connect();
  const [{ current_user: who }] = (await c.query('SELECT current_user')).rows;
  assert.equal(who, roles.app);
  const { rows: target } = await c.query('SELECT id, seq FROM audit_events ORDER BY seq LIMIT 1');
  const attempts = [
    `UPDATE audit_events SET action = 'forged.action' WHERE id = '${target[0].id}'`,
    'DELETE FROM audit_events',
    'TRUNCATE audit_events',
    'ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update',
    'ALTER TABLE audit_events DISABLE TRIGGER ALL',
    'DROP TRIGGER audit_events_seal ON audit_events',
    'ALTER TABLE audit_events ADD COLUMN note text',
    "SET session_replication_role = 'replica'",
    'CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$',
    // Re-chaining: moving the head back, writing or removing links, running the sequencer's function.
    "UPDATE audit_chain_head SET seq = 0, hash = repeat('0', 64)",
    `INSERT INTO audit_chain (chain_seq, event_id, prev_hash, hash) VALUES (999999, '${target[0].id}', repeat('0', 64), repeat('0', 64))`,
    'DELETE FROM audit_chain',
    'SELECT audit_chain_batch(10)',
    'DROP TABLE audit_chain',
  ];
  for (const statement of attempts) {
    await assert.rejects(c.query(statement), (e: unknown) => ['42501', '42809'].includes(sqlState(e) ?? ''), statement);
  }
  // What it may do: insert an event, which arrives unchained and sealed, whatever it supplies for the seal.
  const { rows: inserted } = await c.query(
    `INSERT INTO audit_events (action, resource_type, outcome, content_hash, xid) VALUES ('test.app', 'test', 'SUCCESS', repeat('e', 64), 1)
     RETURNING id, xid::text AS xid, content_hash`,
  );
  assert.notEqual(inserted[0].content_hash, 'e'.repeat(64));
  assert.notEqual(inserted[0].xid, '1');

  // The sequencer role runs the chaining function and nothing else.
  const s = new pg.Client({ connectionString: urls.sequencer });
  await s.connect();
  for (const statement of [
    `INSERT INTO audit_chain (chain_seq, event_id, prev_hash, hash) VALUES (999999, '${target[0].id}', repeat('0', 64), repeat('0', 64))`,
    "UPDATE audit_events SET action = 'forged.action'",
    'SELECT count(*) FROM audit_events',
  ]) {
    await assert.rejects(s.query(statement), (e: unknown) => sqlState(e) === '42501', statement);
  }
  await chained(app);
  const after = await verifyChain(app.database);
  assert.equal(after.ok, true, JSON.stringify(after.broken));
  assert.equal(after.count, before.count + 1 + (await countSince(app.database, before.count)));
  const untouched = await app.database.rows<{ action: string }>(sql`SELECT action FROM audit_events WHERE id = ${target[0].id}`);
  assert.notEqual(untouched[0].action, 'forged.action');
  await c.end();
  await s.end();
  await app.close();
});

/** Events the app wrote after the first verify besides the one inserted by hand (none: no request was made). */
async function countSince(db: Awaited<ReturnType<typeof openDatabase>>, chainedBefore: number) {
  const [{ n }] = await db.rows<{ n: number }>(sql`SELECT (count(*) - ${chainedBefore} - 1)::int AS n FROM audit_events`);
  return n;
}

test('start-up refuses (DATABASE_ROLE_CHECK=refuse) or warns (the default) when DATABASE_URL is the owner or a superuser', async (t) => {
  const { urls } = await separatedDatabase(t);
  const owner = await openDatabase({ databaseUrl: urls.owner, pgliteDir: '' });
  t.after(() => owner.close());
  await assert.rejects(
    buildApp(testConfig({ databaseUrl: urls.owner, databaseRoleCheck: 'refuse' }), { database: owner, mailWorker: false }),
    (e: unknown) => e instanceof DatabaseRoleError && /the owner of the audit trail/.test(e.message),
  );

  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const superuser = await openDatabase({ databaseUrl: ADMIN_URL.replace(/\/[^/]*$/, new URL(urls.owner).pathname), pgliteDir: '' });
  t.after(() => superuser.close());
  const app = await buildApp(testConfig({ databaseUrl: urls.owner, auditSequencer: false }), {
    database: superuser,
    mailWorker: false,
    logger: pino({ level: 'warn' }, sink),
  });
  await app.close();
  assert.ok(
    lines.some((l) => /"level":40/.test(l) && /a superuser: it could switch the audit trail's append-only rules off/.test(l)),
    lines.join(''),
  );
});

// Backup and restore as an operator runs them, under write load: `npm run cli -- backup` against the running
// embedded server (through its admin socket), or pg_dump against a PostgreSQL server; then a restore into a
// fresh directory/database that must hold a consistent state: every writer's rows a prefix of what it wrote,
// each user with the verification mail queued in its transaction, the audit chain intact and equal to the
// live one's beginning; and a backup taken at rest restores every row of every table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { openDatabase, pgliteDirFor, type Database } from '../src/platform/db/index.ts';
import { createScratchDatabase } from '../src/platform/db/scratch.ts';
import { request, sleep } from './helpers.ts';
import { seedDataDir } from './fixtures/pglite-template.ts';
import { cli, FAST_ENV, run, startService, type Service } from './fixtures/service.ts';

const SERVER = process.env.TEST_DATABASE_URL ?? null;
const WRITERS = 3;

function register(s: Service, username: string) {
  return request(s.url, 'POST', '/api/v1/auth/register/patient', {
    body: {
      username,
      email: `${username}@example.test`,
      password: 'correct horse battery',
      firstname: 'Back',
      lastname: 'Up',
      dateOfBirth: '1980-02-03',
      gender: 'other',
    },
  });
}

/** Writers registering patients one after another until stopped; each returns how many it registered. */
function writeLoad(s: Service) {
  let stopping = false;
  const writers = Array.from({ length: WRITERS }, async (_, w) => {
    let k = 0;
    while (!stopping) {
      const res = await register(s, `bk${w}x${k}`);
      assert.equal(res.status, 201, res.text);
      k++;
    }
    return k;
  });
  return {
    stop: async () => {
      stopping = true;
      return Promise.all(writers);
    },
  };
}

/** Every base table's rows, as sorted JSON texts. */
async function contents(db: Database): Promise<Map<string, string[]>> {
  const tables = await db.rows<{ name: string }>(
    sql`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`,
  );
  const out = new Map<string, string[]>();
  for (const { name } of tables) {
    // The sequencer's horizon (the oldest running transaction it saw) moves on a pass that chains nothing,
    // e.g. one after the backup was taken: bookkeeping, not data.
    const drop = name === 'audit_chain_head' ? ` - 'horizon'` : '';
    const rows = await db.rows<{ r: string }>(sql.raw(`SELECT (to_jsonb(t)${drop})::text AS r FROM "${name}" t`));
    out.set(name, rows.map((x) => x.r).sort());
  }
  return out;
}

/** The restored state is one a crash-free instant could have had (see the file's header). */
async function assertConsistent(restored: Database, live: Database) {
  const users = await restored.rows<{ username: string; queued: boolean }>(
    sql`SELECT u.username, EXISTS (SELECT 1 FROM mail_outbox m WHERE m.recipient = u.email) AS queued
        FROM users u WHERE u.username LIKE 'bk%'`,
  );
  assert.ok(users.length > 0, 'the backup holds registrations made under load');
  for (let w = 0; w < WRITERS; w++) {
    const ks = users
      .filter((u) => u.username.startsWith(`bk${w}x`))
      .map((u) => Number(u.username.slice(`bk${w}x`.length)))
      .sort((a, b) => a - b);
    assert.deepEqual(
      ks,
      ks.map((_, i) => i),
      `writer ${w}: a prefix of its registrations`,
    );
  }
  for (const u of users) assert.ok(u.queued, `${u.username}'s verification mail is in the outbox`);
  // Events are sealed (seq, content hash) at insert and linked after commit by the sequencer, in one order:
  // the backup's links are a prefix of the live chain, and each of its events is the live event, unchanged.
  const chain = (db: Database) =>
    db.rows<{ chain_seq: string; event_id: string; hash: string }>(
      sql`SELECT chain_seq::text, event_id::text, hash FROM audit_chain ORDER BY audit_chain.chain_seq`,
    );
  const events = (db: Database) =>
    db.rows<{ id: string; seq: string; content_hash: string | null }>(
      sql`SELECT id::text, seq::text, content_hash FROM audit_events ORDER BY audit_events.seq`,
    );
  const restoredChain = await chain(restored);
  assert.deepEqual(restoredChain, (await chain(live)).slice(0, restoredChain.length), 'the audit chain is the live one up to the backup');
  const liveEvents = new Map((await events(live)).map((e) => [e.id, e]));
  const restoredEvents = await events(restored);
  assert.ok(restoredEvents.length > 0, 'the backup holds audit events');
  for (const e of restoredEvents) assert.deepEqual(e, liveEvents.get(e.id), `audit event ${e.id} is the live one`);
}

async function openEmbedded(dataDir: string) {
  return openDatabase({ databaseUrl: null, pgliteDir: pgliteDirFor(dataDir) });
}

test('backup under write load and restore round-trip every row, the audit chain and the outbox', { timeout: 600_000 }, async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'telecare-bk-'));
  const work = mkdtempSync(join(tmpdir(), 'telecare-bk-files-'));
  t.after(() => rmSync(work, { recursive: true, force: true }));
  let liveUrl: string | null = null;
  const restoredUrls: string[] = [];
  if (SERVER) {
    for (let i = 0; i < 3; i++) {
      const scratch = await createScratchDatabase(SERVER, 'tc_bk');
      t.after(scratch.drop);
      if (i === 0) liveUrl = scratch.url;
      else restoredUrls.push(scratch.url);
    }
  } else {
    await seedDataDir(dataDir);
  }
  const env = { ...FAST_ENV, DATA_DIR: dataDir, ...(liveUrl ? { DATABASE_URL: liveUrl } : {}) };
  const admin = await cli(env, 'create-admin', '--username', 'boss', '--email', 'boss@example.test', '--password', 'a long admin password');
  assert.equal(admin.status, 0, admin.stderr);
  const s = await startService(t, env);
  // Rows before the backup, and audit events: an admin login and reads of the trail.
  const login = await request(s.url, 'POST', '/api/v1/auth/login', { body: { login: 'boss', password: 'a long admin password' } });
  assert.equal(login.status, 200);

  const backup = async (file: string) => {
    if (!liveUrl) return cli({ DATA_DIR: dataDir }, 'backup', file);
    return run('pg_dump', ['--format=custom', `--file=${file}`, `--dbname=${liveUrl}`]);
  };
  const restore = async (file: string, i: number): Promise<{ env: Record<string, string>; open: () => Promise<Database> }> => {
    if (!liveUrl) {
      const dir = join(work, `restored${i}`);
      const r = await cli({ DATA_DIR: dir }, 'restore', file);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /audit chain intact/);
      return { env: { DATA_DIR: dir }, open: () => openEmbedded(dir) };
    }
    const url = restoredUrls[i]!;
    const r = await run('pg_restore', ['--exit-on-error', '--no-owner', `--dbname=${url}`, file]);
    assert.equal(r.status, 0, r.stderr);
    return { env: { DATABASE_URL: url, DATA_DIR: join(work, 'none') }, open: () => openDatabase({ databaseUrl: url, pgliteDir: '' }) };
  };

  // 1. Under load: writes go on while the backup is taken.
  const load = writeLoad(s);
  while (!existsSync(join(dataDir, 'mail')) || readdirSync(join(dataDir, 'mail')).length < 3) await sleep(50);
  const underLoad = join(work, 'under-load.backup');
  const b1 = await backup(underLoad);
  assert.equal(b1.status, 0, b1.stderr);
  if (!liveUrl) assert.match(b1.stdout, /from the running server/);
  const written = (await load.stop()).reduce((a, b) => a + b, 0);
  assert.ok(written > 3);

  const r1 = await restore(underLoad, 0);
  const verified = await cli(r1.env, 'audit', 'verify');
  assert.equal(verified.status, 0, verified.stderr);
  assert.match(verified.stdout, /audit chain intact/);

  // 2. At rest: every mail delivered (the outbox's state settled), then a second backup.
  while (readdirSync(join(dataDir, 'mail')).length < written) await sleep(50);
  const atRest = join(work, 'at-rest.backup');
  const b2 = await backup(atRest);
  assert.equal(b2.status, 0, b2.stderr);
  assert.equal(await s.stop(), 0);
  assert.doesNotMatch(s.output(), /"level":(40|50)/, 'no warning or error from the server');

  const r2 = await restore(atRest, 1);
  const live = liveUrl ? await openDatabase({ databaseUrl: liveUrl, pgliteDir: '' }) : await openEmbedded(dataDir);
  t.after(() => live.close());
  const restored1 = await r1.open();
  try {
    await assertConsistent(restored1, live);
  } finally {
    await restored1.close();
  }
  const restored2 = await r2.open();
  try {
    const [want, got] = [await contents(live), await contents(restored2)];
    assert.deepEqual([...got.keys()], [...want.keys()]);
    for (const [table, rows] of want) assert.deepEqual(got.get(table), rows, `table ${table}`);
    const outbox = await restored2.rows<{ sent: boolean; n: number }>(
      sql`SELECT sent_at IS NOT NULL AS sent, count(*)::int AS n FROM mail_outbox GROUP BY 1`,
    );
    assert.deepEqual(outbox, [{ sent: true, n: written }]);
  } finally {
    await restored2.close();
  }
});

test('backup and restore refuse what they cannot do, with one line and a non-zero exit', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'telecare-bk-no-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const notBackup = join(dataDir, 'not-a-backup');
  await run('sh', ['-c', `echo hello > ${notBackup}`]);
  const cases: [Record<string, string>, string[], RegExp][] = [
    [{ DATA_DIR: join(dataDir, 'a') }, ['backup'], /takes one FILE/],
    [{ DATA_DIR: join(dataDir, 'a') }, ['restore', join(dataDir, 'missing')], /cannot read .*ENOENT/],
    [{ DATA_DIR: join(dataDir, 'a') }, ['restore', notBackup], /is not a Telecare backup/],
    [{ DATA_DIR: join(dataDir, 'a'), DATABASE_URL: 'postgres://u@127.0.0.1:1/x' }, ['backup', 'x.tgz'], /use pg_dump -Fc/],
    [{ DATA_DIR: join(dataDir, 'a'), DATABASE_URL: 'postgres://u@127.0.0.1:1/x' }, ['restore', notBackup], /use pg_restore/],
  ];
  for (const [env, args, message] of cases) {
    const r = await cli(env, ...args);
    assert.notEqual(r.status, 0, args.join(' '));
    assert.match(r.stderr, message);
    assert.match(r.stderr, /^error: /);
  }
  assert.equal(existsSync(join(dataDir, 'a', 'pglite')), false, 'a refused restore leaves no database behind');
  // A DATA_DIR that already holds a database is never overwritten.
  const occupied = join(dataDir, 'b');
  await seedDataDir(occupied);
  const backupFile = join(dataDir, 'b.backup');
  assert.equal((await cli({ DATA_DIR: occupied }, 'backup', backupFile)).status, 0);
  const again = await cli({ DATA_DIR: occupied }, 'restore', backupFile);
  assert.equal(again.status, 1);
  assert.match(again.stderr, /already holds a database/);
});

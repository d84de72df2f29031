// A backup made by the previous release restores with this one and migrates forward (issue 31), on the
// engine the run uses: the embedded engine's `npm run cli -- backup` file through `restore` (which migrates),
// or a `pg_dump --format=custom` file through pg_restore into a new database that this release's server
// migrates when it starts. The files were made by the previous release itself, seeded over its API
// (scripts/previous-release-fixtures.ts says how and regenerates them; manifest.json records what they hold).
// Then: every row of the backup is there, the audit chain is intact and continues the backup's head, the
// outbox is as it was (every mail delivered, none sent again), a restored user signs in and reads their data
// through the API, and the features whose tables the backup predates work on the old data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { openDatabase, pgliteDirFor, type Database } from '../src/platform/db/index.ts';
import { migrationFiles } from '../src/platform/db/migrate.ts';
import { createScratchDatabase } from '../src/platform/db/scratch.ts';
import { request } from './helpers.ts';
import { cli, FAST_ENV, ROOT, run, startService, type Service } from './fixtures/service.ts';

const SERVER = process.env.TEST_DATABASE_URL ?? null;
const FIXTURES = join(ROOT, 'test', 'fixtures', 'previous-release');

interface Held {
  counts: Record<string, number>;
  migrations: string[];
  chainHead: { position: string; hash: string };
}
const manifest = JSON.parse(readFileSync(join(FIXTURES, 'manifest.json'), 'utf8')) as { commit: string; embedded: Held; server: Held };
const held = SERVER ? manifest.server : manifest.embedded;
/** This release's migrations the backup predates: they must all run, in order, on the restored data. */
const forward = migrationFiles()
  .map((f) => f.name)
  .filter((n) => !held.migrations.includes(n));

const PASSWORD = 'correct horse battery';
const ADMIN_PASSWORD = 'a long admin password';

/** Every row the backup held is there: each of its tables counts the same, the values the seed wrote read back. */
async function assertRows(db: Database) {
  for (const [table, n] of Object.entries(held.counts)) {
    if (table === 'schema_migrations') continue;
    // A pass of the reminder worker may queue a reminder mail when the run falls before a seeded appointment:
    // the backup's own mails are counted apart from those.
    const where = table === 'mail_outbox' ? ` WHERE kind <> 'appointment.reminder'` : '';
    const [row] = await db.rows<{ n: number }>(sql.raw(`SELECT count(*)::int AS n FROM "${table}"${where}`));
    assert.equal(row!.n, n, `table ${table}`);
  }
  const migrations = (await db.rows<{ name: string }>(sql`SELECT name FROM schema_migrations ORDER BY name`)).map((r) => r.name);
  assert.deepEqual(migrations, [...held.migrations, ...forward].sort(), 'the migration history: the old one, then this release’s');
  assert.ok(forward.length >= 4, 'the backup predates this release’s migrations');

  const users = await db.rows<{ username: string; role: string; verified: boolean }>(
    sql`SELECT username, role, email_verified_at IS NOT NULL AS verified FROM users ORDER BY username`,
  );
  assert.deepEqual(users, [
    { username: 'clinic.admin', role: 'ADMIN', verified: true },
    { username: 'dr.berg', role: 'DOCTOR', verified: true },
    { username: 'dr.pending', role: 'DOCTOR', verified: true },
    { username: 'pat.anna', role: 'PATIENT', verified: true },
    { username: 'pat.ben', role: 'PATIENT', verified: true },
  ]);
  const doctors = await db.rows<{ username: string; status: string }>(
    sql`SELECT u.username, d.verification_status AS status FROM doctors d JOIN users u ON u.id = d.id ORDER BY 1`,
  );
  assert.deepEqual(doctors, [
    { username: 'dr.berg', status: 'VERIFIED' },
    { username: 'dr.pending', status: 'PENDING' },
  ]);
  const appointments = await db.rows<{ username: string; status: string; reason: string }>(
    sql`SELECT u.username, a.status, a.reason FROM appointments a JOIN users u ON u.id = a.patient_id ORDER BY a.starts_at`,
  );
  assert.deepEqual(appointments, [
    { username: 'pat.anna', status: 'CONFIRMED', reason: 'Persistent cough' },
    { username: 'pat.ben', status: 'PENDING', reason: 'Check-up' },
    { username: 'pat.ben', status: 'CANCELLED', reason: 'Follow-up' },
  ]);
  const [outbox] = await db.rows<{ sent: number; pending: number }>(
    sql`SELECT count(*) FILTER (WHERE sent_at IS NOT NULL)::int AS sent, count(*) FILTER (WHERE sent_at IS NULL)::int AS pending
        FROM mail_outbox WHERE kind <> 'appointment.reminder'`,
  );
  assert.deepEqual(outbox, { sent: held.counts.mail_outbox, pending: 0 }, 'the outbox: every mail of the backup delivered, none due again');
  const [head] = await db.rows<{ hash: string }>(sql`SELECT hash FROM audit_chain WHERE chain_seq = ${held.chainHead.position}::bigint`);
  assert.equal(head?.hash, held.chainHead.hash, 'the audit chain holds the backup’s head');
}

/** Signs in as one of the seeded people. */
async function signIn(s: Service, login: string, password = PASSWORD): Promise<{ token: string; id: string }> {
  const res = await request(s.url, 'POST', '/api/v1/auth/login', { body: { login, password } });
  assert.equal(res.status, 200, res.text);
  return { token: res.body.accessToken, id: res.body.user.id };
}

/** The seeded people read their data through the API, and this release's features work on the old rows. */
async function assertServed(s: Service) {
  const get = async (path: string, token: string) => {
    const res = await request(s.url, 'GET', `/api/v1${path}`, { token });
    assert.equal(res.status, 200, `${path}: ${res.text}`);
    return res.body;
  };
  const anna = await signIn(s, 'pat.anna');
  const berg = await signIn(s, 'dr.berg');
  const admin = await signIn(s, 'clinic.admin', ADMIN_PASSWORD);

  const appointments = (await get('/appointments', anna.token)).items as { id: string; status: string; doctorId: string }[];
  assert.deepEqual(
    appointments.map((a) => [a.status, a.doctorId]),
    [['CONFIRMED', berg.id]],
  );
  const appointmentId = appointments[0]!.id;
  const allergies = await get(`/patients/${anna.id}/allergies`, anna.token);
  assert.deepEqual(
    allergies.items.map((a: any) => [a.substance.display, a.category, a.verification]),
    [['Peanut', 'food', 'confirmed']],
  );
  const medications = await get(`/patients/${anna.id}/medications`, anna.token);
  assert.deepEqual(medications.items.map((m: any) => m.medication.display).sort(), ['Salbutamol inhaler', 'Vitamin D']);
  const note = await get(`/appointments/${appointmentId}/note`, berg.token);
  assert.equal(note.status, 'SIGNED');
  assert.equal(note.assessment, 'Acute bronchitis');
  assert.deepEqual(
    note.addenda.map((a: any) => a.text),
    ['Chest X-ray not needed.'],
  );
  const intake = await get(`/appointments/${appointmentId}/intake`, anna.token);
  assert.equal(intake.response.status, 'completed');
  assert.deepEqual(intake.response.answers.find((a: any) => a.linkId === 'reason')?.value, 'A cough for three weeks');
  const consents = await get('/me/consents', anna.token);
  assert.equal(consents.length, 1);

  const messages = await get(`/conversations/${berg.id}/messages`, anna.token);
  assert.deepEqual(
    messages.items.map((m: any) => m.body),
    ['Thanks, see you soon!', 'Thank you, it looks harmless.', 'Here is the rash I mentioned.'],
  );
  const [attachment] = messages.items[2].attachments;
  assert.equal(attachment.fileName, 'rash.png');
  const file = await fetch(`${s.url}/api/v1/attachments/${attachment.id}`, { headers: { authorization: `Bearer ${berg.token}` } });
  assert.equal(file.status, 200);
  const bytes = Buffer.from(await file.arrayBuffer());
  assert.equal(bytes.length, attachment.size);
  assert.equal(bytes.subarray(1, 4).toString(), 'PNG');

  const prescriptions = await get('/prescriptions', anna.token);
  assert.deepEqual(
    prescriptions.items.map((p: any) => [p.status, p.items[0].medication]),
    [['ACTIVE', 'Amoxicillin']],
  );
  // The prescription's PDF now prints the clinic's settings (a table the backup predates).
  const pdf = await fetch(`${s.url}/api/v1/prescriptions/${prescriptions.items[0].id}/pdf`, {
    headers: { authorization: `Bearer ${anna.token}` },
  });
  assert.equal(pdf.status, 200);
  assert.equal(
    Buffer.from(await pdf.arrayBuffer())
      .subarray(0, 4)
      .toString(),
    '%PDF',
  );
  assert.equal((await request(s.url, 'GET', '/api/v1/clinic')).body.name, 'Telecare');

  const users = await get('/admin/users', admin.token);
  assert.deepEqual(users.items.map((u: any) => u.username).sort(), ['clinic.admin', 'dr.berg', 'dr.pending', 'pat.anna', 'pat.ben']);

  // The notification list (migration 0028) is empty for old data, and fills from the next event on.
  assert.deepEqual((await get('/me/notifications', anna.token)).items, []);
  assert.deepEqual(await get('/me/notifications/unread-count', anna.token), { count: 0 });
  const sent = await request(s.url, 'POST', `/api/v1/conversations/${anna.id}/messages`, {
    token: berg.token,
    body: { body: 'How is the cough today?' },
  });
  assert.equal(sent.status, 201, sent.text);
  const list = await get('/me/notifications', anna.token);
  assert.deepEqual(
    list.items.map((n: any) => [n.kind, n.person?.id]),
    [['message.received', berg.id]],
  );
}

test(
  `a ${SERVER ? 'pg_dump' : 'backup'} of the previous release restores and migrates forward: every row, the audit chain, the outbox, sign-in and the new features`,
  { timeout: 300_000 },
  async (t) => {
    const work = mkdtempSync(join(tmpdir(), 'telecare-prev-'));
    t.after(() => rmSync(work, { recursive: true, force: true }));
    const dataDir = join(work, 'data');
    let env: Record<string, string>;
    if (!SERVER) {
      // The operator's restore brings the backup to this release's schema and checks the chain.
      const r = await cli({ DATA_DIR: dataDir }, 'restore', join(FIXTURES, 'embedded.tgz'));
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`migrations applied: ${forward.join(', ')};`));
      assert.match(r.stdout, new RegExp(`audit chain intact \\(${held.counts.audit_events} events\\)`));
      // The server holds the embedded database while it runs: its rows are read before it starts.
      const db = await openDatabase({ databaseUrl: null, pgliteDir: pgliteDirFor(dataDir) });
      try {
        await assertRows(db);
      } finally {
        await db.close();
      }
      env = { ...FAST_ENV, DATA_DIR: dataDir };
    } else {
      const scratch = await createScratchDatabase(SERVER, 'tc_prevrel');
      t.after(scratch.drop);
      const r = await run('pg_restore', ['--exit-on-error', '--no-owner', `--dbname=${scratch.url}`, join(FIXTURES, 'server.dump')]);
      assert.equal(r.status, 0, r.stderr);
      env = { ...FAST_ENV, DATA_DIR: dataDir, DATABASE_URL: scratch.url };
    }

    const s = await startService(t, env);
    if (SERVER) {
      // The new release's first start migrates the restored database.
      const applied = s
        .output()
        .split('\n')
        .filter((l) => l.includes('"migrations applied"'))
        .map((l) => JSON.parse(l).applied as string[]);
      assert.deepEqual(applied, [forward]);
      const db = await openDatabase({ databaseUrl: env.DATABASE_URL!, pgliteDir: '' });
      try {
        await assertRows(db);
      } finally {
        await db.close();
      }
    } else {
      assert.match(s.output(), /database schema is up to date/);
    }
    // `audit verify` against the running service (embedded: through its admin socket).
    const verified = await cli(env, 'audit', 'verify');
    assert.equal(verified.status, 0, verified.stderr);
    assert.match(verified.stdout, new RegExp(`audit chain intact: ${held.counts.audit_events} events verified`));
    await assertServed(s);
    assert.equal(await s.stop(), 0);
    assert.doesNotMatch(s.output(), /"level":(40|50)/, 'no warning or error from the server');
  },
);

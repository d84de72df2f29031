// The consent gate's races interleaved step by step on a PostgreSQL server (a second connection holds a
// transaction open at the point under test): run only with TEST_DATABASE_URL, as every *.server.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import {
  appointmentFixture,
  build,
  createAdminUser,
  createDoctor,
  createPatient,
  type Person,
  type TestApp,
  type WsClient,
} from '../../../test/helpers.ts';
import { connect, join } from '../../../test/fixtures/visits.ts';
import { pinClock } from '../../platform/clock.ts';

const API = '/api/v1';

async function publish(app: TestApp, admin: Person, text = 'Consent text') {
  const res = await app.request('POST', `${API}/admin/consents/telehealth`, { token: admin.token, body: { text } });
  assert.equal(res.status, 201, res.text);
  return res.body as { version: number };
}
const accept = (app: TestApp, who: Person, version: number) =>
  app.request('POST', `${API}/me/consents`, { token: who.token, body: { type: 'telehealth', version } });
const locate = (app: TestApp, who: Person, id: string) =>
  app.request('POST', `${API}/appointments/${id}/visit/location`, { token: who.token, body: { country: 'US', region: 'US-AL' } });

/** `n` patients, each with an open visit of their own doctor at the same instant, consent v1 accepted and a location stated. */
async function ready(app: TestApp, admin: Person, n: number) {
  const startsAt = new Date('2031-05-05T10:00:00.000Z');
  pinClock(app.app.platform, startsAt);
  const v1 = await publish(app, admin);
  const visits: { patient: Person; id: string; ws: WsClient }[] = [];
  for (let i = 0; i < n; i++) {
    const [doctor, patient] = [await createDoctor(app), await createPatient(app)];
    const id = await appointmentFixture(app, { doctorId: doctor.id, patientId: patient.id, status: 'CONFIRMED', startsAt });
    assert.equal((await accept(app, patient, v1.version)).status, 201);
    assert.equal((await locate(app, patient, id)).status, 201);
    visits.push({ patient, id, ws: await connect(app, patient) });
  }
  return visits;
}

/**
 * Waits until a backend of this database waits for a lock in a statement matching `query` (pg_stat_activity),
 * asking the server again after each answer: an event, not a timer. Gives up after 30 s naming what it saw.
 */
async function someoneWaitsForALock(client: pg.Client, query: RegExp): Promise<void> {
  const deadline = Date.now() + 30_000;
  let seen: unknown[] = [];
  while (Date.now() < deadline) {
    const { rows } = await client.query<{ query: string; wait_event_type: string | null; state: string }>(
      'SELECT query, wait_event_type, state FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
    );
    if (rows.some((r) => r.wait_event_type === 'Lock' && query.test(r.query))) return;
    seen = rows;
  }
  throw new Error(`no statement matching ${query} waited for a lock; last seen: ${JSON.stringify(seen)}`);
}

test('race, interleaved on PostgreSQL: a join that checks while a version is being published waits and is refused', async (t) => {
  // Cleaned up last in, first out: the clients end before the app drops its database.
  const cleanups: (() => unknown)[] = [];
  t.after(async () => {
    for (const f of cleanups.reverse()) await f();
  });
  const app = await build();
  cleanups.push(() => app.close());
  const admin = await createAdminUser(app);
  const [v] = await ready(app, admin, 1);
  cleanups.push(() => v.ws.ws.close());
  const publisher = new pg.Client({ connectionString: app.databaseUrl! });
  const watcher = new pg.Client({ connectionString: app.databaseUrl! });
  await Promise.all([publisher.connect(), watcher.connect()]);
  for (const c of [publisher, watcher]) c.on('error', () => {});
  cleanups.push(() => Promise.all([publisher.end(), watcher.end()]));
  // A publication in flight: the head row is updated, not yet committed.
  await publisher.query('BEGIN');
  await publisher.query("UPDATE consent_heads SET version = version + 1 WHERE type = 'telehealth'");
  await publisher.query(
    "INSERT INTO consent_versions (type, version, text, published_by) SELECT 'telehealth', version, 'v2', $1 FROM consent_heads WHERE type = 'telehealth'",
    [admin.id],
  );
  const joining = join(v.ws, v.id);
  await someoneWaitsForALock(watcher, /consent_heads/);
  await publisher.query('COMMIT');
  const f = await joining;
  assert.deepEqual([f.type, f.code], ['visit.error', 'CONSENT_REQUIRED']);
  const rows = await app.database.rows(sql`SELECT 1 FROM visit_presence WHERE appointment_id = ${v.id}`);
  assert.equal(rows.length, 0);
});

test('race, interleaved on PostgreSQL: a publication waits for the join that checked the current version to commit', async (t) => {
  // Cleaned up last in, first out: the clients end before the app drops its database.
  const cleanups: (() => unknown)[] = [];
  t.after(async () => {
    for (const f of cleanups.reverse()) await f();
  });
  const app = await build();
  cleanups.push(() => app.close());
  const admin = await createAdminUser(app);
  const [v] = await ready(app, admin, 1);
  cleanups.push(() => v.ws.ws.close());
  const blocker = new pg.Client({ connectionString: app.databaseUrl! });
  const watcher = new pg.Client({ connectionString: app.databaseUrl! });
  await Promise.all([blocker.connect(), watcher.connect()]);
  for (const c of [blocker, watcher]) c.on('error', () => {});
  cleanups.push(() => Promise.all([blocker.end(), watcher.end()]));
  // Holds the join after its consent check: its presence row cannot be written while this lock is held
  // (reads go on, so the join gets through its checks and waits at its first write).
  await blocker.query('BEGIN');
  await blocker.query('LOCK TABLE visit_presence IN EXCLUSIVE MODE');
  const joining = join(v.ws, v.id);
  await someoneWaitsForALock(watcher, /visit_presence/);
  const publishing = publish(app, admin, 'Version two');
  await someoneWaitsForALock(watcher, /consent_heads/);
  const order: string[] = [];
  const j = joining.then((f) => order.push(`join:${f.type}`));
  const pb = publishing.then((b) => order.push(`publish:${b.version}`));
  await blocker.query('ROLLBACK');
  await Promise.all([j, pb]);
  // The join checked version 1 and committed first; only then did version 2 become current.
  assert.equal(order.includes('join:visit.joined'), true, order.join());
  assert.equal(order.includes('publish:2'), true);
  const after = await join(v.ws, v.id);
  assert.equal(after.code, 'CONSENT_REQUIRED');
});

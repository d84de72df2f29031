import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'drizzle-orm';
import { build, createAdminUser, createPatient, expectProblem, type Person, type TestApp } from '../../../test/helpers.ts';
import { API, book, pinNow, workingDoctor } from '../../../test/fixtures/booking.ts';

let app: TestApp;
let d1: Person, d2: Person, p1: Person, p2: Person, admin: Person;
const ids: Record<string, string> = {};
before(async () => {
  app = await build();
  pinNow(app, '2027-01-04T07:00:00.000Z');
  [d1, d2] = [await workingDoctor(app), await workingDoctor(app)];
  [p1, p2] = [await createPatient(app), await createPatient(app)];
  admin = await createAdminUser(app);
  ids.a = (await book(app, p1, d1.id, '2027-01-05T08:00:00.000Z')).body.id;
  ids.b = (await book(app, p1, d1.id, '2027-01-06T08:00:00.000Z')).body.id;
  ids.c = (await book(app, p1, d2.id, '2027-01-07T08:00:00.000Z')).body.id;
  ids.d = (await book(app, p2, d2.id, '2027-01-05T08:00:00.000Z')).body.id;
  await app.request('POST', `${API}/appointments/${ids.b}/confirm`, { token: d1.token });
});
after(async () => {
  await app.close();
});

const get = (path: string, who?: Person) => app.request('GET', `${API}${path}`, { token: who?.token });

test('an appointment is visible to its patient, its doctor and admins; a read is audited', async () => {
  for (const who of [p1, d1, admin]) {
    const res = await get(`/appointments/${ids.a}`, who);
    assert.equal(res.status, 200);
    assert.equal(res.body.id, ids.a);
  }
  const audits = await app.database.rows<{ actor_id: string; patient_id: string }>(
    sql`SELECT actor_id, patient_id FROM audit_events WHERE action = 'appointment.read' AND resource_id = ${ids.a}`,
  );
  assert.deepEqual(new Set(audits.map((a) => a.actor_id)), new Set([p1.id, d1.id, admin.id]));
  assert.ok(audits.every((a) => a.patient_id === p1.id));
});

test('another patient or another doctor gets 404, exactly as for an unknown id', async () => {
  const missing = await get('/appointments/00000000-0000-4000-8000-000000000000', p2);
  expectProblem(missing, 404, 'NOT_FOUND');
  for (const who of [p2, d2]) {
    const res = await get(`/appointments/${ids.a}`, who);
    expectProblem(res, 404, 'NOT_FOUND');
    assert.equal(res.body.detail, missing.body.detail);
  }
  expectProblem(await get(`/appointments/${ids.a}`), 401, 'UNAUTHENTICATED');
  expectProblem(await get('/appointments/123', p1), 400, 'VALIDATION_FAILED');
});

test("lists hold only the caller's own appointments (admin: all), ordered by start", async () => {
  const idsOf = async (who: Person, q = '') => (await get(`/appointments${q}`, who)).body.items.map((a: { id: string }) => a.id);
  assert.deepEqual(await idsOf(p1), [ids.a, ids.b, ids.c]);
  assert.deepEqual(await idsOf(p2), [ids.d]);
  assert.deepEqual(await idsOf(d1), [ids.a, ids.b]);
  assert.deepEqual(await idsOf(d2), [ids.d, ids.c]);
  const all = await idsOf(admin, '?limit=100');
  for (const id of Object.values(ids)) assert.ok(all.includes(id));
  expectProblem(await get('/appointments'), 401, 'UNAUTHENTICATED');
});

test('status, from and to filter the list; from is inclusive, to exclusive', async () => {
  const q = async (who: Person, query: string) => (await get(`/appointments?${query}`, who)).body.items.map((a: { id: string }) => a.id);
  assert.deepEqual(await q(p1, 'status=CONFIRMED'), [ids.b]);
  assert.deepEqual(await q(p1, 'status=PENDING'), [ids.a, ids.c]);
  assert.deepEqual(await q(p1, 'from=2027-01-06T08:00:00.000Z'), [ids.b, ids.c]);
  assert.deepEqual(await q(p1, 'to=2027-01-06T08:00:00.000Z'), [ids.a]);
  assert.deepEqual(await q(p1, 'from=2027-01-05T12:00:00Z&to=2027-01-07T00:00:00Z&status=CONFIRMED'), [ids.b]);
});

test("patientId narrows the list to one patient's appointments, within what the caller may see", async () => {
  const q = async (who: Person, patientId: string) =>
    (await get(`/appointments?patientId=${patientId}`, who)).body.items.map((a: { id: string }) => a.id);
  assert.deepEqual(await q(d1, p1.id), [ids.a, ids.b]);
  assert.deepEqual(await q(d2, p1.id), [ids.c]);
  assert.deepEqual(await q(d2, p2.id), [ids.d]);
  assert.deepEqual(await q(d1, p2.id), [], 'no care relationship: nothing');
  assert.deepEqual(await q(p2, p1.id), [], "another patient's: nothing");
  assert.deepEqual(await q(p1, p1.id), [ids.a, ids.b, ids.c]);
});

test('the list is keyset-paginated with an opaque cursor', async () => {
  const first = await get('/appointments?limit=2', p1);
  assert.equal(first.body.items.length, 2);
  assert.equal(typeof first.body.nextCursor, 'string');
  const second = await get(`/appointments?limit=2&cursor=${first.body.nextCursor}`, p1);
  assert.deepEqual(
    second.body.items.map((a: { id: string }) => a.id),
    [ids.c],
  );
  assert.equal(second.body.nextCursor, null);
});

test('bad list queries are 400', async () => {
  for (const query of [
    'status=DONE',
    'from=tomorrow',
    'limit=0',
    'limit=101',
    'cursor=garbage',
    'patientId=x',
    `cursor=${Buffer.from('["x","y"]').toString('base64url')}`,
  ]) {
    expectProblem(await get(`/appointments?${query}`, p1), 400, 'VALIDATION_FAILED');
  }
});

test('listing is audited once per patient whose appointments were shown', async () => {
  const before = await app.database.rows<{ n: number }>(
    sql`SELECT count(*)::int AS n FROM audit_events WHERE action = 'appointment.list' AND actor_id = ${d2.id}`,
  );
  await get('/appointments', d2);
  const rows = await app.database.rows<{ patient_id: string }>(
    sql`SELECT patient_id FROM audit_events WHERE action = 'appointment.list' AND actor_id = ${d2.id} ORDER BY seq DESC LIMIT 2`,
  );
  assert.equal(
    before[0].n,
    (
      await app.database.rows<{ n: number }>(
        sql`SELECT count(*)::int AS n FROM audit_events WHERE action = 'appointment.list' AND actor_id = ${d2.id}`,
      )
    )[0].n - 2,
  );
  assert.deepEqual(new Set(rows.map((r) => r.patient_id)), new Set([p1.id, p2.id]));
});

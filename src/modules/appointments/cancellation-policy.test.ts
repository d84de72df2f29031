import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'drizzle-orm';
import {
  appointmentFixture,
  build,
  createAdminUser,
  createPatient,
  expectProblem,
  type Person,
  type TestApp,
} from '../../../test/helpers.ts';
import { API, book, pinNow, workingDoctor } from '../../../test/fixtures/booking.ts';

let app: TestApp;
before(async () => {
  app = await build(undefined, { reminderPollMs: 3_600_000 });
  pinNow(app, '2027-01-04T07:00:00.000Z');
});
after(async () => {
  await app.close();
});

const post = (id: string, action: string, who: Person, body?: unknown) =>
  app.request('POST', `${API}/appointments/${id}/${action}`, { token: who.token, body });
const patch = (d: Person, body: unknown) => app.request('PATCH', `${API}/doctors/me`, { token: d.token, body });

test('cancellationNoticeHours: default 0, set by the doctor (0–168), shown on the own and the public profile', async () => {
  const d = await workingDoctor(app);
  assert.equal((await app.request('GET', `${API}/doctors/me`, { token: d.token })).body.cancellationNoticeHours, 0);
  for (const bad of [-1, 169, 1.5, '24', null]) expectProblem(await patch(d, { cancellationNoticeHours: bad }), 400, 'VALIDATION_FAILED');
  assert.equal((await app.request('GET', `${API}/doctors/me`, { token: d.token })).body.cancellationNoticeHours, 0, 'nothing written');
  const res = await patch(d, { cancellationNoticeHours: 168 });
  assert.equal(res.status, 200);
  assert.equal(res.body.cancellationNoticeHours, 168);
  assert.equal((await app.request('GET', `${API}/doctors/${d.id}`)).body.cancellationNoticeHours, 168);
  const p = await createPatient(app);
  expectProblem(
    await app.request('PATCH', `${API}/doctors/me`, { token: p.token, body: { cancellationNoticeHours: 1 } }),
    403,
    'FORBIDDEN',
  );
});

test('a patient cancelling or moving inside the notice gets 409 CANCELLATION_WINDOW_PASSED; the doctor and an admin still cancel', async () => {
  const d = await workingDoctor(app);
  const p = await createPatient(app);
  const admin = await createAdminUser(app);
  assert.equal((await patch(d, { cancellationNoticeHours: 24 })).status, 200);
  // Now is 2027-01-04 07:00Z: 09:00Z tomorrow is 26 h ahead, 06:30Z... the doctor works from 08:00Z.
  const far = (await book(app, p, d.id, '2027-01-05T09:00:00.000Z')).body.id;
  const near = (await book(app, p, d.id, '2027-01-05T08:00:00.000Z')).body.id;
  const third = (await book(app, p, d.id, '2027-01-05T10:00:00.000Z')).body.id;
  pinNow(app, '2027-01-04T08:30:00.000Z'); // near starts in 23.5 h, far in 24.5 h
  expectProblem(await post(near, 'cancel', p), 409, 'CANCELLATION_WINDOW_PASSED');
  expectProblem(await post(near, 'reschedule', p, { startsAt: '2027-01-06T08:00:00.000Z' }), 409, 'CANCELLATION_WINDOW_PASSED');
  const [row] = await app.database.rows<{ status: string; starts_at: Date }>(
    sql`SELECT status, starts_at FROM appointments WHERE id = ${near}`,
  );
  assert.equal(row.status, 'PENDING');
  assert.equal(new Date(row.starts_at).toISOString(), '2027-01-05T08:00:00.000Z');
  // Outside the notice the patient may still move and cancel.
  assert.equal((await post(far, 'reschedule', p, { startsAt: '2027-01-06T09:00:00.000Z' })).status, 200);
  assert.equal((await post(far, 'cancel', p)).status, 200);
  // The doctor and an admin may cancel late, and that is not the patient's late cancellation.
  const byDoctor = await post(near, 'cancel', d);
  assert.equal(byDoctor.status, 200);
  const byAdmin = await post(third, 'cancel', admin);
  assert.equal(byAdmin.status, 200);
  const late = await app.database.rows<{ n: number }>(
    sql`SELECT count(*)::int AS n FROM appointments WHERE patient_id = ${p.id} AND late_cancellation`,
  );
  assert.equal(late[0].n, 0);
  pinNow(app, '2027-01-04T07:00:00.000Z');
});

test("the doctor's patient list counts each patient's late cancellations and no-shows", async () => {
  const d = await workingDoctor(app);
  const [p, q] = [await createPatient(app), await createPatient(app)];
  // A care relationship for both (a past visit), then p cancels late twice (no notice required) and misses a visit.
  for (const who of [p, q])
    await appointmentFixture(app, {
      doctorId: d.id,
      patientId: who.id,
      status: 'COMPLETED',
      startsAt: new Date('2026-12-01T10:00:00.000Z'),
    });
  const a1 = (await book(app, p, d.id, '2027-01-04T12:00:00.000Z')).body.id; // 5 h ahead: late
  const a2 = (await book(app, p, d.id, '2027-01-04T13:00:00.000Z')).body.id;
  const a3 = (await book(app, p, d.id, '2027-01-08T13:00:00.000Z')).body.id; // 4 days ahead: not late
  assert.equal((await post(a1, 'cancel', p)).status, 200);
  assert.equal((await post(a2, 'cancel', p)).status, 200);
  assert.equal((await post(a3, 'cancel', p)).status, 200);
  const missed = await appointmentFixture(app, {
    doctorId: d.id,
    patientId: p.id,
    status: 'CONFIRMED',
    startsAt: new Date('2027-01-03T10:00:00.000Z'),
  });
  assert.equal((await post(missed, 'no-show', d)).status, 200);
  // q's appointment cancelled late by the doctor does not count against q.
  const b1 = (await book(app, q, d.id, '2027-01-04T14:00:00.000Z')).body.id;
  assert.equal((await post(b1, 'cancel', d)).status, 200);

  const res = await app.request('GET', `${API}/doctors/me/patients`, { token: d.token });
  assert.equal(res.status, 200);
  const byId = new Map(res.body.items.map((i: any) => [i.id, i]));
  assert.deepEqual([(byId.get(p.id) as any).lateCancellations, (byId.get(p.id) as any).noShows], [2, 1]);
  assert.deepEqual([(byId.get(q.id) as any).lateCancellations, (byId.get(q.id) as any).noShows], [0, 0]);
});

// The waitlist endpoints and their unhappy paths (the offer flow itself is in offers.test.ts).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'drizzle-orm';
import { createAdminUser, createDoctor, createPatient, expectProblem, type Person, type TestApp } from '../../../test/helpers.ts';
import { API, workingDoctor } from '../../../test/fixtures/booking.ts';
import {
  accept,
  bookedDoctor,
  cancel,
  decline,
  join,
  joined,
  socket,
  offerEvent,
  waitlistApp,
  WINDOW,
} from '../../../test/fixtures/waitlist.ts';
import { walk } from '../../../test/fixtures/pages.ts';

let app: TestApp;
let doctor: Person;
let patient: Person;
before(async () => {
  app = await waitlistApp();
  doctor = await workingDoctor(app);
  patient = await createPatient(app);
});
after(async () => {
  await app.close();
});

const entries = async () => (await app.database.rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM waitlist_entries`))[0].n;

test("a verified patient joins a doctor's waitlist: 201 WAITING with the window, audited", async () => {
  const res = await join(app, patient, doctor.id);
  assert.equal(res.status, 201, res.text);
  assert.equal(res.body.doctorId, doctor.id);
  assert.equal(res.body.patientId, patient.id);
  assert.equal(res.body.from, WINDOW.from);
  assert.equal(res.body.to, WINDOW.to);
  assert.equal(res.body.status, 'WAITING');
  assert.equal(res.body.offer, null);
  assert.ok(!Number.isNaN(Date.parse(res.body.createdAt)));
  assert.match(res.headers.get('cache-control') ?? '', /no-store/);
  const events = await app.database.rows(
    sql`SELECT 1 FROM audit_events WHERE action = 'waitlist.create' AND resource_id = ${res.body.id} AND patient_id = ${patient.id}`,
  );
  assert.equal(events.length, 1);
});

test('joining: anonymous 401, unverified email 403, a doctor 403, and nothing is written', async () => {
  const before = await entries();
  expectProblem(await app.request('POST', `${API}/waitlist`, { body: { doctorId: doctor.id, ...WINDOW } }), 401, 'UNAUTHENTICATED');
  expectProblem(await join(app, await createPatient(app, { verified: false }), doctor.id), 403, 'EMAIL_NOT_VERIFIED');
  expectProblem(await join(app, doctor, doctor.id), 403, 'FORBIDDEN');
  assert.equal(await entries(), before);
});

test('joining the list of an unknown, unverified or rejected doctor is 404', async () => {
  expectProblem(await join(app, patient, '00000000-0000-4000-8000-000000000000'), 404, 'NOT_FOUND');
  expectProblem(await join(app, patient, (await createDoctor(app, { credentials: 'PENDING' })).id), 404, 'NOT_FOUND');
  expectProblem(await join(app, patient, (await createDoctor(app, { credentials: 'REJECTED' })).id), 404, 'NOT_FOUND');
});

test('bad windows are 400 VALIDATION_FAILED and write nothing', async () => {
  const before = await entries();
  const bad: Record<string, unknown>[] = [
    { doctorId: doctor.id, from: WINDOW.to, to: WINDOW.from },
    { doctorId: doctor.id, from: WINDOW.from, to: WINDOW.from },
    { doctorId: doctor.id, from: '2027-01-05T00:00:00.000Z', to: '2027-02-05T00:00:01.000Z' },
    { doctorId: doctor.id, from: '2026-12-01T00:00:00.000Z', to: '2026-12-02T00:00:00.000Z' },
    { doctorId: doctor.id, from: 'tomorrow', to: WINDOW.to },
    { doctorId: doctor.id, from: '2027-01-05T23:59:60Z', to: WINDOW.to },
    { doctorId: 'not-a-uuid', ...WINDOW },
    { doctorId: doctor.id, from: WINDOW.from },
    { doctorId: doctor.id, ...WINDOW, note: 'extra' },
  ];
  for (const body of bad) {
    const res = await app.request('POST', `${API}/waitlist`, { token: patient.token, body });
    expectProblem(res, 400, 'VALIDATION_FAILED');
  }
  expectProblem(await app.request('POST', `${API}/waitlist`, { token: patient.token, rawBody: '{"doctorId":' }), 400, 'VALIDATION_FAILED');
  assert.equal(await entries(), before);
});

test('a 31-day window is accepted', async () => {
  const res = await join(app, await createPatient(app), doctor.id, { from: '2027-01-05T00:00:00.000Z', to: '2027-02-05T00:00:00.000Z' });
  assert.equal(res.status, 201, res.text);
});

test('GET /waitlist: a patient sees only their own entries, a doctor only those waiting for them, in line order, keyset-paged', async () => {
  const d = await workingDoctor(app);
  const other = await workingDoctor(app);
  const [a, b, c] = [await createPatient(app), await createPatient(app), await createPatient(app)];
  const ids = [await joined(app, a, d.id), await joined(app, b, d.id), await joined(app, c, d.id)];
  await joined(app, a, other.id);

  const mine = await app.request('GET', `${API}/waitlist`, { token: b.token });
  assert.equal(mine.status, 200, mine.text);
  assert.deepEqual(
    mine.body.items.map((e: any) => e.id),
    [ids[1]],
  );
  assert.equal(mine.body.nextCursor, null);
  assert.deepEqual(mine.body.items[0].doctor, { id: d.id, firstname: d.body.firstname, lastname: d.body.lastname });

  const seen = await walk(app, `${API}/waitlist?limit=1`, d.token, 1);
  assert.deepEqual(seen, ids);
  const page = await app.request('GET', `${API}/waitlist`, { token: d.token });
  assert.deepEqual(
    page.body.items.map((e: any) => e.patient.id),
    [a.id, b.id, c.id],
  );
  // The doctor's list discloses who waits: one audit event per patient shown.
  const events = await app.database.rows(
    sql`SELECT patient_id FROM audit_events WHERE action = 'waitlist.list' AND actor_id = ${d.id} AND patient_id = ${a.id}`,
  );
  assert.ok(events.length >= 1);

  const waiting = await app.request('GET', `${API}/waitlist?status=WAITING`, { token: a.token });
  assert.equal(waiting.body.items.length, 2);
});

test('GET /waitlist: anonymous 401, admin 403, bad query 400', async () => {
  expectProblem(await app.request('GET', `${API}/waitlist`), 401, 'UNAUTHENTICATED');
  expectProblem(await app.request('GET', `${API}/waitlist`, { token: (await createAdminUser(app)).token }), 403, 'FORBIDDEN');
  for (const q of ['limit=0', 'limit=101', 'cursor=nonsense', 'status=REMOVED', 'unknown=1']) {
    expectProblem(await app.request('GET', `${API}/waitlist?${q}`, { token: patient.token }), 400, 'VALIDATION_FAILED');
  }
});

test('DELETE /waitlist/{id}: its patient 204 and the entry is gone; again, another patient or unknown id 404; a doctor 403', async () => {
  const d = await workingDoctor(app);
  const p = await createPatient(app);
  const id = await joined(app, p, d.id);
  expectProblem(await app.request('DELETE', `${API}/waitlist/${id}`, { token: (await createPatient(app)).token }), 404, 'NOT_FOUND');
  expectProblem(await app.request('DELETE', `${API}/waitlist/${id}`, { token: d.token }), 403, 'FORBIDDEN');
  expectProblem(await app.request('DELETE', `${API}/waitlist/${id}`), 401, 'UNAUTHENTICATED');
  expectProblem(await app.request('DELETE', `${API}/waitlist/not-a-uuid`, { token: p.token }), 400, 'VALIDATION_FAILED');
  const res = await app.request('DELETE', `${API}/waitlist/${id}`, { token: p.token });
  assert.equal(res.status, 204, res.text);
  assert.equal(res.text, '');
  expectProblem(await app.request('DELETE', `${API}/waitlist/${id}`, { token: p.token }), 404, 'NOT_FOUND');
  const list = await app.request('GET', `${API}/waitlist`, { token: p.token });
  assert.deepEqual(list.body.items, []);
  const doctorList = await app.request('GET', `${API}/waitlist`, { token: d.token });
  assert.deepEqual(doctorList.body.items, []);
});

test("offer endpoints: unknown offer 404, another patient's offer 404, a doctor 403, anonymous 401, bad id or body 400", async () => {
  const { doctor: d, holder, appointmentId } = await bookedDoctor(app);
  const p = await createPatient(app);
  const ws = await socket(app, p);
  await joined(app, p, d.id);
  assert.equal((await cancel(app, holder, appointmentId)).status, 200);
  const offer = await offerEvent(ws);
  ws.ws.close();
  const stranger = await createPatient(app);
  for (const action of ['accept', 'decline']) {
    const path = (id: string) => `${API}/waitlist/offers/${id}/${action}`;
    expectProblem(await app.request('POST', path('00000000-0000-4000-8000-000000000000'), { token: p.token }), 404, 'NOT_FOUND');
    expectProblem(await app.request('POST', path(offer.id), { token: stranger.token }), 404, 'NOT_FOUND');
    expectProblem(await app.request('POST', path(offer.id), { token: d.token }), 403, 'FORBIDDEN');
    expectProblem(await app.request('POST', path(offer.id)), 401, 'UNAUTHENTICATED');
    expectProblem(await app.request('POST', path('nope'), { token: p.token }), 400, 'VALIDATION_FAILED');
  }
  expectProblem(await accept(app, p, offer.id, { reason: 'x', extra: true }), 400, 'VALIDATION_FAILED');
  expectProblem(await accept(app, p, offer.id, { reason: 'bad\u0000' }), 400, 'VALIDATION_FAILED');
  // None of that touched the offer: it can still be declined once, then it is gone.
  assert.equal((await decline(app, p, offer.id)).status, 204);
  expectProblem(await decline(app, p, offer.id), 409, 'WAITLIST_OFFER_EXPIRED');
  expectProblem(await accept(app, p, offer.id), 409, 'WAITLIST_OFFER_EXPIRED');
});

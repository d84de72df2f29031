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

type Status = 'PENDING' | 'CONFIRMED' | 'CANCELLED' | 'COMPLETED' | 'NO_SHOW';
const STATUSES: Status[] = ['PENDING', 'CONFIRMED', 'CANCELLED', 'COMPLETED', 'NO_SHOW'];
const NOW = Date.parse('2027-01-04T07:00:00.000Z');

let app: TestApp;
let doctor: Person;
let patient: Person;
let past = 0;
let future = 0;
before(async () => {
  // One patient books many appointments with one doctor here; the booking limits have their own tests.
  app = await build(undefined, { bookingMaxOpen: 1000, bookingMaxOpenPerDoctor: 1000 });
  pinNow(app, new Date(NOW).toISOString());
  doctor = await workingDoctor(app, { settings: { maxAdvanceDays: 60 } });
  patient = await createPatient(app);
});
after(async () => {
  await app.close();
});

// Distinct times so fixtures never collide: past ones an hour apart going back, future slots 30 min apart.
const pastStart = () => new Date(NOW - ++past * 3_600_000);
const freeSlot = () => {
  const n = future++; // 16 half-hour slots a day from 08:00Z (09:00 Berlin)
  return new Date(Date.parse('2027-01-11T08:00:00.000Z') + Math.floor(n / 16) * 86_400_000 + (n % 16) * 1_800_000).toISOString();
};
const fixture = (status: Status) => appointmentFixture(app, { doctorId: doctor.id, patientId: patient.id, status, startsAt: pastStart() });
const post = (id: string, action: string, who: Person, body?: unknown) =>
  app.request('POST', `${API}/appointments/${id}/${action}`, { token: who.token, body });

const actions: { action: string; allowed: Status[]; result: Status | null; who: () => Person; body?: () => unknown }[] = [
  { action: 'confirm', allowed: ['PENDING'], result: 'CONFIRMED', who: () => doctor },
  {
    action: 'cancel',
    allowed: ['PENDING', 'CONFIRMED'],
    result: 'CANCELLED',
    who: () => patient,
    body: () => ({ reason: 'Feeling better' }),
  },
  { action: 'reschedule', allowed: ['PENDING', 'CONFIRMED'], result: null, who: () => patient, body: () => ({ startsAt: freeSlot() }) },
  { action: 'complete', allowed: ['CONFIRMED'], result: 'COMPLETED', who: () => doctor },
  { action: 'no-show', allowed: ['CONFIRMED'], result: 'NO_SHOW', who: () => doctor },
];

for (const a of actions) {
  for (const from of STATUSES) {
    const ok = a.allowed.includes(from);
    test(`${a.action} from ${from} ${ok ? 'succeeds' : 'is 409 INVALID_TRANSITION'}`, async () => {
      const id = await fixture(from);
      const res = await post(id, a.action, a.who(), a.body?.());
      if (!ok) {
        expectProblem(res, 409, 'INVALID_TRANSITION');
        const [row] = await app.database.rows<{ status: string }>(sql`SELECT status FROM appointments WHERE id = ${id}`);
        assert.equal(row.status, from);
        return;
      }
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.status, a.result ?? 'PENDING');
      const audited = await app.database.rows(
        sql`SELECT 1 FROM audit_events WHERE resource_id = ${id} AND action = ${`appointment.${a.action.replace('-', '_')}`} AND patient_id = ${patient.id}`,
      );
      assert.equal(audited.length, 1);
    });
  }
}

test('complete and no-show are refused before the appointment starts', async () => {
  const res = await book(app, patient, doctor.id, freeSlot());
  await post(res.body.id, 'confirm', doctor);
  expectProblem(await post(res.body.id, 'complete', doctor), 409, 'INVALID_TRANSITION');
  expectProblem(await post(res.body.id, 'no-show', doctor), 409, 'INVALID_TRANSITION');
});

test('cancel records who cancelled and why, accepts no body, and tells both parties', async () => {
  const events: { ids: string[]; e: any }[] = [];
  const off = app.app.platform.bus.onEvent((ids, e) => events.push({ ids, e }));
  const a = await book(app, patient, doctor.id, freeSlot());
  const res = await post(a.body.id, 'cancel', doctor, { reason: 'Doctor ill' });
  assert.equal(res.body.cancelledBy, doctor.id);
  assert.equal(res.body.cancellationReason, 'Doctor ill');
  const b = await book(app, patient, doctor.id, freeSlot());
  const bare = await app.request('POST', `${API}/appointments/${b.body.id}/cancel`, { token: patient.token });
  assert.equal(bare.status, 200);
  assert.equal(bare.body.cancellationReason, null);
  off();
  const cancelled = events.filter((x) => x.e.type === 'appointment.updated' && x.e.appointment.status === 'CANCELLED');
  assert.equal(cancelled.length, 2);
  assert.deepEqual(cancelled[0].ids, [patient.id, doctor.id]);
});

test('reschedule is atomic: a taken or invalid slot keeps the old one; who moves it decides the status', async () => {
  const other = await createPatient(app);
  const takenAt = freeSlot();
  assert.equal((await book(app, other, doctor.id, takenAt)).status, 201);
  const mine = await book(app, patient, doctor.id, freeSlot());
  await post(mine.body.id, 'confirm', doctor);
  expectProblem(await post(mine.body.id, 'reschedule', patient, { startsAt: takenAt }), 409, 'SLOT_UNAVAILABLE');
  expectProblem(await post(mine.body.id, 'reschedule', patient, { startsAt: '2027-01-11T08:10:00.000Z' }), 409, 'SLOT_UNAVAILABLE');
  expectProblem(await post(mine.body.id, 'reschedule', patient, { startsAt: mine.body.startsAt }), 400, 'VALIDATION_FAILED');
  const still = await app.request('GET', `${API}/appointments/${mine.body.id}`, { token: patient.token });
  assert.equal(still.body.startsAt, mine.body.startsAt);
  assert.equal(still.body.status, 'CONFIRMED');
  const byPatient = await post(mine.body.id, 'reschedule', patient, { startsAt: freeSlot() });
  assert.equal(byPatient.status, 200);
  assert.equal(byPatient.body.status, 'PENDING', 'the doctor must confirm the new time');
  const byDoctor = await post(mine.body.id, 'reschedule', doctor, { startsAt: freeSlot() });
  assert.equal(byDoctor.body.status, 'CONFIRMED');
  // The old time is free again.
  assert.equal((await book(app, other, doctor.id, mine.body.startsAt)).status, 201);
});

test('who may act: 403 for a role that may see but not act, 404 for strangers and unknown ids', async () => {
  const admin = await createAdminUser(app);
  const strangerPatient = await createPatient(app);
  const strangerDoctor = await workingDoctor(app);
  const id = (await book(app, patient, doctor.id, freeSlot())).body.id;
  for (const action of ['confirm', 'complete', 'no-show']) {
    expectProblem(await post(id, action, patient), 403, 'FORBIDDEN');
    expectProblem(await post(id, action, admin), 403, 'FORBIDDEN');
    expectProblem(await post(id, action, strangerDoctor), 404, 'NOT_FOUND');
  }
  expectProblem(await post(id, 'reschedule', admin, { startsAt: freeSlot() }), 403, 'FORBIDDEN');
  for (const who of [strangerPatient, strangerDoctor]) {
    expectProblem(await post(id, 'cancel', who, {}), 404, 'NOT_FOUND');
    expectProblem(await post(id, 'reschedule', who, { startsAt: freeSlot() }), 404, 'NOT_FOUND');
  }
  for (const action of ['confirm', 'cancel', 'reschedule', 'complete', 'no-show']) {
    expectProblem(await app.request('POST', `${API}/appointments/${id}/${action}`), 401, 'UNAUTHENTICATED');
    expectProblem(
      await post('00000000-0000-4000-8000-000000000000', action, doctor, action === 'reschedule' ? { startsAt: freeSlot() } : undefined),
      404,
      'NOT_FOUND',
    );
    expectProblem(
      await post('not-a-uuid', action, doctor, action === 'reschedule' ? { startsAt: freeSlot() } : undefined),
      400,
      'VALIDATION_FAILED',
    );
  }
  const cancelled = await post(id, 'cancel', admin);
  assert.equal(cancelled.status, 200);
  assert.equal(cancelled.body.cancelledBy, admin.id);
});

test('cancel and reschedule bodies are validated (400)', async () => {
  const booked = await book(app, patient, doctor.id, freeSlot());
  assert.equal(booked.status, 201, booked.text);
  const id = booked.body.id;
  for (const body of [{ reason: 'x'.repeat(2001) }, { reason: 5 }, { why: 'x' }, []])
    expectProblem(await post(id, 'cancel', patient, body), 400, 'VALIDATION_FAILED');
  for (const body of [{}, { startsAt: 'soon' }, { startsAt: freeSlot(), doctorId: doctor.id }, null])
    expectProblem(await post(id, 'reschedule', patient, body), 400, 'VALIDATION_FAILED');
  for (const action of ['cancel', 'reschedule']) {
    expectProblem(
      await app.request('POST', `${API}/appointments/${id}/${action}`, { token: patient.token, rawBody: '{"reason":' }),
      400,
      'VALIDATION_FAILED',
    );
  }
  const [row] = await app.database.rows<{ status: string }>(sql`SELECT status FROM appointments WHERE id = ${id}`);
  assert.equal(row.status, 'PENDING');
});

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'drizzle-orm';
import { appointmentFixture, build, createPatient, expectProblem, type TestApp } from '../../../test/helpers.ts';
import { API, book, pinNow, workingDoctor } from '../../../test/fixtures/booking.ts';

// Contract: at most 10 open (PENDING/CONFIRMED, future) appointments in all and 3 with one doctor.
let app: TestApp;
before(async () => {
  app = await build();
  pinNow(app, '2027-01-04T07:00:00.000Z');
});
after(async () => {
  await app.close();
});

/** The n-th half-hour slot from 2027-01-05 09:00 Berlin (08:00Z), 16 a day. */
const slot = (n: number) =>
  new Date(Date.parse('2027-01-05T08:00:00.000Z') + Math.floor(n / 16) * 86_400_000 + (n % 16) * 1_800_000).toISOString();

const openCount = async (patientId: string) =>
  (
    await app.database.rows<{ n: number }>(
      sql`SELECT count(*)::int AS n FROM appointments WHERE patient_id = ${patientId} AND status IN ('PENDING', 'CONFIRMED')`,
    )
  )[0].n;

test('a fourth open appointment with one doctor is 409 BOOKING_LIMIT_REACHED; cancelling one makes room', async () => {
  const d = await workingDoctor(app);
  const other = await workingDoctor(app);
  const p = await createPatient(app);
  const booked = [];
  for (let i = 0; i < 3; i++) {
    const r = await book(app, p, d.id, slot(i));
    assert.equal(r.status, 201, r.text);
    booked.push(r.body.id);
  }
  const fourth = await book(app, p, d.id, slot(3));
  expectProblem(fourth, 409, 'BOOKING_LIMIT_REACHED');
  assert.match(fourth.body.detail, /3 open appointments with one doctor/);
  assert.equal(await openCount(p.id), 3, 'nothing written');
  // Another doctor is still bookable, and a cancelled appointment no longer counts.
  assert.equal((await book(app, p, other.id, slot(3))).status, 201);
  assert.equal((await app.request('POST', `${API}/appointments/${booked[0]}/cancel`, { token: p.token })).status, 200);
  assert.equal((await book(app, p, d.id, slot(4))).status, 201);
});

test('past and finished appointments do not count; moving an open one does not count twice', async () => {
  const d = await workingDoctor(app);
  const p = await createPatient(app);
  // Three appointments that started before now (still CONFIRMED: not yet marked) and finished ones.
  for (let h = 1; h <= 3; h++) {
    await appointmentFixture(app, {
      doctorId: d.id,
      patientId: p.id,
      status: 'CONFIRMED',
      startsAt: new Date(Date.parse('2027-01-04T07:00:00.000Z') - h * 3_600_000),
    });
  }
  await appointmentFixture(app, { doctorId: d.id, patientId: p.id, status: 'COMPLETED', startsAt: new Date('2026-12-01T10:00:00.000Z') });
  const ids = [];
  for (let i = 0; i < 3; i++) {
    const r = await book(app, p, d.id, slot(20 + i));
    assert.equal(r.status, 201, r.text);
    ids.push(r.body.id);
  }
  const moved = await app.request('POST', `${API}/appointments/${ids[0]}/reschedule`, { token: p.token, body: { startsAt: slot(30) } });
  assert.equal(moved.status, 200, moved.text);
  expectProblem(await book(app, p, d.id, slot(31)), 409, 'BOOKING_LIMIT_REACHED');
});

test('an eleventh open appointment in all is 409 BOOKING_LIMIT_REACHED', async () => {
  const doctors = await Promise.all([0, 1, 2, 3].map(() => workingDoctor(app)));
  const p = await createPatient(app);
  for (let i = 0; i < 10; i++) {
    const r = await book(app, p, doctors[i % 4].id, slot(40 + i));
    assert.equal(r.status, 201, r.text);
  }
  const eleventh = await book(app, p, doctors[3].id, slot(60));
  expectProblem(eleventh, 409, 'BOOKING_LIMIT_REACHED');
  assert.match(eleventh.body.detail, /10 open appointments/);
  assert.equal(await openCount(p.id), 10);
});

test('20 bookings of one patient with one doctor at once: exactly 3 succeed, 17 are 409 BOOKING_LIMIT_REACHED', async () => {
  const d = await workingDoctor(app);
  const p = await createPatient(app);
  const results = await Promise.all(Array.from({ length: 20 }, (_, i) => book(app, p, d.id, slot(80 + i))));
  assert.deepEqual(results.map((r) => r.status).sort(), [...Array(3).fill(201), ...Array(17).fill(409)]);
  for (const r of results.filter((x) => x.status === 409)) expectProblem(r, 409, 'BOOKING_LIMIT_REACHED');
  assert.equal(await openCount(p.id), 3);
});

test('20 bookings of one patient across five doctors at once: exactly 10 succeed, never more than 3 per doctor', async () => {
  const doctors = await Promise.all([0, 1, 2, 3, 4].map(() => workingDoctor(app)));
  const p = await createPatient(app);
  // Four distinct times per doctor, none overlapping across doctors (the patient cannot be in two places).
  const results = await Promise.all(Array.from({ length: 20 }, (_, i) => book(app, p, doctors[i % 5].id, slot(120 + i))));
  assert.equal(results.filter((r) => r.status === 201).length, 10);
  for (const r of results.filter((x) => x.status !== 201)) expectProblem(r, 409, 'BOOKING_LIMIT_REACHED');
  const perDoctor = await app.database.rows<{ n: number }>(
    sql`SELECT count(*)::int AS n FROM appointments WHERE patient_id = ${p.id} GROUP BY doctor_id`,
  );
  assert.ok(
    perDoctor.every((r) => r.n <= 3),
    JSON.stringify(perDoctor),
  );
  assert.equal(await openCount(p.id), 10);
});

test('the limits are configurable', async () => {
  const small = await build(undefined, { bookingMaxOpen: 2, bookingMaxOpenPerDoctor: 1 });
  try {
    pinNow(small, '2027-01-04T07:00:00.000Z');
    const [d1, d2, d3] = [await workingDoctor(small), await workingDoctor(small), await workingDoctor(small)];
    const p = await createPatient(small);
    assert.equal((await book(small, p, d1.id, slot(0))).status, 201);
    expectProblem(await book(small, p, d1.id, slot(1)), 409, 'BOOKING_LIMIT_REACHED');
    assert.equal((await book(small, p, d2.id, slot(2))).status, 201);
    expectProblem(await book(small, p, d3.id, slot(3)), 409, 'BOOKING_LIMIT_REACHED');
  } finally {
    await small.close();
  }
});

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'drizzle-orm';
import { build, createAdminUser, createDoctor, createPatient, expectProblem, type TestApp } from '../../../test/helpers.ts';
import { API, book, pinNow, workingDoctor } from '../../../test/fixtures/booking.ts';

let app: TestApp;
before(async () => {
  app = await build();
  // Monday 2027-01-04 07:00Z; the doctors work 09:00–17:00 Berlin = 08:00Z–16:00Z.
  pinNow(app, '2027-01-04T07:00:00.000Z');
});
after(async () => {
  await app.close();
});

const T = (hhmm: string, day = '2027-01-05') => `${day}T${hhmm}:00.000Z`;

test('a verified patient books a free slot: 201 PENDING, endsAt = start + slotMinutes, names for display, audited', async () => {
  const d = await workingDoctor(app, { settings: { slotMinutes: 20 } });
  const p = await createPatient(app);
  const events: unknown[] = [];
  const off = app.app.platform.bus.onEvent((ids, e) => events.push({ ids, e }));
  const res = await book(app, p, d.id, T('08:20'), { reason: 'Chest pain' });
  off();
  assert.equal(res.status, 201);
  assert.equal(res.body.status, 'PENDING');
  assert.equal(res.body.startsAt, T('08:20'));
  assert.equal(res.body.endsAt, T('08:40'));
  assert.equal(res.body.reason, 'Chest pain');
  assert.deepEqual(res.body.doctor, { id: d.id, firstname: 'Doc', lastname: 'Tor' });
  assert.deepEqual(res.body.patient, { id: p.id, firstname: 'Pat', lastname: 'Ient' });
  const frames = events as { ids: string[]; e: { type: string } }[];
  assert.deepEqual(
    frames.filter((x) => x.e.type !== 'notification.created'),
    [{ ids: [p.id, d.id], e: { type: 'appointment.updated', appointment: res.body } }],
  );
  // The doctor's notification list may already be announcing the booking (src/modules/inbox): to the doctor only.
  for (const x of frames.filter((f) => f.e.type === 'notification.created')) assert.deepEqual(x.ids, [d.id]);
  const audit = await app.database.rows<{ patient_id: string }>(
    sql`SELECT patient_id FROM audit_events WHERE action = 'appointment.create' AND resource_id = ${res.body.id}`,
  );
  assert.deepEqual(
    audit.map((a) => a.patient_id),
    [p.id],
  );
});

test('a doctor with autoConfirm gets CONFIRMED bookings', async () => {
  const d = await workingDoctor(app);
  const patch = await app.request('PATCH', `${API}/doctors/me`, { token: d.token, body: { autoConfirm: true } });
  assert.equal(patch.status, 200);
  const res = await book(app, await createPatient(app), d.id, T('09:00'));
  assert.equal(res.status, 201);
  assert.equal(res.body.status, 'CONFIRMED');
});

test('startsAt must be exactly a free slot start (409 SLOT_UNAVAILABLE otherwise)', async () => {
  const d = await workingDoctor(app, { settings: { minNoticeMinutes: 120, maxAdvanceDays: 3 } });
  const p = await createPatient(app);
  expectProblem(await book(app, p, d.id, T('08:10')), 409, 'SLOT_UNAVAILABLE'); // not on the grid
  expectProblem(await book(app, p, d.id, T('07:30')), 409, 'SLOT_UNAVAILABLE'); // outside availability
  expectProblem(await book(app, p, d.id, T('08:00', '2027-01-03')), 409, 'SLOT_UNAVAILABLE'); // in the past
  expectProblem(await book(app, p, d.id, T('08:30', '2027-01-04')), 409, 'SLOT_UNAVAILABLE'); // inside the notice
  expectProblem(await book(app, p, d.id, T('08:00', '2027-01-08')), 409, 'SLOT_UNAVAILABLE'); // beyond max advance
  const off = await app.request('POST', `${API}/doctors/me/time-off`, {
    token: d.token,
    body: { startsAt: T('10:00'), endsAt: T('12:00') },
  });
  assert.equal(off.status, 201);
  expectProblem(await book(app, p, d.id, T('10:30')), 409, 'SLOT_UNAVAILABLE'); // time off
  const ok = await book(app, p, d.id, '2027-01-05T10:00:00+01:00'); // 09:00Z written with an offset
  assert.equal(ok.status, 201);
  assert.equal(ok.body.startsAt, T('09:00'));
  expectProblem(await book(app, await createPatient(app), d.id, T('09:00')), 409, 'SLOT_UNAVAILABLE'); // taken
  const count = await app.database.rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM appointments WHERE doctor_id = ${d.id}`);
  assert.equal(count[0].n, 1);
});

test('a patient cannot hold two overlapping appointments with different doctors (409)', async () => {
  const a = await workingDoctor(app);
  const b = await workingDoctor(app, { settings: { slotMinutes: 60 } });
  const p = await createPatient(app);
  assert.equal((await book(app, p, a.id, T('13:30'))).status, 201);
  const clash = await book(app, p, b.id, T('13:00'));
  expectProblem(clash, 409, 'SLOT_UNAVAILABLE');
  assert.match(clash.body.detail, /patient already has an appointment/);
});

test('unverified, rejected, suspended or unknown doctors are not bookable (404)', async () => {
  const p = await createPatient(app);
  const pending = await workingDoctor(app, { credentials: 'PENDING' });
  const rejected = await workingDoctor(app, { credentials: 'REJECTED' });
  const suspended = await workingDoctor(app);
  await app.database.rows(sql`UPDATE users SET account_status = 'SUSPENDED' WHERE id = ${suspended.id}`);
  for (const id of [pending.id, rejected.id, suspended.id, '00000000-0000-4000-8000-000000000000', p.id]) {
    expectProblem(await book(app, p, id, T('09:00')), 404, 'NOT_FOUND');
  }
});

test('only verified-email patients may book: 401 anonymous, 403 unverified, 403 doctor and admin', async () => {
  const d = await workingDoctor(app);
  const body = { doctorId: d.id, startsAt: T('11:00') };
  expectProblem(await app.request('POST', `${API}/appointments`, { body }), 401, 'UNAUTHENTICATED');
  expectProblem(
    await app.request('POST', `${API}/appointments`, { token: (await createPatient(app, { verified: false })).token, body }),
    403,
    'EMAIL_NOT_VERIFIED',
  );
  expectProblem(await app.request('POST', `${API}/appointments`, { token: d.token, body }), 403, 'FORBIDDEN');
  expectProblem(await app.request('POST', `${API}/appointments`, { token: (await createAdminUser(app)).token, body }), 403, 'FORBIDDEN');
});

test('booking bodies are validated (400) and nothing is written', async () => {
  const d = await workingDoctor(app);
  const p = await createPatient(app);
  const bad: unknown[] = [
    {},
    { doctorId: d.id },
    { startsAt: T('11:00') },
    { doctorId: 'nope', startsAt: T('11:00') },
    { doctorId: d.id, startsAt: '2027-01-05 11:00' },
    { doctorId: d.id, startsAt: '2027-02-30T11:00:00Z' },
    { doctorId: d.id, startsAt: 1799999999 },
    { doctorId: d.id, startsAt: T('11:00'), reason: 'x'.repeat(2001) },
    { doctorId: d.id, startsAt: T('11:00'), reason: 'nul\u0000byte' },
    { doctorId: d.id, startsAt: T('11:00'), status: 'CONFIRMED' },
    [],
    'text',
  ];
  for (const body of bad)
    expectProblem(await app.request('POST', `${API}/appointments`, { token: p.token, body }), 400, 'VALIDATION_FAILED');
  expectProblem(await app.request('POST', `${API}/appointments`, { token: p.token, rawBody: '{"doctorId": ' }), 400, 'VALIDATION_FAILED');
  expectProblem(
    await app.request('POST', `${API}/appointments`, {
      token: p.token,
      body: { doctorId: d.id, startsAt: T('11:00') },
      headers: { 'idempotency-key': 'x'.repeat(256) },
    }),
    400,
    'VALIDATION_FAILED',
  );
  const count = await app.database.rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM appointments WHERE patient_id = ${p.id}`);
  assert.equal(count[0].n, 0);
});

test('a doctor who is not verified cannot confirm (403 DOCTOR_NOT_VERIFIED)', async () => {
  const d = await createDoctor(app, { credentials: 'PENDING' });
  expectProblem(
    await app.request('POST', `${API}/appointments/00000000-0000-4000-8000-000000000000/confirm`, { token: d.token }),
    403,
    'DOCTOR_NOT_VERIFIED',
  );
});

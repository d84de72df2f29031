import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'drizzle-orm';
import {
  appointmentFixture,
  build,
  createAdminUser,
  createDoctor,
  createPatient,
  expectProblem,
  type Person,
  type TestApp,
} from '../../../test/helpers.ts';

const API = '/api/v1';
let app: TestApp;
let patient: Person, carer: Person, formerCarer: Person, stranger: Person, otherPatient: Person, admin: Person;
before(async () => {
  app = await build();
  patient = await createPatient(app, { body: { dateOfBirth: '1990-01-15', medicalHistory: 'Asthma' } });
  [carer, formerCarer, stranger] = [await createDoctor(app), await createDoctor(app), await createDoctor(app)];
  otherPatient = await createPatient(app);
  admin = await createAdminUser(app);
  await appointmentFixture(app, {
    doctorId: carer.id,
    patientId: patient.id,
    status: 'COMPLETED',
    startsAt: new Date(Date.now() - 86_400_000),
  });
  await appointmentFixture(app, { doctorId: formerCarer.id, patientId: patient.id, status: 'CANCELLED' });
});
after(async () => {
  await app.close();
});

const auditCount = async (action: string, actorId: string) =>
  (
    await app.database.rows<{ n: number }>(
      sql`SELECT count(*)::int AS n FROM audit_events WHERE action = ${action} AND actor_id = ${actorId} AND patient_id = ${patient.id}`,
    )
  )[0].n;

test('a patient reads their own profile with a computed age; the read is audited', async () => {
  const res = await app.request('GET', `${API}/patients/me`, { token: patient.token });
  assert.equal(res.status, 200);
  assert.equal(res.body.id, patient.id);
  assert.equal(res.body.user.id, patient.id);
  assert.equal(res.body.medicalHistory, 'Asthma');
  const today = new Date();
  const expected = today.getUTCFullYear() - 1990 - (today.getUTCMonth() === 0 && today.getUTCDate() < 15 ? 1 : 0);
  assert.equal(res.body.age, expected);
  assert.equal(await auditCount('patient.read', patient.id), 1);
});

test('a patient updates gender, medical history and date of birth; the change is audited', async () => {
  const res = await app.request('PATCH', `${API}/patients/me`, {
    token: patient.token,
    body: { gender: 'other', medicalHistory: 'Asthma; pollen allergy', dateOfBirth: '1991-02-28' },
  });
  assert.equal(res.status, 200);
  assert.deepEqual([res.body.gender, res.body.medicalHistory, res.body.dateOfBirth], ['other', 'Asthma; pollen allergy', '1991-02-28']);
  assert.equal(await auditCount('patient.update', patient.id), 1);
  const unverified = await createPatient(app, { verified: false });
  assert.equal((await app.request('PATCH', `${API}/patients/me`, { token: unverified.token, body: { gender: 'male' } })).status, 200);
});

test('patient updates are validated (400): date of birth in the past, real dates, closed bodies', async () => {
  const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
  const bad: unknown[] = [
    {},
    { dateOfBirth: tomorrow },
    { dateOfBirth: '2001-02-29' },
    { dateOfBirth: '1850-01-01' },
    { dateOfBirth: '15.01.1990' },
    { gender: 'x' },
    { medicalHistory: 'x'.repeat(20001) },
    { medicalHistory: 'a\u0000b' },
    { firstname: 'New' },
    { age: 3 },
    null,
  ];
  for (const body of bad)
    expectProblem(await app.request('PATCH', `${API}/patients/me`, { token: patient.token, body }), 400, 'VALIDATION_FAILED');
  expectProblem(
    await app.request('PATCH', `${API}/patients/me`, { token: patient.token, rawBody: '{"gender":"male"' }),
    400,
    'VALIDATION_FAILED',
  );
  const me = await app.request('GET', `${API}/patients/me`, { token: patient.token });
  assert.equal(me.body.dateOfBirth, '1991-02-28');
});

test('/patients/me is for patients only (403 others, 401 anonymous)', async () => {
  for (const who of [carer, admin]) {
    expectProblem(await app.request('GET', `${API}/patients/me`, { token: who.token }), 403, 'FORBIDDEN');
    expectProblem(await app.request('PATCH', `${API}/patients/me`, { token: who.token, body: { gender: 'male' } }), 403, 'FORBIDDEN');
  }
  expectProblem(await app.request('GET', `${API}/patients/me`), 401, 'UNAUTHENTICATED');
});

test('a doctor in a care relationship reads the patient with medical history; the read is audited', async () => {
  const res = await app.request('GET', `${API}/patients/${patient.id}`, { token: carer.token });
  assert.equal(res.status, 200);
  assert.equal(res.body.medicalHistory, 'Asthma; pollen allergy');
  assert.equal(await auditCount('patient.read', carer.id), 1);
  assert.equal((await app.request('GET', `${API}/patients/${patient.id}`, { token: patient.token })).status, 200);
});

test('a doctor without a live care relationship, another patient and an admin get 404 as for an unknown id', async () => {
  const unknown = await app.request('GET', `${API}/patients/00000000-0000-4000-8000-000000000000`, { token: carer.token });
  expectProblem(unknown, 404, 'NOT_FOUND');
  for (const who of [formerCarer, stranger, otherPatient, admin]) {
    const res = await app.request('GET', `${API}/patients/${patient.id}`, { token: who.token });
    expectProblem(res, 404, 'NOT_FOUND');
    assert.equal(res.body.detail, unknown.body.detail);
    assert.equal(await auditCount('patient.read', who.id), 0);
  }
  expectProblem(await app.request('GET', `${API}/patients/${patient.id}`), 401, 'UNAUTHENTICATED');
  expectProblem(await app.request('GET', `${API}/patients/not-an-id`, { token: carer.token }), 400, 'VALIDATION_FAILED');
});

test('the care relationship starts with a pending appointment', async () => {
  const doctor = await createDoctor(app);
  expectProblem(await app.request('GET', `${API}/patients/${otherPatient.id}`, { token: doctor.token }), 404, 'NOT_FOUND');
  await appointmentFixture(app, { doctorId: doctor.id, patientId: otherPatient.id, status: 'PENDING' });
  assert.equal((await app.request('GET', `${API}/patients/${otherPatient.id}`, { token: doctor.token })).status, 200);
});

test('clinical access needs VERIFIED credentials: a rejected or pending doctor gets 403 DOCTOR_NOT_VERIFIED everywhere clinical', async () => {
  const { setDoctorVerification } = await import('../../../test/helpers.ts');
  const doctor = await createDoctor(app);
  const pending = await createDoctor(app, { credentials: 'PENDING' });
  const p = await createPatient(app);
  const confirmed = await appointmentFixture(app, {
    doctorId: doctor.id,
    patientId: p.id,
    status: 'CONFIRMED',
    startsAt: new Date(Date.now() - 3_600_000),
  });
  const pendingAppt = await appointmentFixture(app, { doctorId: doctor.id, patientId: p.id, status: 'PENDING' });
  await appointmentFixture(app, { doctorId: pending.id, patientId: p.id, status: 'CONFIRMED' });
  assert.equal((await app.request('GET', `${API}/patients/${p.id}`, { token: doctor.token })).status, 200);
  await setDoctorVerification(app, doctor.id, 'REJECTED');
  const calls: [string, string, unknown?][] = [
    ['GET', `${API}/patients/${p.id}`],
    ['GET', `${API}/doctors/me/patients`],
    ['GET', `${API}/conversations`],
    ['GET', `${API}/conversations/${p.id}/messages`],
    ['POST', `${API}/conversations/${p.id}/messages`, { body: 'Your results are in' }],
    [
      'POST',
      `${API}/prescriptions`,
      { appointmentId: confirmed, items: [{ medication: 'A', dosage: '1 mg', frequency: 'daily', durationDays: 1 }] },
    ],
    ['POST', `${API}/appointments/${pendingAppt}/confirm`],
    ['POST', `${API}/appointments/${confirmed}/complete`],
    ['POST', `${API}/appointments/${confirmed}/no-show`],
  ];
  for (const who of [doctor, pending]) {
    for (const [method, path, body] of calls)
      expectProblem(await app.request(method, path, { token: who.token, body }), 403, 'DOCTOR_NOT_VERIFIED');
  }
  assert.equal(await auditCount('patient.read', pending.id), 0);
  // Verified again, access returns.
  await setDoctorVerification(app, doctor.id, 'VERIFIED');
  assert.equal((await app.request('GET', `${API}/patients/${p.id}`, { token: doctor.token })).status, 200);
});

test('a COMPLETED or NO_SHOW appointment keeps the care relationship for 365 days after it, not longer', async () => {
  const DAY = 86_400_000;
  for (const status of ['COMPLETED', 'NO_SHOW'] as const) {
    const [recent, old] = [await createDoctor(app), await createDoctor(app)];
    const p = await createPatient(app);
    await appointmentFixture(app, { doctorId: recent.id, patientId: p.id, status, startsAt: new Date(Date.now() - 364 * DAY) });
    await appointmentFixture(app, { doctorId: old.id, patientId: p.id, status, startsAt: new Date(Date.now() - 366 * DAY) });
    assert.equal((await app.request('GET', `${API}/patients/${p.id}`, { token: recent.token })).status, 200);
    expectProblem(await app.request('GET', `${API}/patients/${p.id}`, { token: old.token }), 404, 'NOT_FOUND');
    assert.deepEqual((await app.request('GET', `${API}/doctors/me/patients`, { token: old.token })).body.items, []);
    assert.equal((await app.request('GET', `${API}/doctors/me/patients`, { token: recent.token })).body.items.length, 1);
    expectProblem(
      await app.request('POST', `${API}/conversations/${p.id}/messages`, { token: old.token, body: { body: 'hello' } }),
      404,
      'NOT_FOUND',
    );
  }
  const { loadConfig } = await import('../../platform/config.ts');
  assert.equal(loadConfig({}).careRelationshipDays, 365);
  assert.equal(loadConfig({ CARE_RELATIONSHIP_DAYS: '730' }).careRelationshipDays, 730);
});

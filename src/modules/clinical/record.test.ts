// Allergies, medications and problems through the API: who may read and write, self-reports, nothing
// deleted (entered-in-error keeps who and when), and every read and change in the patient's access log.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'drizzle-orm';
import {
  appointmentFixture,
  build,
  createAdminUser,
  createDoctor,
  createPatient,
  expectProblem,
  setDoctorVerification,
} from '../../../test/helpers.ts';
import { care } from '../../../test/fixtures/care.ts';

const API = '/api/v1';
const penicillin = {
  substance: { system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '7980', display: 'Penicillin G' },
  category: 'medication',
  criticality: 'high',
  reaction: 'Hives',
};

test('a treating doctor records a coded allergy (confirmed), the patient reads it; admins, strangers and other patients get 404', async (t) => {
  const app = await build(t);
  const c = await care(app);
  const base = `${API}/patients/${c.patient.id}/allergies`;
  const res = await app.request('POST', base, { token: c.doctor.token, body: penicillin });
  assert.equal(res.status, 201, res.text);
  assert.deepEqual(res.body.substance, { system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '7980', display: 'penicillin G' });
  assert.equal(res.body.verification, 'confirmed');
  assert.equal(res.body.status, 'active');
  assert.equal(res.body.recordedBy, c.doctor.id);
  assert.equal(res.body.enteredInError, null);
  assert.equal(res.headers.get('cache-control'), 'no-store');

  const mine = await app.request('GET', base, { token: c.patient.token });
  assert.equal(mine.status, 200);
  assert.deepEqual(
    mine.body.items.map((a: any) => a.id),
    [res.body.id],
  );
  assert.equal(mine.body.nextCursor, null);

  const admin = await createAdminUser(app);
  const stranger = await createDoctor(app);
  const otherPatient = await createPatient(app);
  for (const who of [admin, stranger, otherPatient]) {
    expectProblem(await app.request('GET', base, { token: who.token }), 404, 'NOT_FOUND');
    expectProblem(await app.request('POST', base, { token: who.token, body: penicillin }), 404, 'NOT_FOUND');
  }
  expectProblem(await app.request('GET', base), 401, 'UNAUTHENTICATED');
  const pending = await createDoctor(app, { credentials: 'PENDING' });
  await care(app, 'CONFIRMED', { doctor: pending, patient: c.patient });
  expectProblem(await app.request('GET', base, { token: pending.token }), 403, 'DOCTOR_NOT_VERIFIED');
  // A cancelled appointment grants nothing.
  const cancelled = await care(app, 'CANCELLED', { patient: c.patient });
  expectProblem(await app.request('GET', base, { token: cancelled.doctor.token }), 404, 'NOT_FOUND');
});

test('bad input is a 400: unknown code, unknown property, bad enum, control characters, bad ids', async (t) => {
  const app = await build(t);
  const c = await care(app);
  const base = `${API}/patients/${c.patient.id}/allergies`;
  const bad = [
    { ...penicillin, substance: { code: '99999999', display: 'Madeup' } },
    { ...penicillin, substance: { system: 'http://snomed.info/sct', code: '7980', display: 'x' } },
    { ...penicillin, extra: 1 },
    { ...penicillin, category: 'drug' },
    { ...penicillin, substance: { display: 'Pen\ncillin' } },
    { ...penicillin, substance: { display: '' } },
  ];
  for (const body of bad) expectProblem(await app.request('POST', base, { token: c.doctor.token, body }), 400, 'VALIDATION_FAILED');
  expectProblem(await app.request('GET', `${API}/patients/not-a-uuid/allergies`, { token: c.doctor.token }), 400, 'VALIDATION_FAILED');
  expectProblem(
    await app.request('POST', `${API}/patients/${c.patient.id}/problems`, {
      token: c.doctor.token,
      body: { condition: { code: '123', display: 'Asthma' } },
    }),
    400,
    'VALIDATION_FAILED',
  );
  expectProblem(
    await app.request('PATCH', `${base}/00000000-0000-4000-8000-000000000000`, { token: c.doctor.token, body: { status: 'inactive' } }),
    404,
    'NOT_FOUND',
  );
});

test('a patient self-reports an allergy and a medication (unconfirmed) until a doctor confirms; patients cannot change entries or add problems', async (t) => {
  const app = await build(t);
  const c = await care(app);
  const base = `${API}/patients/${c.patient.id}`;
  const a = await app.request('POST', `${base}/allergies`, {
    token: c.patient.token,
    body: { substance: { display: 'Peanut' }, category: 'food', criticality: 'high' },
  });
  assert.equal(a.status, 201, a.text);
  assert.equal(a.body.verification, 'unconfirmed');
  assert.deepEqual(a.body.substance, { display: 'Peanut' });
  expectProblem(
    await app.request('POST', `${base}/allergies`, { token: c.patient.token, body: { ...penicillin, verification: 'confirmed' } }),
    403,
    'FORBIDDEN',
  );
  const m = await app.request('POST', `${base}/medications`, {
    token: c.patient.token,
    body: {
      medication: { system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '6809', display: 'Metformin' },
      dosage: '500 mg twice daily',
      since: '2024-03-01',
    },
  });
  assert.equal(m.status, 201, m.text);
  assert.equal(m.body.verification, 'unconfirmed');
  assert.equal(m.body.since, '2024-03-01');
  expectProblem(
    await app.request('PATCH', `${base}/allergies/${a.body.id}`, { token: c.patient.token, body: { verification: 'confirmed' } }),
    403,
    'FORBIDDEN',
  );
  expectProblem(
    await app.request('POST', `${base}/problems`, { token: c.patient.token, body: { condition: { display: 'Asthma' } } }),
    403,
    'FORBIDDEN',
  );

  const confirmed = await app.request('PATCH', `${base}/allergies/${a.body.id}`, {
    token: c.doctor.token,
    body: { verification: 'confirmed' },
  });
  assert.equal(confirmed.status, 200, confirmed.text);
  assert.equal(confirmed.body.verification, 'confirmed');
  assert.equal(confirmed.body.updatedBy, c.doctor.id);
  const med = await app.request('PATCH', `${base}/medications/${m.body.id}`, {
    token: c.doctor.token,
    body: { verification: 'confirmed', status: 'stopped' },
  });
  assert.equal(med.body.status, 'stopped');
  assert.equal(med.body.verification, 'confirmed');
});

test('nothing is deleted: entered-in-error stays listed with who and when, and cannot change again', async (t) => {
  const app = await build(t);
  const c = await care(app);
  const base = `${API}/patients/${c.patient.id}`;
  const p = await app.request('POST', `${base}/problems`, {
    token: c.doctor.token,
    body: { condition: { display: 'Hypertension' }, onset: '2020-05-01', note: 'On treatment' },
  });
  assert.equal(p.status, 201, p.text);
  const eie = await app.request('PATCH', `${base}/problems/${p.body.id}`, {
    token: c.doctor.token,
    body: { clinicalStatus: 'entered-in-error' },
  });
  assert.equal(eie.status, 200, eie.text);
  assert.equal(eie.body.enteredInError.by, c.doctor.id);
  assert.match(eie.body.enteredInError.at, /Z$/);
  expectProblem(
    await app.request('PATCH', `${base}/problems/${p.body.id}`, { token: c.doctor.token, body: { clinicalStatus: 'active' } }),
    409,
    'INVALID_TRANSITION',
  );
  const list = await app.request('GET', `${base}/problems`, { token: c.patient.token });
  assert.deepEqual(
    list.body.items.map((i: any) => [i.id, i.clinicalStatus]),
    [[p.body.id, 'entered-in-error']],
  );
  for (const method of ['DELETE', 'PUT']) {
    const res = await app.request(method, `${base}/problems/${p.body.id}`, { token: c.doctor.token });
    assert.equal(res.status, 405);
  }
});

test('lists are keyset pages, newest first; every read and change is in the patient’s access log', async (t) => {
  const app = await build(t);
  const c = await care(app);
  const base = `${API}/patients/${c.patient.id}/medications`;
  const ids: string[] = [];
  for (const name of ['A', 'B', 'C']) {
    const res = await app.request('POST', base, { token: c.doctor.token, body: { medication: { display: `Drug ${name}` } } });
    ids.push(res.body.id);
  }
  const first = await app.request('GET', `${base}?limit=2`, { token: c.doctor.token });
  const second = await app.request('GET', `${base}?limit=2&cursor=${first.body.nextCursor}`, { token: c.doctor.token });
  assert.deepEqual([...first.body.items, ...second.body.items].map((i: any) => i.id).sort(), [...ids].sort());
  assert.equal(second.body.nextCursor, null);
  const events = await app.database.rows<{ action: string; patient_id: string; actor_id: string }>(
    sql`SELECT action, patient_id, actor_id FROM audit_events WHERE patient_id = ${c.patient.id} AND action LIKE 'medication.%' ORDER BY seq`,
  );
  assert.deepEqual(
    events.map((e) => e.action),
    ['medication.create', 'medication.create', 'medication.create', 'medication.list', 'medication.list'],
  );
  const log = await app.request('GET', `${API}/patients/me/access-log`, { token: c.patient.token });
  assert.equal(log.status, 200);
  assert.ok(JSON.stringify(log.body).includes('medication.list'));
  // A list that discloses nothing is recorded against no patient.
  const empty = await care(app, 'CONFIRMED', { doctor: c.doctor });
  await app.request('GET', `${API}/patients/${empty.patient.id}/allergies`, { token: c.doctor.token });
  const none = await app.database.rows(sql`SELECT 1 FROM audit_events WHERE patient_id = ${empty.patient.id} AND action = 'allergy.list'`);
  assert.equal(none.length, 0);
});

test('the record is on the access point: a care relationship that ended, a rejected doctor and another patient reach nothing, change nothing', async (t) => {
  const app = await build(t);
  const c = await care(app);
  const base = `${API}/patients/${c.patient.id}`;
  const entry = await app.request('POST', `${base}/allergies`, { token: c.doctor.token, body: penicillin });
  assert.equal(entry.status, 201, entry.text);
  // A COMPLETED appointment 400 days ago: its care relationship ended after 365.
  const ended = await createDoctor(app);
  const old = await appointmentFixture(app, {
    doctorId: ended.id,
    patientId: c.patient.id,
    status: 'COMPLETED',
    startsAt: new Date(Date.now() - 400 * 86_400_000),
  });
  const rejected = await createDoctor(app);
  await appointmentFixture(app, { doctorId: rejected.id, patientId: c.patient.id, status: 'CONFIRMED' });
  await setDoctorVerification(app, rejected.id, 'REJECTED');
  const before = await app.database.rows(sql`SELECT * FROM clinical_allergies WHERE patient_id = ${c.patient.id} ORDER BY id`);
  for (const [who, status, code] of [
    [ended, 404, 'NOT_FOUND'],
    [rejected, 403, 'DOCTOR_NOT_VERIFIED'],
  ] as const) {
    for (const list of ['allergies', 'medications', 'problems', 'notes']) {
      expectProblem(await app.request('GET', `${base}/${list}`, { token: who.token }), status, code);
    }
    expectProblem(await app.request('POST', `${base}/allergies`, { token: who.token, body: penicillin }), status, code);
    expectProblem(
      await app.request('PATCH', `${base}/allergies/${entry.body.id}`, { token: who.token, body: { status: 'entered-in-error' } }),
      status,
      code,
    );
  }
  // The doctor whose care ended cannot document their old visit any more, nor prescribe on it unwarned.
  expectProblem(await app.request('PUT', `${API}/appointments/${old}/note`, { token: ended.token, body: { plan: 'x' } }), 404, 'NOT_FOUND');
  const rx = await app.request('POST', `${API}/prescriptions`, {
    token: ended.token,
    body: {
      appointmentId: old,
      items: [{ medication: 'Amoxicillin', dosage: '500 mg', frequency: '3 times daily', durationDays: 7 }],
    },
  });
  expectProblem(rx, 404, 'NOT_FOUND');
  // Another patient cannot write into this record either (404, as an unknown patient).
  const other = await createPatient(app);
  expectProblem(
    await app.request('POST', `${base}/medications`, { token: other.token, body: { medication: { display: 'Iron' } } }),
    404,
    'NOT_FOUND',
  );
  assert.deepEqual(await app.database.rows(sql`SELECT * FROM clinical_allergies WHERE patient_id = ${c.patient.id} ORDER BY id`), before);
  const [{ n }] = await app.database.rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM prescriptions WHERE appointment_id = ${old}`);
  assert.equal(n, 0);
});

// GET /api/v1/me/export: each role's own data, as JSON or a FHIR collection Bundle, audited.
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
  type Person,
  type TestApp,
} from '../../../test/helpers.ts';
import { assertValidFhir, validated } from '../../../test/fixtures/fhir.ts';
import { chained } from '../../../test/fixtures/audit.ts';

const EXPORT = '/api/v1/me/export';

/** A doctor and a patient in care, with a prescription, two messages and a post; and a stranger's records. */
async function clinic(app: TestApp) {
  const doctor = await createDoctor(app, { body: { firstname: 'Gregory', lastname: 'House' } });
  const patient = await createPatient(app, { body: { medicalHistory: 'Asthma since 2001' } });
  const stranger = await createPatient(app);
  const appointmentId = await appointmentFixture(app, { doctorId: doctor.id, patientId: patient.id, status: 'CONFIRMED' });
  await appointmentFixture(app, { doctorId: doctor.id, patientId: stranger.id, status: 'CONFIRMED' });
  const rx = await app.request('POST', '/api/v1/prescriptions', {
    token: doctor.token,
    body: {
      appointmentId,
      items: [
        { medication: 'Amoxicillin', dosage: '500 mg', frequency: '3 times daily', durationDays: 7, quantity: 21, route: 'oral' },
        { medication: 'Ibuprofen', dosage: '200 mg', frequency: 'as needed', durationDays: 3 },
      ],
      notes: 'Finish the course',
    },
  });
  assert.equal(rx.status, 201, rx.text);
  for (const [from, to, body] of [
    [patient, doctor, 'Hello doctor'],
    [doctor, patient, 'Hello patient'],
  ] as const) {
    const m = await app.request('POST', `/api/v1/conversations/${to.id}/messages`, { token: from.token, body: { body } });
    assert.equal(m.status, 201, m.text);
  }
  await app.request('POST', `/api/v1/conversations/${doctor.id}/messages`, { token: stranger.token, body: { body: 'STRANGER-SECRET' } });
  const post = await app.request('POST', '/api/v1/posts', { token: doctor.token, body: { title: 'Heart health', body: 'Walk daily.' } });
  assert.equal(post.status, 201, post.text);
  await app.request('GET', `/api/v1/patients/${patient.id}`, { token: doctor.token });
  return { doctor, patient, stranger, appointmentId, prescriptionId: rx.body.id as string, postId: post.body.id as string };
}

async function exportOf(app: TestApp, who: Person, query = '') {
  // The trail keeps the id the server made for the request, which the response header carries.
  const res = await app.request('GET', `${EXPORT}${query}`, { token: who.token });
  const rid = res.headers.get('x-request-id')!;
  const events = await app.database.rows<Record<string, any>>(sql`SELECT * FROM audit_events WHERE request_id = ${rid}`);
  return { res, events };
}

test('a patient exports their own profile, appointments, prescriptions, messages and access log as one JSON document, and the export is audited', async (t) => {
  const app = await build(t);
  const c = await clinic(app);
  // Chained after commit: the hashes the export shows are there once the sequencer has run.
  await chained(app);
  const { res, events } = await exportOf(app, c.patient);
  assert.equal(res.status, 200, res.text);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  assert.match(res.headers.get('content-disposition') ?? '', /^attachment; filename="telecare-export-\d{4}-\d{2}-\d{2}\.json"$/);
  const doc = res.body;
  assert.deepEqual(Object.keys(doc), [
    'exportedAt',
    'profile',
    'appointments',
    'prescriptions',
    'messages',
    // The patient's clinical record (src/modules/fhir/clinical.test.ts checks its content).
    'allergies',
    'medications',
    'problems',
    'notes',
    // What the patient gave before their visits (src/modules/fhir/intake.test.ts checks its content).
    'intake',
    'consents',
    'visitLocations',
    'posts',
    'accessLog',
  ]);
  assert.equal(doc.profile.user.id, c.patient.id);
  assert.equal(doc.profile.patient.medicalHistory, 'Asthma since 2001');
  assert.deepEqual(
    doc.appointments.map((a: any) => a.id),
    [c.appointmentId],
  );
  assert.deepEqual(
    doc.prescriptions.map((p: any) => p.id),
    [c.prescriptionId],
  );
  assert.equal(doc.prescriptions[0].items.length, 2);
  assert.deepEqual(doc.messages.map((m: any) => m.body).sort(), ['Hello doctor', 'Hello patient']);
  assert.deepEqual(doc.posts, []);
  const reads = doc.accessLog.filter((e: any) => e.action === 'patient.read' && e.actor?.id === c.doctor.id);
  assert.equal(reads.length, 1, "the doctor's read of the profile is in the access log");
  assert.deepEqual(reads[0].actor, { id: c.doctor.id, firstname: 'Gregory', lastname: 'House', role: 'DOCTOR' });
  assert.match(reads[0].hash, /^[0-9a-f]{64}$/);
  assert.equal(res.text.includes(c.stranger.id), false, 'nothing of another patient');
  assert.equal(res.text.includes('STRANGER-SECRET'), false);
  assert.equal(res.text.includes('127.0.0.1'), false, "no client addresses in a patient's copy");
  assert.equal(events.length, 1);
  assert.equal(events[0].action, 'export.read');
  assert.equal(events[0].actor_id, c.patient.id);
  assert.equal(events[0].patient_id, c.patient.id);
  // The export shows up in the patient's own access log.
  const again = await exportOf(app, c.patient);
  assert.ok(again.res.body.accessLog.some((e: any) => e.id === events[0].id && e.action === 'export.read'));
});

test("a doctor's export holds their appointments, issued prescriptions, messages and posts; an admin's holds their own activity only", async (t) => {
  const app = await build(t);
  const c = await clinic(app);
  const { res, events } = await exportOf(app, c.doctor);
  assert.equal(res.status, 200, res.text);
  assert.equal(res.body.profile.doctor.id, c.doctor.id);
  assert.equal(res.body.appointments.length, 2, "both patients' appointments with this doctor");
  assert.deepEqual(
    res.body.prescriptions.map((p: any) => p.id),
    [c.prescriptionId],
  );
  assert.deepEqual(res.body.messages.map((m: any) => m.body).sort(), ['Hello doctor', 'Hello patient', 'STRANGER-SECRET']);
  assert.deepEqual(
    res.body.posts.map((p: any) => p.id),
    [c.postId],
  );
  assert.ok(res.body.accessLog.length > 0 && res.body.accessLog.every((e: any) => e.actorId === c.doctor.id));
  assert.equal(events[0].action, 'export.read');
  assert.equal(events[0].patient_id, null);

  const admin = await createAdminUser(app);
  const a = await exportOf(app, admin);
  assert.equal(a.res.status, 200);
  assert.equal(a.res.body.profile.user.role, 'ADMIN');
  for (const k of ['appointments', 'prescriptions', 'messages', 'posts']) assert.deepEqual(a.res.body[k], [], k);
  assert.ok(a.res.body.accessLog.every((e: any) => e.actorId === admin.id));
  assert.equal(a.res.text.includes(c.patient.id), false);
});

test('?format=fhir answers a FHIR R4 collection Bundle whose every resource validates against the official schema', async (t) => {
  const app = await build(t);
  const c = await clinic(app);
  for (const who of [c.patient, c.doctor]) {
    const { res, events } = await exportOf(app, who, '?format=fhir');
    assert.equal(res.status, 200, res.text);
    assert.match(res.headers.get('content-type') ?? '', /^application\/fhir\+json/);
    const bundle = res.body;
    assert.equal(bundle.resourceType, 'Bundle');
    assert.equal(bundle.type, 'collection');
    assertValidFhir(bundle);
    const types = bundle.entry.map((e: any) => e.resource.resourceType);
    assert.equal(types[0], who === c.patient ? 'Patient' : 'Practitioner');
    assert.equal(types.filter((x: string) => x === 'MedicationRequest').length, 2, 'one per prescription item');
    assert.ok(types.includes('Appointment') && types.includes('Communication') && types.includes('AuditEvent'));
    for (const e of bundle.entry) assert.match(e.fullUrl, new RegExp(`/fhir/R4/${e.resource.resourceType}/${e.resource.id}$`));
    assert.equal(events.length, 1);
    assert.equal(events[0].action, 'export.read');
  }
  const patientBundle = (await exportOf(app, c.patient, '?format=fhir')).res.body;
  const me = patientBundle.entry[0].resource;
  assert.deepEqual(me.name, [{ use: 'official', family: 'Ient', given: ['Pat'] }]);
  assert.equal(me.birthDate, '1985-06-15');
  assert.equal(JSON.stringify(patientBundle).includes('STRANGER-SECRET'), false);
  console.log(`FHIR resources validated in this file: ${JSON.stringify(validated)}`);
});

test('the export needs a token and a known format', async (t) => {
  const app = await build(t);
  const patient = await createPatient(app);
  expectProblem(await app.request('GET', EXPORT), 401, 'UNAUTHENTICATED');
  expectProblem(await app.request('GET', EXPORT, { token: 'nope' }), 401, 'UNAUTHENTICATED');
  for (const q of ['?format=xml', '?format=', '?other=1']) {
    const { res, events } = await exportOf(app, patient, q);
    expectProblem(res, 400, 'VALIDATION_FAILED');
    assert.equal(events.length, 0, 'a refused request writes nothing');
  }
});

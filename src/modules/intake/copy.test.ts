// Copying intake answers into the clinical record (issue 27): explicit, one request per entry, linked back to its
// answer (response id + linkId), coded only from the shipped terminology, audited, refused a second time; and the
// patient's stated location in the visit note (shown on the draft, kept with the signed note, in its FHIR Encounter).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'drizzle-orm';
import {
  appointmentFixture,
  build,
  createDoctor,
  createPatient,
  setDoctorVerification,
  type Person,
  type TestApp,
} from '../../../test/helpers.ts';
import { assertValidFhir } from '../../../test/fixtures/fhir.ts';
import { assertMedplumValid } from '../../../test/fixtures/medplum.ts';

const API = '/api/v1';
const ITEMS = [
  { linkId: 'allergies', text: 'Which medicines are you allergic to?', type: 'string' },
  { linkId: 'meds', text: 'Which medicines do you take?', type: 'string' },
  { linkId: 'conditions', text: 'Known conditions?', type: 'string' },
  { linkId: 'story', text: 'Tell us more', type: 'text' },
  { linkId: 'smoker', text: 'Do you smoke?', type: 'boolean' },
  { linkId: 'unanswered', text: 'Anything else?', type: 'string' },
];
const ANSWERS = [
  { linkId: 'allergies', value: 'Penicillin' },
  { linkId: 'meds', value: 'Lisinopril 10 mg daily' },
  { linkId: 'conditions', value: 'High blood pressure' },
  { linkId: 'story', value: 'It started last year.\nThen it got worse.' },
  { linkId: 'smoker', value: false },
];

let app: TestApp;
let doctor: Person, patient: Person;
let appointmentId: string;

/** A doctor with a default questionnaire, and an appointment of the patient with them whose intake is answered (and submitted). */
async function answered(d: Person, p: Person, submit = true): Promise<string> {
  const q = await app.request('POST', `${API}/doctors/me/questionnaires`, { token: d.token, body: { title: 'Intake', items: ITEMS } });
  assert.equal(q.status, 201, q.text);
  const named = await app.request('PATCH', `${API}/doctors/me`, { token: d.token, body: { intakeQuestionnaireId: q.body.id } });
  assert.equal(named.status, 200, named.text);
  const id = await appointmentFixture(app, { doctorId: d.id, patientId: p.id, status: 'CONFIRMED' });
  const put = await app.request('PUT', `${API}/appointments/${id}/intake`, { token: p.token, body: { answers: ANSWERS } });
  assert.equal(put.status, 200, put.text);
  if (submit) assert.equal((await app.request('POST', `${API}/appointments/${id}/intake/submit`, { token: p.token })).status, 200);
  return id;
}

const copy = (id: string, linkId: string, body: object, who: Person | null = doctor) =>
  app.request('POST', `${API}/appointments/${id}/intake/answers/${linkId}/copy`, { token: who?.token, body });

const ALLERGY = { into: 'allergy', category: 'medication', criticality: 'high' };

before(async () => {
  app = await build();
  doctor = await createDoctor(app);
  patient = await createPatient(app);
  appointmentId = await answered(doctor, patient);
});
after(async () => {
  await app?.close();
});

test('the doctor copies an allergy answer with the substance picked from the terminology: a coded entry linked to its answer, audited', async () => {
  const found = await app.request('GET', `${API}/terminology/substances?q=penicillin`, { token: doctor.token });
  assert.equal(found.status, 200, found.text);
  const substance = found.body.find((s: { display: string }) => /^penicillin/i.test(s.display));
  assert.ok(substance, found.text);
  const res = await copy(appointmentId, 'allergies', {
    ...ALLERGY,
    substance: { system: substance.system, code: substance.code, display: 'whatever the doctor typed' },
  });
  assert.equal(res.status, 201, res.text);
  const entry = res.body.entry;
  // The code is the terminology's, and so is its display.
  assert.deepEqual(entry.substance, { system: substance.system, code: substance.code, display: substance.display });
  assert.deepEqual(entry.source, { responseId: appointmentId, linkId: 'allergies' });
  assert.equal(entry.verification, 'confirmed');
  assert.equal(entry.recordedBy, doctor.id);
  assert.deepEqual(res.body.copy, {
    linkId: 'allergies',
    into: 'allergy',
    entryId: entry.id,
    copiedBy: doctor.id,
    copiedAt: entry.recordedAt,
  });
  // It is an ordinary entry of the record, which the patient sees with its source.
  const mine = await app.request('GET', `${API}/patients/${patient.id}/allergies`, { token: patient.token });
  assert.deepEqual(
    mine.body.items.map((a: { id: string; source: unknown }) => [a.id, a.source]),
    [[entry.id, { responseId: appointmentId, linkId: 'allergies' }]],
  );
  const actions = await app.database.rows<{ action: string; patient_id: string; actor_id: string }>(
    sql`SELECT action, patient_id, actor_id FROM audit_events WHERE request_id = ${res.headers.get('x-request-id')} ORDER BY seq`,
  );
  assert.deepEqual(
    actions.map((a) => [a.action, a.patient_id, a.actor_id]),
    [
      ['allergy.create', patient.id, doctor.id],
      ['intake.copy', patient.id, doctor.id],
    ],
  );
  // The intake shows which answers are in the record.
  const intake = await app.request('GET', `${API}/appointments/${appointmentId}/intake`, { token: doctor.token });
  assert.deepEqual(intake.body.copies, [res.body.copy]);
  // FHIR: the allergy says where it came from, and stays valid.
  const fhir = await app.request('GET', `/fhir/R4/AllergyIntolerance/${entry.id}`, { token: doctor.token });
  assert.equal(fhir.status, 200, fhir.text);
  assertValidFhir(fhir.body);
  assertMedplumValid(fhir.body);
  assert.match(fhir.body.note[0].text, new RegExp(`allergies \\(QuestionnaireResponse/${appointmentId}\\)`));
});

test('a medication and a problem copied without a code take the answer as free text; FHIR links them to the QuestionnaireResponse', async () => {
  const med = await copy(appointmentId, 'meds', { into: 'medication', dosage: '10 mg daily' });
  assert.equal(med.status, 201, med.text);
  assert.deepEqual(med.body.entry.medication, { display: 'Lisinopril 10 mg daily' });
  assert.deepEqual(med.body.entry.source, { responseId: appointmentId, linkId: 'meds' });
  const problem = await copy(appointmentId, 'conditions', { into: 'problem', onset: '2025-06-01' });
  assert.equal(problem.status, 201, problem.text);
  assert.deepEqual(problem.body.entry.condition, { display: 'High blood pressure' });
  // A boolean or multi-line answer has no name to take: the doctor names the entry (a display alone is free text).
  const story = await copy(appointmentId, 'story', { into: 'problem' });
  assert.equal(story.status, 400, story.text);
  assert.equal(story.body.errors[0].path, '/condition');
  const named = await copy(appointmentId, 'story', {
    into: 'problem',
    condition: { display: 'Worsening symptoms' },
    note: 'From the intake',
  });
  assert.equal(named.status, 201, named.text);
  for (const [type, id, link] of [
    ['MedicationStatement', med.body.entry.id, (r: any) => r.derivedFrom[0].reference],
    ['Condition', problem.body.entry.id, (r: any) => r.evidence[0].detail[0].reference],
  ] as const) {
    const res = await app.request('GET', `/fhir/R4/${type}/${id}`, { token: patient.token });
    assert.equal(res.status, 200, res.text);
    assertValidFhir(res.body);
    assertMedplumValid(res.body);
    assert.equal(link(res.body), `QuestionnaireResponse/${appointmentId}`);
  }
  const intake = await app.request('GET', `${API}/appointments/${appointmentId}/intake`, { token: patient.token });
  assert.deepEqual(intake.body.copies.map((c: { linkId: string; into: string }) => `${c.linkId}→${c.into}`).sort(), [
    'allergies→allergy',
    'conditions→problem',
    'meds→medication',
    'story→problem',
  ]);
});

test('the same answer copied into the same list again is refused (409) and names the first entry; nothing is added', async () => {
  const count = async () =>
    (await app.database.rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM clinical_medications WHERE patient_id = ${patient.id}`))[0]
      .n;
  const before = await count();
  const again = await copy(appointmentId, 'meds', { into: 'medication' });
  assert.equal(again.status, 409, again.text);
  assert.equal(again.body.code, 'INVALID_TRANSITION');
  const first = await app.request('GET', `${API}/patients/${patient.id}/medications`, { token: doctor.token });
  assert.equal(again.body.entryId, first.body.items.find((m: { source: { linkId: string } | null }) => m.source?.linkId === 'meds').id);
  assert.equal(await count(), before);
  // Two copies of one answer at once: the response's row lock orders them, the second is refused.
  const both = await Promise.all([
    copy(appointmentId, 'smoker', { into: 'problem', condition: { display: 'Tobacco use' } }),
    copy(appointmentId, 'smoker', { into: 'problem', condition: { display: 'Tobacco use' } }),
  ]);
  assert.deepEqual(both.map((r) => r.status).sort(), [201, 409], both.map((r) => r.text).join('\n'));
  // Into another list, the same answer is a new entry (e.g. a medicine the patient is also allergic to).
  const other = await copy(appointmentId, 'meds', { ...ALLERGY, substance: { display: 'Lisinopril' } });
  assert.equal(other.status, 201, other.text);
});

test('codes come only from the shipped terminology; unknown or unanswered items 404; a body that fits no list 400', async () => {
  const invented = await copy(appointmentId, 'allergies', {
    into: 'medication',
    medication: { system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '999999999', display: 'Penicillin' },
  });
  assert.equal(invented.status, 400, invented.text);
  const conditionCode = await copy(appointmentId, 'conditions', {
    into: 'medication',
    medication: { system: 'http://snomed.info/sct', code: '38341003', display: 'Hypertension' },
  });
  assert.equal(conditionCode.status, 400, conditionCode.text);
  assert.equal((await copy(appointmentId, 'nosuchitem', ALLERGY)).status, 404);
  assert.equal((await copy(appointmentId, 'unanswered', ALLERGY)).status, 404);
  assert.equal((await copy(appointmentId, 'allergies', { into: 'diagnosis' })).status, 400);
  assert.equal((await copy(appointmentId, 'allergies', { ...ALLERGY, extra: true })).status, 400);
  assert.equal((await copy(appointmentId, 'bad linkId!', ALLERGY)).status, 400);
});

test('only the appointment’s doctor, verified, with the patient in care, copies a submitted intake', async () => {
  const stranger = await createDoctor(app);
  const other = await createPatient(app);
  const otherDoctor = await createDoctor(app);
  await appointmentFixture(app, { doctorId: stranger.id, patientId: patient.id, status: 'CONFIRMED' });
  const before = (await app.database.rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM clinical_problems`))[0].n;
  // Another doctor, even one who also treats the patient: 404 as for an unknown appointment.
  const wrong = await copy(appointmentId, 'conditions', { into: 'problem' }, stranger);
  assert.equal(wrong.status, 404, wrong.text);
  // The patient sees the intake but may not write the record this way.
  const byPatient = await copy(appointmentId, 'conditions', { into: 'problem' }, patient);
  assert.equal(byPatient.status, 403, byPatient.text);
  assert.equal((await copy(appointmentId, 'conditions', { into: 'problem' }, null)).status, 401);
  // An intake the patient has not submitted: nothing to copy yet.
  const draft = await answered(otherDoctor, other, false);
  const unsubmitted = await copy(draft, 'conditions', { into: 'problem' }, otherDoctor);
  assert.equal(unsubmitted.status, 409, unsubmitted.text);
  assert.equal(unsubmitted.body.code, 'INVALID_TRANSITION');
  // The care relationship ended (a COMPLETED visit more than 365 days ago): 404.
  const ended = await createDoctor(app);
  const old = await answered(ended, other);
  await app.database.rows(
    sql`UPDATE appointments SET status = 'COMPLETED', starts_at = now() - interval '400 days', ends_at = now() - interval '400 days' + interval '30 minutes' WHERE patient_id = ${other.id} AND doctor_id = ${ended.id}`,
  );
  const outOfCare = await copy(old, 'conditions', { into: 'problem' }, ended);
  assert.equal(outOfCare.status, 404, outOfCare.text);
  // Credentials withdrawn by an admin: 403 DOCTOR_NOT_VERIFIED.
  const withdrawn = await createDoctor(app);
  const theirs = await answered(withdrawn, other);
  await setDoctorVerification(app, withdrawn.id, 'REJECTED');
  const refused = await copy(theirs, 'conditions', { into: 'problem' }, withdrawn);
  assert.equal(refused.status, 403, refused.text);
  assert.equal(refused.body.code, 'DOCTOR_NOT_VERIFIED');
  const after = (await app.database.rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM clinical_problems`))[0].n;
  assert.equal(after, before, 'no refused copy made an entry');
});

test('the visit note shows where the patient said they were, keeps it when signed, and its FHIR Encounter carries it', async () => {
  const p = await createPatient(app);
  const id = await appointmentFixture(app, { doctorId: doctor.id, patientId: p.id, status: 'CONFIRMED' });
  const state = (body: object) => app.request('POST', `${API}/appointments/${id}/visit/location`, { token: p.token, body });
  assert.equal((await state({ country: 'US', region: 'US-AL', city: 'Mobile' })).status, 201);
  const draft = await app.request('PUT', `${API}/appointments/${id}/note`, { token: doctor.token, body: { subjective: 'Cough' } });
  assert.equal(draft.status, 201, draft.text);
  assert.deepEqual(
    { ...draft.body.patientLocation, statedAt: undefined },
    { country: 'US', region: 'US-AL', city: 'Mobile', statedAt: undefined },
  );
  // A later statement before signing is what the draft shows, and what the signature keeps.
  assert.equal((await state({ country: 'US', region: 'US-GA' })).status, 201);
  const read = await app.request('GET', `${API}/appointments/${id}/note`, { token: doctor.token });
  assert.equal(read.body.patientLocation.region, 'US-GA');
  const signed = await app.request('POST', `${API}/appointments/${id}/note/sign`, { token: doctor.token });
  assert.equal(signed.status, 200, signed.text);
  assert.deepEqual(
    { ...signed.body.patientLocation, statedAt: undefined },
    { country: 'US', region: 'US-GA', city: null, statedAt: undefined },
  );
  // Stated again after signing: the signed note keeps the one it was signed with.
  assert.equal((await state({ country: 'US', region: 'US-FL' })).status, 201);
  const theirs = await app.request('GET', `${API}/appointments/${id}/note`, { token: p.token });
  assert.equal(theirs.body.patientLocation.region, 'US-GA');
  const encounter = await app.request('GET', `/fhir/R4/Encounter/${id}`, { token: p.token });
  assert.equal(encounter.status, 200, encounter.text);
  assertValidFhir(encounter.body);
  assertMedplumValid(encounter.body);
  assert.equal(encounter.body.location[0].location.reference, '#patient-location');
  assert.deepEqual(encounter.body.contained[0].address, { state: 'US-GA', country: 'US' });
  // A note without any statement says so (null), and its Encounter has no location.
  const none = await appointmentFixture(app, { doctorId: doctor.id, patientId: p.id, status: 'CONFIRMED' });
  const empty = await app.request('PUT', `${API}/appointments/${none}/note`, { token: doctor.token, body: { plan: 'Rest' } });
  assert.equal(empty.body.patientLocation, null);
});

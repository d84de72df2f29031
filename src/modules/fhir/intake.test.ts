// Intake answers and telehealth consent in FHIR R4: QuestionnaireResponse (with its Questionnaire version contained)
// and Consent, by id and by patient, under the same access rule and audit as the REST API; valid against the
// official R4 schema and Medplum's validator.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'drizzle-orm';
import {
  appointmentFixture,
  build,
  createAdminUser,
  createDoctor,
  createPatient,
  setDoctorVerification,
  type Person,
  type TestApp,
} from '../../../test/helpers.ts';
import { assertValidFhir } from '../../../test/fixtures/fhir.ts';
import { assertMedplumValid } from '../../../test/fixtures/medplum.ts';

const API = '/api/v1';
const R4 = '/fhir/R4';
const ITEMS = [
  { linkId: 'reason', text: 'What brings you here?', type: 'string', required: true },
  { linkId: 'smoker', text: 'Do you smoke?', type: 'boolean', required: true },
  { linkId: 'pain', text: 'Where is the pain?', type: 'choice', options: ['Head', 'Back', 'None'] },
  { linkId: 'since', text: 'Since when?', type: 'date' },
  { linkId: 'weight', text: 'Weight in kg', type: 'integer' },
];

let app: TestApp;
let doctor: Person, stranger: Person, patient: Person, other: Person, admin: Person;
let appointmentId: string, acceptanceId: string;
before(async () => {
  app = await build();
  [doctor, stranger, patient, other] = [
    await createDoctor(app),
    await createDoctor(app),
    await createPatient(app),
    await createPatient(app),
  ];
  admin = await createAdminUser(app);
  const q = await app.request('POST', `${API}/doctors/me/questionnaires`, { token: doctor.token, body: { title: 'Intake', items: ITEMS } });
  assert.equal(q.status, 201, q.text);
  assert.equal(
    (await app.request('PATCH', `${API}/doctors/me`, { token: doctor.token, body: { intakeQuestionnaireId: q.body.id } })).status,
    200,
  );
  appointmentId = await appointmentFixture(app, { doctorId: doctor.id, patientId: patient.id, status: 'CONFIRMED' });
  const answers = [
    { linkId: 'reason', value: 'Headache' },
    { linkId: 'smoker', value: false },
    { linkId: 'pain', value: 'Head' },
    { linkId: 'since', value: '2026-11-30' },
    { linkId: 'weight', value: 71 },
  ];
  const put = await app.request('PUT', `${API}/appointments/${appointmentId}/intake`, { token: patient.token, body: { answers } });
  assert.equal(put.status, 200, put.text);
  assert.equal((await app.request('POST', `${API}/appointments/${appointmentId}/intake/submit`, { token: patient.token })).status, 200);
  assert.equal(
    (await app.request('POST', `${API}/admin/consents/telehealth`, { token: admin.token, body: { text: 'Telehealth consent v1' } })).status,
    201,
  );
  const accepted = await app.request('POST', `${API}/me/consents`, { token: patient.token, body: { type: 'telehealth', version: 1 } });
  assert.equal(accepted.status, 201, accepted.text);
  acceptanceId = accepted.body.id;
});
after(async () => {
  await app?.close();
});

const get = (path: string, who?: Person) => app.request('GET', `${R4}${path}`, { token: who?.token });

test('a QuestionnaireResponse is read by its appointment id, typed answers and the answered Questionnaire version contained', async () => {
  for (const who of [patient, doctor]) {
    const res = await get(`/QuestionnaireResponse/${appointmentId}`, who);
    assert.equal(res.status, 200, res.text);
    assert.match(res.headers.get('content-type') ?? '', /application\/fhir\+json/);
    const r = res.body;
    assertValidFhir(r);
    assertMedplumValid(r);
    assert.equal(r.id, appointmentId);
    assert.equal(r.status, 'completed');
    assert.equal(r.subject.reference, `Patient/${patient.id}`);
    assert.equal(r.questionnaire, `#${r.contained[0].id}`);
    assert.equal(r.contained[0].resourceType, 'Questionnaire');
    assert.deepEqual(
      r.contained[0].item.map((i: { linkId: string }) => i.linkId),
      ITEMS.map((i) => i.linkId),
    );
    assert.deepEqual(Object.fromEntries(r.item.map((i: { linkId: string; answer: object[] }) => [i.linkId, i.answer[0]])), {
      reason: { valueString: 'Headache' },
      smoker: { valueBoolean: false },
      pain: { valueString: 'Head' },
      since: { valueDate: '2026-11-30' },
      weight: { valueInteger: 71 },
    });
  }
  const audits = await app.database.rows<{ actor_id: string }>(
    sql`SELECT actor_id FROM audit_events WHERE action = 'intake.read' AND resource_id = ${appointmentId} AND patient_id = ${patient.id}`,
  );
  assert.deepEqual(new Set(audits.map((a) => a.actor_id)), new Set([patient.id, doctor.id]));
});

test('strangers, other patients and admins get 404 as for an unknown id; no token 401; an unverified doctor 403', async () => {
  for (const who of [stranger, other, admin]) {
    const res = await get(`/QuestionnaireResponse/${appointmentId}`, who);
    assert.equal(res.status, 404, `${who.username}: ${res.text}`);
    assert.equal(res.body.resourceType, 'OperationOutcome');
    assert.equal((await get(`/Consent/${acceptanceId}`, who)).status, 404);
  }
  assert.equal((await get('/QuestionnaireResponse/00000000-0000-4000-8000-000000000000', patient)).status, 404);
  assert.equal((await get('/QuestionnaireResponse/not-a-uuid', patient)).status, 404);
  assert.equal((await get(`/QuestionnaireResponse/${appointmentId}`)).status, 401);
  assert.equal((await get(`/Consent/${acceptanceId}`)).status, 401);
  const withdrawn = await createDoctor(app);
  await appointmentFixture(app, { doctorId: withdrawn.id, patientId: patient.id, status: 'CONFIRMED' });
  await setDoctorVerification(app, withdrawn.id, 'REJECTED');
  for (const path of [`/Consent/${acceptanceId}`, `/Consent?patient=${patient.id}`, `/QuestionnaireResponse?patient=${patient.id}`]) {
    const res = await get(path, withdrawn);
    assert.equal(res.status, 403, `${path}: ${res.text}`);
  }
});

test('search by patient: the patient by default, a doctor names the patient; others find nothing; date and no patient are 400', async () => {
  const mine = await get('/QuestionnaireResponse', patient);
  assert.equal(mine.status, 200, mine.text);
  assert.equal(mine.body.resourceType, 'Bundle');
  assert.deepEqual(
    mine.body.entry.map((e: { resource: { id: string } }) => e.resource.id),
    [appointmentId],
  );
  assertValidFhir(mine.body);
  const theirs = await get(`/QuestionnaireResponse?patient=Patient/${patient.id}`, doctor);
  assert.equal(theirs.body.entry.length, 1);
  for (const who of [stranger, other]) {
    const res = await get(`/QuestionnaireResponse?patient=${patient.id}`, who);
    assert.equal(res.status, 200);
    assert.equal(res.body.entry.length, 0);
    assert.equal((await get(`/Consent?patient=${patient.id}`, who)).body.entry.length, 0);
  }
  const consents = await get('/Consent', patient);
  assert.equal(consents.status, 200);
  assert.deepEqual(
    consents.body.entry.map((e: { resource: { id: string } }) => e.resource.id),
    [acceptanceId],
  );
  assert.equal((await get(`/Consent?patient=${patient.id}`, doctor)).body.entry.length, 1);
  assert.equal((await get('/Consent', doctor)).status, 400);
  assert.equal((await get('/QuestionnaireResponse?date=ge2026-01-01', patient)).status, 400);
  assert.equal((await get('/Consent?_cursor=garbage!', patient)).status, 400);
});

test('a Consent is the acceptance: version, time and request id, valid R4', async () => {
  const res = await get(`/Consent/${acceptanceId}`, doctor);
  assert.equal(res.status, 200, res.text);
  assertValidFhir(res.body);
  assertMedplumValid(res.body);
  assert.equal(res.body.patient.reference, `Patient/${patient.id}`);
  assert.match(res.body.policy[0].uri, /\/api\/v1\/consents\/telehealth#version-1$/);
  assert.equal(res.body.provision.type, 'permit');
  const cap = await get('/metadata');
  const types = cap.body.rest[0].resource.map((r: { type: string }) => r.type);
  assert.ok(types.includes('QuestionnaireResponse') && types.includes('Consent'));
});

test('$everything holds the QuestionnaireResponses (with the Questionnaire version answered), Consents and location statements', async () => {
  const located = await app.request('POST', `${API}/appointments/${appointmentId}/visit/location`, {
    token: patient.token,
    body: { country: 'DE', region: 'DE-BE', city: 'Berlin' },
  });
  assert.equal(located.status, 201, located.text);
  const all = async (who: Person, count?: number) => {
    const out: any[] = [];
    let url: string | undefined = `${R4}/Patient/${patient.id}/$everything${count ? `?_count=${count}` : ''}`;
    while (url) {
      const res = await app.request('GET', url.replace(/^https?:\/\/[^/]+/, ''), { token: who.token });
      assert.equal(res.status, 200, res.text);
      assertValidFhir(res.body);
      assertMedplumValid(res.body);
      out.push(...res.body.entry.map((e: { resource: any }) => e.resource));
      url = res.body.link.find((l: { relation: string }) => l.relation === 'next')?.url;
    }
    return out;
  };
  for (const who of [patient, doctor]) {
    const resources = await all(who);
    const of = (type: string) => resources.filter((r) => r.resourceType === type);
    assert.deepEqual(
      of('QuestionnaireResponse').map((r) => r.id),
      [appointmentId],
    );
    assert.equal(of('QuestionnaireResponse')[0].contained[0].resourceType, 'Questionnaire');
    assert.equal(of('QuestionnaireResponse')[0].contained[0].version, '1');
    assert.deepEqual(
      of('Consent').map((r) => r.id),
      [acceptanceId],
    );
    const [basic] = of('Basic');
    assert.equal(basic.subject.reference, `Patient/${patient.id}`);
    const ext = basic.extension[0].extension;
    assert.deepEqual(ext.find((e: { url: string }) => e.url === 'address').valueAddress, { city: 'Berlin', state: 'DE-BE', country: 'DE' });
    assert.equal(ext.find((e: { url: string }) => e.url === 'appointment').valueReference.reference, `Appointment/${appointmentId}`);
    // Paged one record at a time, the sections resume where they stopped: the same resources, none twice.
    const paged = await all(who, 1);
    assert.deepEqual(
      paged.map((r) => `${r.resourceType}/${r.id}`),
      resources.map((r) => `${r.resourceType}/${r.id}`),
    );
  }
  // A doctor without the patient in care gets nothing (404), as for the rest of the record.
  assert.equal((await get(`/Patient/${patient.id}/$everything`, stranger)).status, 404);
});

test('the export carries intake answers, consents and location statements, in JSON and as valid FHIR', async () => {
  const json = await app.request('GET', `${API}/me/export`, { token: patient.token });
  assert.equal(json.status, 200, json.text);
  const doc = json.body;
  assert.equal(doc.intake.length, 1);
  assert.equal(doc.intake[0].appointmentId, appointmentId);
  assert.equal(doc.intake[0].status, 'completed');
  assert.deepEqual(
    doc.intake[0].questionnaire.items.map((i: { linkId: string }) => i.linkId),
    ITEMS.map((i) => i.linkId),
  );
  assert.deepEqual(
    doc.intake[0].answers.find((a: { linkId: string }) => a.linkId === 'weight'),
    { linkId: 'weight', value: 71 },
  );
  assert.deepEqual(
    doc.consents.map((c: { id: string; version: number }) => [c.id, c.version]),
    [[acceptanceId, 1]],
  );
  assert.ok(doc.consents[0].requestId);
  assert.deepEqual(
    doc.visitLocations.map((l: { appointmentId: string; region: string }) => [l.appointmentId, l.region]),
    [[appointmentId, 'DE-BE']],
  );
  const fhir = await app.request('GET', `${API}/me/export?format=fhir`, { token: patient.token });
  assert.equal(fhir.status, 200, fhir.text);
  assertValidFhir(fhir.body);
  assertMedplumValid(fhir.body);
  const types = fhir.body.entry.map((e: { resource: { resourceType: string } }) => e.resource.resourceType);
  for (const type of ['QuestionnaireResponse', 'Consent', 'Basic']) assert.equal(types.filter((t: string) => t === type).length, 1, type);
  // A doctor's own export holds no patient's intake (their patients' records are read where they are).
  const theirs = await app.request('GET', `${API}/me/export`, { token: doctor.token });
  assert.equal(theirs.status, 200, theirs.text);
  assert.equal('intake' in theirs.body, false);
});

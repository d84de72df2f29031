// Intake questionnaires (versioned, DB-immutable) and the patient's answers per appointment (issue 27).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import {
  appointmentFixture,
  build,
  createAdminUser,
  createDoctor,
  createPatient,
  expectProblem,
  setDoctorVerification,
  type Person,
  type TestApp,
} from '../../../test/helpers.ts';

const API = '/api/v1';
const refusedByTrigger = (e: any) => /never changed|cannot be changed/.test(String(e?.cause?.message ?? e?.message));

export const ITEMS = [
  { linkId: 'reason', text: 'What brings you here?', type: 'string', required: true },
  { linkId: 'history', text: 'Anything else we should know?', type: 'text' },
  { linkId: 'smoker', text: 'Do you smoke?', type: 'boolean', required: true },
  { linkId: 'pain', text: 'Where is the pain?', type: 'choice', options: ['Head', 'Back', 'None'], required: true },
  { linkId: 'since', text: 'Since when?', type: 'date' },
  { linkId: 'weight', text: 'Weight in kg', type: 'integer' },
];

async function questionnaire(app: TestApp, doctor: Person, items: unknown[] = ITEMS, title = 'New patient intake') {
  const res = await app.request('POST', `${API}/doctors/me/questionnaires`, { token: doctor.token, body: { title, items } });
  assert.equal(res.status, 201, res.text);
  return res.body;
}
async function makeDefault(app: TestApp, doctor: Person, id: string | null) {
  const res = await app.request('PATCH', `${API}/doctors/me`, { token: doctor.token, body: { intakeQuestionnaireId: id } });
  assert.equal(res.status, 200, res.text);
  return res.body;
}
const intakePath = (id: string) => `${API}/appointments/${id}/intake`;
const put = (app: TestApp, who: Person, id: string, answers: unknown[]) =>
  app.request('PUT', intakePath(id), { token: who.token, body: { answers } });
const submit = (app: TestApp, who: Person, id: string) => app.request('POST', `${intakePath(id)}/submit`, { token: who.token });

async function pair(app: TestApp) {
  const [doctor, patient] = [await createDoctor(app), await createPatient(app)];
  const q = await questionnaire(app, doctor);
  await makeDefault(app, doctor, q.id);
  const id = await appointmentFixture(app, { doctorId: doctor.id, patientId: patient.id, status: 'CONFIRMED' });
  return { doctor, patient, q, id };
}

test('questionnaires: a doctor creates, lists and revises them; every revision is a new version and old ones never change', async (t) => {
  const app = await build(t);
  const [doctor, other, patient] = [await createDoctor(app), await createDoctor(app), await createPatient(app)];
  const q = await questionnaire(app, doctor);
  assert.equal(q.version, 1);
  assert.equal(q.items.length, ITEMS.length);
  assert.equal(q.items[1].required, false); // defaulted
  assert.deepEqual(q.items[3].options, ['Head', 'Back', 'None']);
  const revised = await app.request('PUT', `${API}/doctors/me/questionnaires/${q.id}`, {
    token: doctor.token,
    body: { title: 'Intake v2', items: ITEMS.slice(0, 2) },
  });
  assert.equal(revised.status, 200, revised.text);
  assert.deepEqual([revised.body.id, revised.body.version, revised.body.title, revised.body.items.length], [q.id, 2, 'Intake v2', 2]);
  const list = await app.request('GET', `${API}/doctors/me/questionnaires`, { token: doctor.token });
  assert.equal(list.status, 200);
  assert.deepEqual(
    list.body.map((x: any) => [x.id, x.version]),
    [[q.id, 2]],
  );
  assert.deepEqual((await app.request('GET', `${API}/doctors/me/questionnaires`, { token: other.token })).body, []);
  // Another doctor's or an unknown questionnaire is not found; patients and anonymous callers are refused.
  expectProblem(
    await app.request('PUT', `${API}/doctors/me/questionnaires/${q.id}`, { token: other.token, body: { title: 'x', items: [] } }),
    404,
    'NOT_FOUND',
  );
  expectProblem(
    await app.request('PUT', `${API}/doctors/me/questionnaires/${randomUUID()}`, { token: doctor.token, body: { title: 'x', items: [] } }),
    404,
    'NOT_FOUND',
  );
  expectProblem(await app.request('GET', `${API}/doctors/me/questionnaires`, { token: patient.token }), 403, 'FORBIDDEN');
  expectProblem(await app.request('GET', `${API}/doctors/me/questionnaires`), 401, 'UNAUTHENTICATED');
  // The database refuses to change or delete a version, whoever asks.
  await assert.rejects(
    app.database.rows(sql`UPDATE intake_questionnaire_versions SET title = 'changed' WHERE questionnaire_id = ${q.id}`),
    refusedByTrigger,
  );
  await assert.rejects(
    app.database.rows(sql`DELETE FROM intake_questionnaire_versions WHERE questionnaire_id = ${q.id}`),
    refusedByTrigger,
  );
  const audited = await app.database.rows(sql`SELECT action FROM audit_events WHERE resource_id = ${q.id} ORDER BY seq`);
  assert.deepEqual(
    audited.map((r: any) => r.action),
    ['questionnaire.create', 'questionnaire.update'],
  );
});

test('questionnaire items are checked: types, options only and always on choice, unique linkIds, at most 100', async (t) => {
  const app = await build(t);
  const doctor = await createDoctor(app);
  const bad: [unknown[], string][] = [
    [
      [
        { linkId: 'a', text: 'A', type: 'string' },
        { linkId: 'a', text: 'B', type: 'text' },
      ],
      '/items/1/linkId',
    ],
    [[{ linkId: 'a', text: 'A', type: 'choice' }], '/items/0/options'],
    [[{ linkId: 'a', text: 'A', type: 'choice', options: ['x', 'x'] }], '/items/0/options'],
    [[{ linkId: 'a', text: 'A', type: 'string', options: ['x'] }], '/items/0/options'],
    [[{ linkId: 'a', text: 'A', type: 'decimal' }], '/items/0/type'],
    [[{ linkId: 'a b', text: 'A', type: 'string' }], '/items/0/linkId'],
    [[{ linkId: 'a', text: 'A', type: 'string', extra: true }], '/items/0'],
    [Array.from({ length: 101 }, (_, i) => ({ linkId: `q${i}`, text: `Q${i}`, type: 'boolean' })), '/items'],
  ];
  for (const [items, path] of bad) {
    const res = await app.request('POST', `${API}/doctors/me/questionnaires`, { token: doctor.token, body: { title: 'T', items } });
    expectProblem(res, 400, 'VALIDATION_FAILED');
    assert.ok(
      res.body.errors.some((e: any) => e.path.startsWith(path)),
      `${path}: ${JSON.stringify(res.body.errors)}`,
    );
  }
  const hundred = Array.from({ length: 100 }, (_, i) => ({ linkId: `q${i}`, text: `Q${i}`, type: 'boolean' }));
  assert.equal((await questionnaire(app, doctor, hundred)).items.length, 100);
});

test('the default questionnaire: one of the doctor own (else 400), shown on the profile, null clears it', async (t) => {
  const app = await build(t);
  const [doctor, other] = [await createDoctor(app), await createDoctor(app)];
  const q = await questionnaire(app, doctor);
  const theirs = await questionnaire(app, other);
  assert.equal((await makeDefault(app, doctor, q.id)).intakeQuestionnaireId, q.id);
  for (const id of [theirs.id, randomUUID()]) {
    const res = await app.request('PATCH', `${API}/doctors/me`, { token: doctor.token, body: { intakeQuestionnaireId: id } });
    expectProblem(res, 400, 'VALIDATION_FAILED');
    assert.equal(res.body.errors[0].path, '/intakeQuestionnaireId');
  }
  expectProblem(
    await app.request('PATCH', `${API}/doctors/me`, { token: doctor.token, body: { intakeQuestionnaireId: 'nope' } }),
    400,
    'VALIDATION_FAILED',
  );
  const me = await app.request('GET', `${API}/doctors/me`, { token: doctor.token });
  assert.equal(me.body.intakeQuestionnaireId, q.id);
  assert.equal((await makeDefault(app, doctor, null)).intakeQuestionnaireId, null);
});

test('the intake: the patient and the doctor read it; the patient saves answers checked per type, then submits once', async (t) => {
  const app = await build(t);
  const { doctor, patient, q, id } = await pair(app);
  const first = await app.request('GET', intakePath(id), { token: patient.token });
  assert.equal(first.status, 200, first.text);
  assert.equal(first.body.questionnaire.id, q.id);
  assert.deepEqual(first.body.response, { status: 'in-progress', answers: [], prefilled: [] });

  // Each type refuses what it is not, naming the item.
  for (const [linkId, value] of [
    ['reason', 'two\nlines'],
    ['reason', 5],
    ['smoker', 'yes'],
    ['pain', 'Knee'],
    ['since', '2024-02-30'],
    ['since', '24-01-01'],
    ['weight', 70.5],
    ['weight', '70'],
    ['unknown', 'x'],
  ] as const) {
    const res = await put(app, patient, id, [{ linkId, value }]);
    expectProblem(res, 400, 'VALIDATION_FAILED');
    // A value of no answer type at all (70.5) is refused by the schema, at its path; the rest name the item.
    if (value === 70.5) assert.equal(res.body.errors[0].path.startsWith('/answers/0/value'), true, res.text);
    else assert.match(res.body.detail, new RegExp(linkId));
  }
  expectProblem(
    await put(app, patient, id, [
      { linkId: 'reason', value: 'a' },
      { linkId: 'reason', value: 'b' },
    ]),
    400,
    'VALIDATION_FAILED',
  );

  const saved = await put(app, patient, id, [
    { linkId: 'reason', value: 'Headache' },
    { linkId: 'weight', value: 70 },
    { linkId: 'history', value: 'Line one\nLine two' },
    { linkId: 'since', value: '' }, // empty: unanswered
  ]);
  assert.equal(saved.status, 200, saved.text);
  assert.deepEqual(saved.body.response.answers, [
    { linkId: 'reason', value: 'Headache' },
    { linkId: 'history', value: 'Line one\nLine two' },
    { linkId: 'weight', value: 70 },
  ]);
  // Submitting names every required item without an answer.
  const missing = await submit(app, patient, id);
  expectProblem(missing, 400, 'VALIDATION_FAILED');
  assert.match(missing.body.detail, /smoker, pain/);
  assert.deepEqual(
    missing.body.errors.map((e: any) => e.path),
    ['/answers/smoker', '/answers/pain'],
  );

  const full = [
    { linkId: 'reason', value: 'Headache' },
    { linkId: 'smoker', value: false },
    { linkId: 'pain', value: 'Head' },
    { linkId: 'since', value: '2026-11-30' },
    { linkId: 'weight', value: 70 },
  ];
  assert.equal((await put(app, patient, id, full)).status, 200);
  // The doctor reads the saved answers.
  const asDoctor = await app.request('GET', intakePath(id), { token: doctor.token });
  assert.equal(asDoctor.status, 200);
  assert.equal(asDoctor.body.response.answers.length, 5);
  const done = await submit(app, patient, id);
  assert.equal(done.status, 200, done.text);
  assert.equal(done.body.response.status, 'completed');
  assert.ok(done.body.response.submittedAt);
  expectProblem(await submit(app, patient, id), 409, 'INVALID_TRANSITION');
  expectProblem(await put(app, patient, id, full), 409, 'INVALID_TRANSITION');
  await assert.rejects(app.database.rows(sql`UPDATE intake_responses SET answers = '{}' WHERE appointment_id = ${id}`), refusedByTrigger);
  await assert.rejects(app.database.rows(sql`DELETE FROM intake_responses WHERE appointment_id = ${id}`), refusedByTrigger);

  const actions = await app.database.rows<{ action: string; patient_id: string }>(
    sql`SELECT action, patient_id FROM audit_events WHERE resource_id = ${id} AND action LIKE 'intake.%' ORDER BY seq`,
  );
  assert.deepEqual([...new Set(actions.map((r) => r.action))].sort(), ['intake.read', 'intake.submit', 'intake.update']);
  assert.ok(actions.every((r) => r.patient_id === patient.id));
});

test('answers keep their version: a revision after the intake started does not change what the patient answers', async (t) => {
  const app = await build(t);
  const { doctor, patient, q, id } = await pair(app);
  assert.equal((await put(app, patient, id, [{ linkId: 'reason', value: 'Cough' }])).status, 200);
  await app.request('PUT', `${API}/doctors/me/questionnaires/${q.id}`, {
    token: doctor.token,
    body: { title: 'Short', items: [{ linkId: 'only', text: 'Only', type: 'string', required: true }] },
  });
  const started = await app.request('GET', intakePath(id), { token: patient.token });
  assert.equal(started.body.questionnaire.version, 1);
  // A new appointment takes the newest version.
  const next = await appointmentFixture(app, { doctorId: doctor.id, patientId: patient.id, status: 'PENDING' });
  const fresh = await app.request('GET', intakePath(next), { token: patient.token });
  assert.equal(fresh.body.questionnaire.version, 2);
});

test('earlier answers of the patient to the same linkId are filled in for the patient only, and saved with the next PUT', async (t) => {
  const app = await build(t);
  const { doctor, patient, id } = await pair(app);
  assert.equal(
    (
      await put(app, patient, id, [
        { linkId: 'reason', value: 'Back pain' },
        { linkId: 'weight', value: 82 },
        { linkId: 'smoker', value: true },
      ])
    ).status,
    200,
  );
  // Another doctor asks some of the same linkIds, one with another type.
  const other = await createDoctor(app);
  const q2 = await questionnaire(app, other, [
    { linkId: 'weight', text: 'Weight (kg)', type: 'integer' },
    { linkId: 'smoker', text: 'Smoking?', type: 'choice', options: ['daily', 'never'] },
    { linkId: 'new', text: 'New?', type: 'boolean' },
  ]);
  await makeDefault(app, other, q2.id);
  const later = await appointmentFixture(app, { doctorId: other.id, patientId: patient.id, status: 'CONFIRMED' });
  const mine = await app.request('GET', intakePath(later), { token: patient.token });
  assert.deepEqual(mine.body.response.answers, [{ linkId: 'weight', value: 82 }]);
  assert.deepEqual(mine.body.response.prefilled, ['weight']);
  // The other doctor sees nothing the patient has not saved for them.
  const theirs = await app.request('GET', intakePath(later), { token: other.token });
  assert.deepEqual(theirs.body.response.answers, []);
  assert.equal((await put(app, patient, later, mine.body.response.answers)).status, 200);
  assert.deepEqual((await app.request('GET', intakePath(later), { token: other.token })).body.response.answers, [
    { linkId: 'weight', value: 82 },
  ]);
  void doctor;
});

test('who may: its patient and its doctor read; only its patient writes; others 404, admins 403, unverified doctors 403', async (t) => {
  const app = await build(t);
  const { doctor, patient, id } = await pair(app);
  const [stranger, otherDoctor, admin, pending] = [
    await createPatient(app),
    await createDoctor(app),
    await createAdminUser(app),
    await createDoctor(app, { credentials: 'PENDING' }),
  ];
  expectProblem(await app.request('GET', intakePath(id), { token: stranger.token }), 404, 'NOT_FOUND');
  expectProblem(await app.request('GET', intakePath(id), { token: otherDoctor.token }), 404, 'NOT_FOUND');
  expectProblem(await app.request('GET', intakePath(id), { token: admin.token }), 403, 'FORBIDDEN');
  expectProblem(await app.request('GET', intakePath(id), { token: pending.token }), 403, 'DOCTOR_NOT_VERIFIED');
  expectProblem(await app.request('GET', intakePath(id)), 401, 'UNAUTHENTICATED');
  expectProblem(await app.request('GET', intakePath(randomUUID()), { token: patient.token }), 404, 'NOT_FOUND');
  expectProblem(await app.request('GET', `${API}/appointments/nope/intake`, { token: patient.token }), 400, 'VALIDATION_FAILED');
  expectProblem(await put(app, stranger, id, []), 404, 'NOT_FOUND');
  expectProblem(await put(app, doctor, id, []), 403, 'FORBIDDEN');
  expectProblem(await submit(app, doctor, id), 403, 'FORBIDDEN');
  expectProblem(await submit(app, stranger, id), 404, 'NOT_FOUND');
  expectProblem(
    await app.request('PUT', intakePath(id), { token: patient.token, body: { answers: [], more: 1 } }),
    400,
    'VALIDATION_FAILED',
  );
  // A doctor whose credentials are withdrawn reads no more.
  await setDoctorVerification(app, doctor.id, 'REJECTED');
  expectProblem(await app.request('GET', intakePath(id), { token: doctor.token }), 403, 'DOCTOR_NOT_VERIFIED');
});

test('no questionnaire named: 404; a closed appointment takes no answers (409)', async (t) => {
  const app = await build(t);
  const [doctor, patient] = [await createDoctor(app), await createPatient(app)];
  const id = await appointmentFixture(app, { doctorId: doctor.id, patientId: patient.id, status: 'CONFIRMED' });
  expectProblem(await app.request('GET', intakePath(id), { token: patient.token }), 404, 'NOT_FOUND');
  expectProblem(await put(app, patient, id, []), 404, 'NOT_FOUND');
  const q = await questionnaire(app, doctor);
  await makeDefault(app, doctor, q.id);
  const cancelled = await appointmentFixture(app, { doctorId: doctor.id, patientId: patient.id, status: 'CANCELLED' });
  expectProblem(await put(app, patient, cancelled, []), 409, 'INVALID_TRANSITION');
  expectProblem(await submit(app, patient, cancelled), 409, 'INVALID_TRANSITION');
  assert.equal((await app.request('GET', intakePath(cancelled), { token: patient.token })).status, 200);
});

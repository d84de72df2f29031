// Visit notes: draft → sign once → immutable at the database → addenda; the patient reads signed notes;
// completing without a signed note leaves a to-do in the doctor's agenda.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'drizzle-orm';
import { build, createAdminUser, createDoctor, createPatient, expectProblem } from '../../../test/helpers.ts';
import { care } from '../../../test/fixtures/care.ts';

const API = '/api/v1';
const note = (id: string) => `${API}/appointments/${id}/note`;
/** The database's refusal, as the driver wraps it (the trigger's message is the cause's). */
const refused = (word: RegExp) => (err: any) => word.test(`${err?.message} ${err?.cause?.message ?? ''}`);

test('write → sign → the patient reads it → an addendum; a signed note answers 409 NOTE_SIGNED to PUT and sign', async (t) => {
  const app = await build(t);
  const c = await care(app);
  const created = await app.request('PUT', note(c.appointmentId), {
    token: c.doctor.token,
    body: { subjective: 'Sore throat for 3 days', objective: 'Temp 38.2', assessment: 'Pharyngitis', plan: 'Rest\nfluids' },
  });
  assert.equal(created.status, 201, created.text);
  assert.equal(created.body.status, 'DRAFT');
  assert.equal(created.body.signedAt, null);
  const replaced = await app.request('PUT', note(c.appointmentId), {
    token: c.doctor.token,
    body: { subjective: 'Sore throat', plan: 'Rest' },
  });
  assert.equal(replaced.status, 200);
  assert.equal(replaced.body.objective, null);
  // The patient does not see a draft.
  expectProblem(await app.request('GET', note(c.appointmentId), { token: c.patient.token }), 404, 'NOT_FOUND');
  assert.deepEqual((await app.request('GET', `${API}/patients/${c.patient.id}/notes`, { token: c.patient.token })).body.items, []);

  const signed = await app.request('POST', `${note(c.appointmentId)}/sign`, { token: c.doctor.token });
  assert.equal(signed.status, 200, signed.text);
  assert.equal(signed.body.status, 'SIGNED');
  assert.match(signed.body.signedAt, /Z$/);
  expectProblem(await app.request('PUT', note(c.appointmentId), { token: c.doctor.token, body: { plan: 'x' } }), 409, 'NOTE_SIGNED');
  expectProblem(await app.request('POST', `${note(c.appointmentId)}/sign`, { token: c.doctor.token }), 409, 'NOTE_SIGNED');

  const read = await app.request('GET', note(c.appointmentId), { token: c.patient.token });
  assert.equal(read.status, 200);
  assert.equal(read.body.plan, 'Rest');
  const add = await app.request('POST', `${note(c.appointmentId)}/addenda`, {
    token: c.doctor.token,
    body: { text: 'Throat swab negative' },
  });
  assert.equal(add.status, 201, add.text);
  const list = await app.request('GET', `${API}/patients/${c.patient.id}/notes`, { token: c.patient.token });
  assert.equal(list.body.items.length, 1);
  assert.deepEqual(
    list.body.items[0].addenda.map((a: any) => a.text),
    ['Throat swab negative'],
  );
  const events = await app.database.rows<{ action: string }>(
    sql`SELECT action FROM audit_events WHERE patient_id = ${c.patient.id} AND action LIKE 'note.%' ORDER BY seq`,
  );
  assert.deepEqual(
    events.map((e) => e.action),
    ['note.update', 'note.update', 'note.sign', 'note.read', 'note.addendum.create', 'note.list'],
  );
});

test('a signed note is immutable at the database: UPDATE and DELETE are refused even by the server role', async (t) => {
  const app = await build(t);
  const c = await care(app);
  await app.request('PUT', note(c.appointmentId), { token: c.doctor.token, body: { plan: 'Rest' } });
  // A draft may change.
  await app.database.rows(sql`UPDATE visit_notes SET plan = 'Sleep' WHERE appointment_id = ${c.appointmentId}`);
  await app.request('POST', `${note(c.appointmentId)}/sign`, { token: c.doctor.token });
  await assert.rejects(
    app.database.rows(sql`UPDATE visit_notes SET plan = 'Forged' WHERE appointment_id = ${c.appointmentId}`),
    refused(/signed/),
  );
  await assert.rejects(app.database.rows(sql`DELETE FROM visit_notes WHERE appointment_id = ${c.appointmentId}`), refused(/signed/));
  await app.request('POST', `${note(c.appointmentId)}/addenda`, { token: c.doctor.token, body: { text: 'A' } });
  await assert.rejects(app.database.rows(sql`UPDATE visit_note_addenda SET text = 'x'`), refused(/append-only/));
  await assert.rejects(app.database.rows(sql`DELETE FROM visit_note_addenda`), refused(/append-only/));
  const [row] = await app.database.rows<{ plan: string }>(sql`SELECT plan FROM visit_notes WHERE appointment_id = ${c.appointmentId}`);
  assert.equal(row.plan, 'Sleep');
});

test('only its doctor writes the note; others 404, patients and admins 403/404; no note for PENDING or CANCELLED; drafts take no addenda', async (t) => {
  const app = await build(t);
  const c = await care(app);
  const other = await createDoctor(app);
  const admin = await createAdminUser(app);
  expectProblem(await app.request('PUT', note(c.appointmentId), { token: other.token, body: {} }), 404, 'NOT_FOUND');
  expectProblem(await app.request('PUT', note(c.appointmentId), { token: c.patient.token, body: {} }), 403, 'FORBIDDEN');
  expectProblem(await app.request('PUT', note(c.appointmentId), { token: admin.token, body: {} }), 403, 'FORBIDDEN');
  expectProblem(await app.request('POST', `${note(c.appointmentId)}/sign`, { token: c.doctor.token }), 404, 'NOT_FOUND');
  expectProblem(
    await app.request('PUT', note(c.appointmentId), { token: c.doctor.token, body: { plan: 'x', extra: 1 } }),
    400,
    'VALIDATION_FAILED',
  );
  await app.request('PUT', note(c.appointmentId), { token: c.doctor.token, body: { plan: 'x' } });
  expectProblem(
    await app.request('POST', `${note(c.appointmentId)}/addenda`, { token: c.doctor.token, body: { text: 'y' } }),
    409,
    'INVALID_TRANSITION',
  );
  expectProblem(await app.request('GET', note(c.appointmentId), { token: other.token }), 404, 'NOT_FOUND');
  expectProblem(await app.request('GET', note(c.appointmentId), { token: admin.token }), 404, 'NOT_FOUND');
  for (const status of ['PENDING', 'CANCELLED'] as const) {
    const x = await care(app, status, { doctor: c.doctor, patient: c.patient });
    expectProblem(
      await app.request('PUT', note(x.appointmentId), { token: c.doctor.token, body: { plan: 'x' } }),
      409,
      'INVALID_TRANSITION',
    );
  }
  const stranger = await createPatient(app);
  expectProblem(await app.request('GET', `${API}/patients/${c.patient.id}/notes`, { token: stranger.token }), 404, 'NOT_FOUND');
  expectProblem(await app.request('GET', `${API}/patients/${c.patient.id}/notes`, { token: other.token }), 404, 'NOT_FOUND');
});

test('completing without a signed note is allowed and leaves a to-do in the agenda until the note is signed', async (t) => {
  const app = await build(t);
  const c = await care(app, 'COMPLETED');
  const draft = await care(app, 'COMPLETED', { doctor: c.doctor });
  await app.request('PUT', note(draft.appointmentId), { token: c.doctor.token, body: { plan: 'x' } });
  const todos = await app.request('GET', `${API}/doctors/me/note-todos`, { token: c.doctor.token });
  assert.equal(todos.status, 200, todos.text);
  assert.deepEqual(
    todos.body.map((x: any) => [x.appointmentId, x.noteStatus]).sort(),
    [
      [c.appointmentId, 'MISSING'],
      [draft.appointmentId, 'DRAFT'],
    ].sort(),
  );
  await app.request('POST', `${note(draft.appointmentId)}/sign`, { token: c.doctor.token });
  const after = await app.request('GET', `${API}/doctors/me/note-todos`, { token: c.doctor.token });
  assert.deepEqual(
    after.body.map((x: any) => x.appointmentId),
    [c.appointmentId],
  );
  expectProblem(await app.request('GET', `${API}/doctors/me/note-todos`, { token: c.patient.token }), 403, 'FORBIDDEN');
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { build, createAdminUser, createDoctor, createPatient, expectProblem } from '../../../test/helpers.ts';
import { RX, auditEvents, countPrescriptions, issue, item } from '../../../test/fixtures/prescriptions.ts';
import { care } from '../../../test/fixtures/care.ts';

test('a verified doctor issues a prescription on their confirmed appointment (201), audited with the patient', async (t) => {
  const app = await build(t);
  const c = await care(app, 'CONFIRMED');
  const res = await app.request('POST', RX, {
    token: c.doctor.token,
    body: {
      appointmentId: c.appointmentId,
      items: [item(), { medication: 'Ibuprofen', dosage: '400 mg', frequency: 'as needed', durationDays: 3 }],
      notes: 'Come back if fever persists',
    },
  });
  assert.equal(res.status, 201);
  assert.match(res.body.id, /^[0-9a-f-]{36}$/);
  assert.equal(res.body.doctorId, c.doctor.id);
  assert.equal(res.body.patientId, c.patient.id);
  assert.equal(res.body.appointmentId, c.appointmentId);
  assert.equal(res.body.status, 'ACTIVE');
  assert.equal(res.body.notes, 'Come back if fever persists');
  assert.equal(res.body.revokedAt, null);
  assert.equal(res.body.revocationReason, null);
  assert.match(res.body.issuedAt, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  assert.deepEqual(res.body.items[0], item());
  // Optional item fields the doctor left out stay out.
  assert.deepEqual(res.body.items[1], { medication: 'Ibuprofen', dosage: '400 mg', frequency: 'as needed', durationDays: 3 });
  const events = await auditEvents(app, 'prescription.create', res.body.id);
  assert.equal(events.length, 1);
  assert.equal(events[0].patient_id, c.patient.id);
  assert.equal(events[0].actor_id, c.doctor.id);
});

test('a COMPLETED appointment allows prescribing; PENDING, CANCELLED and NO_SHOW answer 409 INVALID_TRANSITION', async (t) => {
  const app = await build(t);
  const doctor = await createDoctor(app);
  const patient = await createPatient(app);
  const done = await care(app, 'COMPLETED', { doctor, patient });
  await issue(app, done);
  for (const status of ['PENDING', 'CANCELLED', 'NO_SHOW'] as const) {
    const c = await care(app, status, { doctor, patient });
    const res = await app.request('POST', RX, { token: doctor.token, body: { appointmentId: c.appointmentId, items: [item()] } });
    expectProblem(res, 409, 'INVALID_TRANSITION');
  }
  assert.equal(await countPrescriptions(app), 1);
});

test("a doctor cannot prescribe on another doctor's appointment or a missing one (404)", async (t) => {
  const app = await build(t);
  const c = await care(app);
  const other = await createDoctor(app);
  expectProblem(
    await app.request('POST', RX, { token: other.token, body: { appointmentId: c.appointmentId, items: [item()] } }),
    404,
    'NOT_FOUND',
  );
  expectProblem(
    await app.request('POST', RX, { token: other.token, body: { appointmentId: '00000000-0000-4000-8000-000000000000', items: [item()] } }),
    404,
    'NOT_FOUND',
  );
  assert.equal(await countPrescriptions(app), 0);
});

test('only verified doctors with a verified email may prescribe (401/403)', async (t) => {
  const app = await build(t);
  const c = await care(app);
  const body = { appointmentId: c.appointmentId, items: [item()] };
  expectProblem(await app.request('POST', RX, { body }), 401, 'UNAUTHENTICATED');
  expectProblem(await app.request('POST', RX, { token: c.patient.token, body }), 403, 'FORBIDDEN');
  const admin = await createAdminUser(app);
  expectProblem(await app.request('POST', RX, { token: admin.token, body }), 403, 'FORBIDDEN');
  const unverifiedEmail = await createDoctor(app, { verified: false });
  expectProblem(await app.request('POST', RX, { token: unverifiedEmail.token, body }), 403, 'EMAIL_NOT_VERIFIED');
  const pending = await createDoctor(app, { credentials: 'PENDING' });
  const pc = await care(app, 'CONFIRMED', { doctor: pending, patient: c.patient });
  expectProblem(
    await app.request('POST', RX, { token: pending.token, body: { ...body, appointmentId: pc.appointmentId } }),
    403,
    'DOCTOR_NOT_VERIFIED',
  );
  assert.equal(await countPrescriptions(app), 0);
});

test('malformed prescriptions answer 400 VALIDATION_FAILED and write nothing', async (t) => {
  const app = await build(t);
  const c = await care(app);
  const base = { appointmentId: c.appointmentId, items: [item()] };
  const bad: unknown[] = [
    { ...base, items: [] },
    { ...base, items: Array.from({ length: 21 }, () => item()) },
    { ...base, items: [item({ durationDays: 0 })] },
    { ...base, items: [item({ durationDays: 366 })] },
    { ...base, items: [item({ durationDays: '7' })] },
    { ...base, items: [item({ durationDays: 1.5 })] },
    { ...base, items: [item({ quantity: 0 })] },
    { ...base, items: [item({ medication: '' })] },
    { ...base, items: [item({ medication: 'x'.repeat(201) })] },
    { ...base, items: [item({ dosage: 'a\u0000b' })] },
    { ...base, items: [item({ colour: 'blue' })] },
    { ...base, items: [{ medication: 'Aspirin', dosage: '100 mg', durationDays: 30 }] },
    { ...base, items: 'Aspirin' },
    { ...base, notes: 'n'.repeat(2001) },
    { ...base, status: 'REVOKED' },
    { ...base, appointmentId: 'not-a-uuid' },
    { items: [item()] },
    [base],
    null,
  ];
  for (const body of bad) {
    const res = await app.request('POST', RX, { token: c.doctor.token, body });
    expectProblem(res, 400, 'VALIDATION_FAILED');
  }
  for (const rawBody of ['{"appointmentId":', 'garbage', '']) {
    expectProblem(await app.request('POST', RX, { token: c.doctor.token, rawBody }), 400, 'VALIDATION_FAILED');
  }
  assert.equal(await countPrescriptions(app), 0);
  // 20 items is the upper bound, and it is accepted.
  await issue(app, c, { items: Array.from({ length: 20 }, (_, i) => item({ medication: `Med ${i}` })) });
});

test('a prescription is readable by its patient, its doctor and admins; others get 404', async (t) => {
  const app = await build(t);
  const c = await care(app);
  const rx = await issue(app, c);
  const admin = await createAdminUser(app);
  for (const who of [c.patient, c.doctor, admin]) {
    const res = await app.request('GET', `${RX}/${rx.id}`, { token: who.token });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, rx);
  }
  const strangerPatient = await createPatient(app);
  const strangerDoctor = await createDoctor(app);
  // Even a doctor in a care relationship with the patient does not see another doctor's prescription.
  const colleague = await care(app, 'CONFIRMED', { patient: c.patient });
  for (const who of [strangerPatient, strangerDoctor, colleague.doctor]) {
    expectProblem(await app.request('GET', `${RX}/${rx.id}`, { token: who.token }), 404, 'NOT_FOUND');
  }
  expectProblem(await app.request('GET', `${RX}/00000000-0000-4000-8000-000000000000`, { token: admin.token }), 404, 'NOT_FOUND');
  expectProblem(await app.request('GET', `${RX}/${rx.id}`), 401, 'UNAUTHENTICATED');
  expectProblem(await app.request('GET', `${RX}/nope`, { token: c.patient.token }), 400, 'VALIDATION_FAILED');
  const reads = await auditEvents(app, 'prescription.read', rx.id);
  assert.deepEqual(
    reads.map((e) => e.actor_id),
    [c.patient.id, c.doctor.id, admin.id],
  );
  assert.ok(reads.every((e) => e.patient_id === c.patient.id));
});

test('the issuing doctor revokes with a reason (ACTIVE → REVOKED); twice is 409; patient and admin 403; others 404', async (t) => {
  const app = await build(t);
  const c = await care(app);
  const rx = await issue(app, c);
  const admin = await createAdminUser(app);
  const url = `${RX}/${rx.id}/revoke`;
  expectProblem(await app.request('POST', url, { body: { reason: 'x' } }), 401, 'UNAUTHENTICATED');
  expectProblem(await app.request('POST', url, { token: c.patient.token, body: { reason: 'mine' } }), 403, 'FORBIDDEN');
  expectProblem(await app.request('POST', url, { token: admin.token, body: { reason: 'admin' } }), 403, 'FORBIDDEN');
  expectProblem(await app.request('POST', url, { token: (await createDoctor(app)).token, body: { reason: 'not mine' } }), 404, 'NOT_FOUND');
  for (const body of [{}, { reason: '' }, { reason: 'x'.repeat(1001) }, { reason: 'ok', extra: 1 }, { reason: 5 }]) {
    expectProblem(await app.request('POST', url, { token: c.doctor.token, body }), 400, 'VALIDATION_FAILED');
  }
  expectProblem(await app.request('POST', url, { token: c.doctor.token, rawBody: '{"reason"' }), 400, 'VALIDATION_FAILED');

  const res = await app.request('POST', url, { token: c.doctor.token, body: { reason: 'Interaction with current medication' } });
  assert.equal(res.status, 200);
  assert.equal(res.body.status, 'REVOKED');
  assert.equal(res.body.revocationReason, 'Interaction with current medication');
  assert.ok(Date.parse(res.body.revokedAt) >= Date.parse(rx.issuedAt));
  expectProblem(await app.request('POST', url, { token: c.doctor.token, body: { reason: 'again' } }), 409, 'INVALID_TRANSITION');

  const seen = await app.request('GET', `${RX}/${rx.id}`, { token: c.patient.token });
  assert.equal(seen.body.status, 'REVOKED');
  assert.equal(seen.body.revocationReason, 'Interaction with current medication');
  const events = await auditEvents(app, 'prescription.revoke', rx.id);
  assert.equal(events.length, 1);
  assert.equal(events[0].patient_id, c.patient.id);
});

test('two concurrent revocations: exactly one succeeds, the other is 409', async (t) => {
  const app = await build(t);
  const c = await care(app);
  const rx = await issue(app, c);
  const results = await Promise.all(
    [1, 2, 3].map(() => app.request('POST', `${RX}/${rx.id}/revoke`, { token: c.doctor.token, body: { reason: 'race' } })),
  );
  assert.deepEqual(results.map((r) => r.status).sort(), [200, 409, 409]);
});

test('at most 10 prescriptions per appointment: the 11th answers 409 PRESCRIPTION_LIMIT_REACHED, also when 15 race', async (t) => {
  const app = await build(t);
  const c = await care(app, 'CONFIRMED');
  const body = { appointmentId: c.appointmentId, items: [item()] };
  const results = await Promise.all(Array.from({ length: 15 }, () => app.request('POST', RX, { token: c.doctor.token, body })));
  const statuses = results.map((r) => r.status).sort();
  assert.deepEqual(statuses, [...Array(10).fill(201), ...Array(5).fill(409)]);
  for (const r of results.filter((x) => x.status === 409)) expectProblem(r, 409, 'PRESCRIPTION_LIMIT_REACHED');
  assert.equal(await countPrescriptions(app), 10);
  // Another appointment of the same pair has its own ten.
  const other = await care(app, 'COMPLETED', { doctor: c.doctor, patient: c.patient });
  assert.equal(
    (await app.request('POST', RX, { token: c.doctor.token, body: { ...body, appointmentId: other.appointmentId } })).status,
    201,
  );
});

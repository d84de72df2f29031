// Audit coverage of the other modules: each read or change of a patient's data writes exactly one
// event with the right fields, and the patient sees it in their access log.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  appointmentFixture,
  build,
  createAdminUser,
  createDoctor,
  createPatient,
  type Person,
  type TestApp,
} from '../../../test/helpers.ts';
import { audited as auditedRequest } from '../../../test/fixtures/audit.ts';

const audited = (app: TestApp, method: string, path: string, who: Person, body?: unknown) =>
  auditedRequest(app, method, path, { token: who.token, body });

function expectOne(
  events: Record<string, any>[],
  want: { action: string; actor: Person; role: string; patientId: string; resourceType: string; resourceId?: string },
) {
  assert.equal(events.length, 1, JSON.stringify(events));
  const e = events[0];
  assert.equal(e.action, want.action);
  assert.equal(e.actor_id, want.actor.id);
  assert.equal(e.actor_role, want.role);
  assert.equal(e.patient_id, want.patientId);
  assert.equal(e.resource_type, want.resourceType);
  if (want.resourceId) assert.equal(e.resource_id, want.resourceId);
  assert.equal(e.outcome, 'SUCCESS');
  assert.equal(e.ip, '127.0.0.1');
}

async function accessLog(app: TestApp, patient: Person) {
  const res = await app.request('GET', '/api/v1/patients/me/access-log?limit=100', { token: patient.token });
  assert.equal(res.status, 200, res.text);
  return res.body.items as any[];
}

test("a doctor reading a patient's profile is one patient.read event, shown in the patient's access log with the doctor's name and role", async (t) => {
  const app = await build(t);
  const doctor = await createDoctor(app, { body: { firstname: 'Gregory', lastname: 'House' } });
  const patient = await createPatient(app);
  await appointmentFixture(app, { doctorId: doctor.id, patientId: patient.id, status: 'CONFIRMED' });
  const read = await audited(app, 'GET', `/api/v1/patients/${patient.id}`, doctor);
  assert.equal(read.res.status, 200);
  expectOne(read.events, {
    action: 'patient.read',
    actor: doctor,
    role: 'DOCTOR',
    patientId: patient.id,
    resourceType: 'patient',
    resourceId: patient.id,
  });

  const log = await accessLog(app, patient);
  const entry = log.find((e) => e.id === read.events[0].id);
  assert.ok(entry, 'the read is in the access log');
  assert.equal(entry.action, 'patient.read');
  assert.deepEqual(entry.actor, { id: doctor.id, firstname: 'Gregory', lastname: 'House', role: 'DOCTOR' });
  assert.equal(entry.at, new Date(read.events[0].at).toISOString());

  const own = await audited(app, 'PATCH', '/api/v1/patients/me', patient, { medicalHistory: 'Asthma' });
  assert.equal(own.res.status, 200);
  expectOne(own.events, { action: 'patient.update', actor: patient, role: 'PATIENT', patientId: patient.id, resourceType: 'patient' });
});

test('appointment reads and transitions are audited once each with the patient set', async (t) => {
  const app = await build(t);
  const doctor = await createDoctor(app);
  const patient = await createPatient(app);
  const id = await appointmentFixture(app, { doctorId: doctor.id, patientId: patient.id, status: 'PENDING' });
  const read = await audited(app, 'GET', `/api/v1/appointments/${id}`, doctor);
  assert.equal(read.res.status, 200);
  expectOne(read.events, {
    action: 'appointment.read',
    actor: doctor,
    role: 'DOCTOR',
    patientId: patient.id,
    resourceType: 'appointment',
    resourceId: id,
  });
  const confirm = await audited(app, 'POST', `/api/v1/appointments/${id}/confirm`, doctor);
  assert.equal(confirm.res.status, 200, confirm.res.text);
  expectOne(confirm.events, {
    action: 'appointment.confirm',
    actor: doctor,
    role: 'DOCTOR',
    patientId: patient.id,
    resourceType: 'appointment',
    resourceId: id,
  });
  const cancel = await audited(app, 'POST', `/api/v1/appointments/${id}/cancel`, patient, { reason: 'Feeling better' });
  assert.equal(cancel.res.status, 200, cancel.res.text);
  expectOne(cancel.events, {
    action: 'appointment.cancel',
    actor: patient,
    role: 'PATIENT',
    patientId: patient.id,
    resourceType: 'appointment',
    resourceId: id,
  });
  const actions = (await accessLog(app, patient)).map((e) => e.action);
  for (const a of ['appointment.read', 'appointment.confirm', 'appointment.cancel']) assert.ok(actions.includes(a), a);
});

test('issuing a prescription and reading its PDF are audited once each and reach the access log', async (t) => {
  const app = await build(t);
  const doctor = await createDoctor(app);
  const patient = await createPatient(app);
  const appointmentId = await appointmentFixture(app, { doctorId: doctor.id, patientId: patient.id, status: 'CONFIRMED' });
  const item = { medication: 'Amoxicillin', dosage: '500 mg', frequency: '3 times daily', durationDays: 7 };
  const created = await audited(app, 'POST', '/api/v1/prescriptions', doctor, { appointmentId, items: [item] });
  assert.equal(created.res.status, 201, created.res.text);
  const rx = created.res.body.id;
  expectOne(created.events, {
    action: 'prescription.create',
    actor: doctor,
    role: 'DOCTOR',
    patientId: patient.id,
    resourceType: 'prescription',
    resourceId: rx,
  });
  const pdf = await audited(app, 'GET', `/api/v1/prescriptions/${rx}/pdf`, patient);
  assert.equal(pdf.res.status, 200);
  expectOne(pdf.events, {
    action: 'prescription.pdf.read',
    actor: patient,
    role: 'PATIENT',
    patientId: patient.id,
    resourceType: 'prescription',
    resourceId: rx,
  });
  const read = await audited(app, 'GET', `/api/v1/prescriptions/${rx}`, doctor);
  expectOne(read.events, {
    action: 'prescription.read',
    actor: doctor,
    role: 'DOCTOR',
    patientId: patient.id,
    resourceType: 'prescription',
    resourceId: rx,
  });
  const log = await accessLog(app, patient);
  assert.ok(log.some((e) => e.action === 'prescription.create' && e.actor.id === doctor.id && e.actor.role === 'DOCTOR'));
});

test('sending and reading messages are audited once each, without the message body in the trail', async (t) => {
  const app = await build(t);
  const doctor = await createDoctor(app);
  const patient = await createPatient(app);
  await appointmentFixture(app, { doctorId: doctor.id, patientId: patient.id, status: 'CONFIRMED' });
  const sent = await audited(app, 'POST', `/api/v1/conversations/${doctor.id}/messages`, patient, { body: 'My chest hurts at night' });
  assert.equal(sent.res.status, 201, sent.res.text);
  expectOne(sent.events, {
    action: 'message.send',
    actor: patient,
    role: 'PATIENT',
    patientId: patient.id,
    resourceType: 'message',
    resourceId: sent.res.body.id,
  });
  const list = await audited(app, 'GET', `/api/v1/conversations/${patient.id}/messages`, doctor);
  assert.equal(list.res.status, 200);
  expectOne(list.events, { action: 'message.list', actor: doctor, role: 'DOCTOR', patientId: patient.id, resourceType: 'conversation' });

  const admin = await createAdminUser(app);
  const trail = await app.request('GET', `/api/v1/admin/audit-events?patientId=${patient.id}&limit=100`, { token: admin.token });
  assert.equal(trail.status, 200);
  assert.ok(trail.body.items.some((e: any) => e.action === 'message.send'));
  assert.equal(trail.text.includes('chest'), false, 'events hold metadata only');
});

test('admins never see medical history or message bodies through the patient, appointment or message routes', async (t) => {
  const app = await build(t);
  const admin = await createAdminUser(app);
  const doctor = await createDoctor(app);
  const patient = await createPatient(app, { body: { medicalHistory: 'Secret diagnosis XYZZY' } });
  const appointmentId = await appointmentFixture(app, { doctorId: doctor.id, patientId: patient.id, status: 'CONFIRMED' });
  await app.request('POST', `/api/v1/conversations/${doctor.id}/messages`, { token: patient.token, body: { body: 'Private note PLUGH' } });
  const responses = [
    await app.request('GET', `/api/v1/patients/${patient.id}`, { token: admin.token }),
    await app.request('GET', '/api/v1/appointments', { token: admin.token }),
    await app.request('GET', `/api/v1/appointments/${appointmentId}`, { token: admin.token }),
    await app.request('GET', `/api/v1/conversations/${patient.id}/messages`, { token: admin.token }),
    await app.request('GET', '/api/v1/conversations', { token: admin.token }),
    await app.request('GET', `/api/v1/admin/users?q=${patient.username}`, { token: admin.token }),
    await app.request('GET', `/api/v1/admin/audit-events?patientId=${patient.id}`, { token: admin.token }),
  ];
  assert.equal(responses[0].status, 404, 'an admin cannot read a patient profile');
  for (const r of responses) {
    assert.ok(r.status < 500, r.text);
    assert.equal(r.text.includes('XYZZY'), false);
    assert.equal(r.text.includes('PLUGH'), false);
    assert.equal(r.text.includes('medicalHistory'), false);
  }
});

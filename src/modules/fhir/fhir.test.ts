// FHIR R4 read API at /fhir/R4: the REST API's tokens, visibility and audit; every resource it emits
// validates against the official R4 JSON schema; a FHIR client library reads it as an integrator would.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'drizzle-orm';
import { Client } from 'fhir-kit-client';
import {
  appointmentFixture,
  build,
  createAdminUser,
  createDoctor,
  createPatient,
  type Person,
  type TestApp,
} from '../../../test/helpers.ts';
import { assertValidFhir, resourceTypeCount, validated } from '../../../test/fixtures/fhir.ts';

const R4 = '/fhir/R4';

async function clinic(app: TestApp) {
  const doctor = await createDoctor(app, { body: { firstname: 'Gregory', lastname: 'House' } });
  const patient = await createPatient(app);
  const stranger = await createPatient(app);
  const otherDoctor = await createDoctor(app);
  const appointments: string[] = [];
  for (let i = 0; i < 3; i++) {
    appointments.push(
      await appointmentFixture(app, {
        doctorId: doctor.id,
        patientId: patient.id,
        status: 'CONFIRMED',
        startsAt: new Date(Date.UTC(2027, 0, 10 + i, 9)),
      }),
    );
  }
  const strangerAppointment = await appointmentFixture(app, { doctorId: otherDoctor.id, patientId: stranger.id, status: 'CONFIRMED' });
  const rx = await app.request('POST', '/api/v1/prescriptions', {
    token: doctor.token,
    body: {
      appointmentId: appointments[0],
      items: [{ medication: 'Amoxicillin', dosage: '500 mg', frequency: '3 times daily', durationDays: 7, quantity: 21 }],
    },
  });
  assert.equal(rx.status, 201, rx.text);
  const msg = await app.request('POST', `/api/v1/conversations/${doctor.id}/messages`, {
    token: patient.token,
    body: { body: 'Thank you' },
  });
  assert.equal(msg.status, 201, msg.text);
  return {
    doctor,
    patient,
    stranger,
    otherDoctor,
    appointments,
    strangerAppointment,
    rxId: rx.body.id as string,
    messageId: msg.body.id as string,
  };
}

async function fhir(app: TestApp, path: string, who?: Person) {
  const res = await app.request('GET', `${R4}${path}`, { token: who?.token });
  // The trail keeps the id the server made for the request, which the response header carries.
  const rid = res.headers.get('x-request-id')!;
  if (res.body?.resourceType) assertValidFhir(res.body);
  const events = await app.database.rows<Record<string, any>>(sql`SELECT * FROM audit_events WHERE request_id = ${rid} ORDER BY seq`);
  return { res, events };
}

function expectOutcome(res: { status: number; headers: Headers; body: any }, status: number, code: string) {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.match(res.headers.get('content-type') ?? '', /^application\/fhir\+json/);
  assert.equal(res.body.resourceType, 'OperationOutcome');
  assert.equal(res.body.issue[0].details.coding[0].code, code);
}

test('metadata is an anonymous CapabilityStatement; every other read needs a token; errors are OperationOutcomes', async (t) => {
  const app = await build(t);
  const { res } = await fhir(app, '/metadata');
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^application\/fhir\+json/);
  assert.equal(res.body.resourceType, 'CapabilityStatement');
  assert.equal(res.body.fhirVersion, '4.0.1');
  assert.deepEqual(
    res.body.rest[0].resource.map((r: any) => r.type),
    ['Patient', 'Practitioner', 'Appointment', 'MedicationRequest', 'Communication', 'AuditEvent'],
  );
  const patient = await createPatient(app);
  expectOutcome((await fhir(app, `/Patient/${patient.id}`)).res, 401, 'UNAUTHENTICATED');
  expectOutcome((await fhir(app, '/Appointment?_count=0', patient)).res, 400, 'VALIDATION_FAILED');
  expectOutcome((await fhir(app, '/Appointment?unknown=1', patient)).res, 400, 'VALIDATION_FAILED');
  expectOutcome((await fhir(app, '/Appointment?date=gt2026-01-01', patient)).res, 400, 'VALIDATION_FAILED');
  expectOutcome((await fhir(app, '/MedicationRequest?date=ge2026-01-01', patient)).res, 400, 'VALIDATION_FAILED');
  expectOutcome((await fhir(app, '/Appointment?_cursor=%21', patient)).res, 400, 'VALIDATION_FAILED');
  expectOutcome((await fhir(app, '/Observation/1', patient)).res, 404, 'NOT_FOUND');
  expectOutcome((await fhir(app, '/Patient/not-a-uuid', patient)).res, 404, 'NOT_FOUND');
});

test("each resource type reads by id for those who may see it, with the REST API's audit events; strangers get 404 OperationOutcomes", async (t) => {
  const app = await build(t);
  const c = await clinic(app);
  const admin = await createAdminUser(app);

  const self = await fhir(app, `/Patient/${c.patient.id}`, c.patient);
  assert.equal(self.res.status, 200);
  assert.equal(self.res.body.birthDate, '1985-06-15');
  assert.equal(self.events[0].action, 'patient.read');
  const byDoctor = await fhir(app, `/Patient/${c.patient.id}`, c.doctor);
  assert.equal(byDoctor.res.status, 200);
  assert.deepEqual(
    byDoctor.events.map((e) => [e.action, e.actor_id, e.patient_id]),
    [['patient.read', c.doctor.id, c.patient.id]],
  );
  for (const who of [c.otherDoctor, c.stranger, admin]) {
    const r = await fhir(app, `/Patient/${c.patient.id}`, who);
    expectOutcome(r.res, 404, 'NOT_FOUND');
    assert.equal(r.events.length, 0, 'a refused read writes no event against the patient');
  }

  assert.equal((await fhir(app, `/Practitioner/${c.doctor.id}`, c.patient)).res.body.name[0].family, 'House');
  expectOutcome((await fhir(app, `/Practitioner/${c.patient.id}`, c.patient)).res, 404, 'NOT_FOUND');

  const appt = await fhir(app, `/Appointment/${c.appointments[0]}`, c.patient);
  assert.equal(appt.res.body.status, 'booked');
  assert.equal(appt.events[0].action, 'appointment.read');
  expectOutcome((await fhir(app, `/Appointment/${c.strangerAppointment}`, c.patient)).res, 404, 'NOT_FOUND');
  assert.equal((await fhir(app, `/Appointment/${c.strangerAppointment}`, admin)).res.status, 200);

  const mr = await fhir(app, `/MedicationRequest/${c.rxId}-1`, c.patient);
  assert.equal(mr.res.status, 200);
  assert.equal(mr.res.body.medicationCodeableConcept.text, 'Amoxicillin');
  assert.equal(mr.events[0].action, 'prescription.read');
  expectOutcome((await fhir(app, `/MedicationRequest/${c.rxId}-2`, c.patient)).res, 404, 'NOT_FOUND');
  expectOutcome((await fhir(app, `/MedicationRequest/${c.rxId}-1`, c.stranger)).res, 404, 'NOT_FOUND');
  expectOutcome((await fhir(app, `/MedicationRequest/${c.rxId}`, c.patient)).res, 404, 'NOT_FOUND');

  const comm = await fhir(app, `/Communication/${c.messageId}`, c.doctor);
  assert.equal(comm.res.body.payload[0].contentString, 'Thank you');
  assert.deepEqual(
    comm.events.map((e) => [e.action, e.patient_id]),
    [['message.read', c.patient.id]],
  );
  for (const who of [c.stranger, admin]) expectOutcome((await fhir(app, `/Communication/${c.messageId}`, who)).res, 404, 'NOT_FOUND');

  const ev = self.events[0].id as string;
  const asAdmin = await fhir(app, `/AuditEvent/${ev}`, admin);
  assert.equal(asAdmin.res.status, 200);
  assert.equal(asAdmin.res.body.agent[0].network.address, '127.0.0.1');
  const asPatient = await fhir(app, `/AuditEvent/${ev}`, c.patient);
  assert.equal(asPatient.res.status, 200);
  assert.equal(asPatient.res.body.agent[0].network, undefined, 'patients do not see client addresses');
  for (const who of [c.stranger, c.doctor]) expectOutcome((await fhir(app, `/AuditEvent/${ev}`, who)).res, 404, 'NOT_FOUND');
});

test('searches return searchset Bundles filtered by patient and date, paged by Bundle.link next over the keyset cursor', async (t) => {
  const app = await build(t);
  const c = await clinic(app);
  const first = await fhir(app, `/Appointment?patient=Patient/${c.patient.id}&date=ge2027-01-10&date=lt2027-01-13&_count=2`, c.doctor);
  assert.equal(first.res.status, 200);
  assert.equal(first.res.body.type, 'searchset');
  assert.equal(first.res.body.entry.length, 2);
  const next = first.res.body.link.find((l: any) => l.relation === 'next').url as string;
  assert.match(next, /_cursor=/);
  const second = await fhir(app, next.slice(next.indexOf(R4) + R4.length), c.doctor);
  assert.equal(second.res.body.entry.length, 1);
  assert.equal(
    second.res.body.link.find((l: any) => l.relation === 'next'),
    undefined,
  );
  assert.deepEqual(
    [...first.res.body.entry, ...second.res.body.entry].map((e: any) => e.resource.id),
    c.appointments,
  );
  assert.equal((await fhir(app, '/Appointment?date=ge2027-01-11&date=lt2027-01-12', c.patient)).res.body.entry.length, 1);
  assert.equal((await fhir(app, `/Appointment?patient=${c.stranger.id}`, c.doctor)).res.body.entry.length, 0);

  const meds = await fhir(app, `/MedicationRequest?patient=${c.patient.id}`, c.patient);
  assert.deepEqual(
    meds.res.body.entry.map((e: any) => e.resource.id),
    [`${c.rxId}-1`],
  );
  assert.equal((await fhir(app, '/MedicationRequest', c.stranger)).res.body.entry.length, 0);

  const pats = await fhir(app, '/Patient', c.doctor);
  assert.deepEqual(
    pats.res.body.entry.map((e: any) => e.resource.id),
    [c.patient.id],
  );
  assert.deepEqual(
    (await fhir(app, '/Patient', c.patient)).res.body.entry.map((e: any) => e.resource.id),
    [c.patient.id],
  );
  assert.ok((await fhir(app, '/Practitioner?_count=100', c.patient)).res.body.entry.some((e: any) => e.resource.id === c.doctor.id));

  const log = await fhir(app, '/AuditEvent?_count=100', c.patient);
  assert.ok(log.res.body.entry.some((e: any) => e.resource.subtype[0].code === 'patient.read'));
  assert.equal((await fhir(app, '/AuditEvent', c.doctor)).res.body.entry.length, 0);
  const admin = await createAdminUser(app);
  const trail = await fhir(app, `/AuditEvent?patient=${c.patient.id}&_count=5`, admin);
  assert.equal(trail.res.body.entry.length, 5);
  assert.ok(trail.res.body.link.some((l: any) => l.relation === 'next'));
});

test('Patient/$everything answers what the caller may see of the record; a FHIR client reads it all as an integrator would', async (t) => {
  const app = await build(t);
  const c = await clinic(app);
  const all = await fhir(app, `/Patient/${c.patient.id}/$everything`, c.doctor);
  assert.equal(all.res.status, 200, all.res.text);
  const types = all.res.body.entry.map((e: any) => e.resource.resourceType);
  assert.deepEqual([...new Set(types)].sort(), ['Appointment', 'Communication', 'MedicationRequest', 'Patient']);
  assert.equal(types.filter((x: string) => x === 'Appointment').length, 3);
  assert.ok(all.events.some((e) => e.action === 'patient.everything.read' && e.patient_id === c.patient.id));
  expectOutcome((await fhir(app, `/Patient/${c.patient.id}/$everything`, c.otherDoctor)).res, 404, 'NOT_FOUND');

  const client = new Client({ baseUrl: `${app.url}${R4}`, customHeaders: { Authorization: `Bearer ${c.doctor.token}` } });
  const meta = (await client.capabilityStatement()) as any;
  assertValidFhir(meta);
  const patient = (await client.read({ resourceType: 'Patient', id: c.patient.id })) as any;
  assertValidFhir(patient);
  assert.equal(patient.id, c.patient.id);
  let bundle = (await client.search({ resourceType: 'Appointment', searchParams: { patient: c.patient.id, _count: 1 } })) as any;
  const seen: string[] = [];
  while (bundle) {
    assertValidFhir(bundle);
    seen.push(...(bundle.entry ?? []).map((e: any) => e.resource.id));
    bundle = await client.nextPage({ bundle });
  }
  assert.deepEqual(seen, c.appointments);
  const everything = (await client.operation({ name: '$everything', resourceType: 'Patient', id: c.patient.id, method: 'GET' })) as any;
  assertValidFhir(everything);
  await assert.rejects(
    client.read({ resourceType: 'Patient', id: c.stranger.id }),
    (e: any) => e.response?.status === 404 && e.response?.data?.resourceType === 'OperationOutcome',
  );
  console.log(`FHIR R4 schema (${resourceTypeCount} resource types): resources validated in this file: ${JSON.stringify(validated)}`);
});

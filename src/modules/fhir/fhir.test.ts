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
      items: [
        { medication: 'Amoxicillin', strength: '500 mg', dosage: '1 capsule', frequency: '3 times daily', durationDays: 7, quantity: 21 },
      ],
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

/**
 * Links are built from PUBLIC_URL: for a FHIR client that follows them, the test server's own address
 * (known once it listens).
 */
function selfLinked(app: TestApp): string {
  app.config.publicUrl = app.url;
  return app.url;
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
    [
      'Patient',
      'Practitioner',
      'Appointment',
      'MedicationRequest',
      'Communication',
      'AuditEvent',
      'AllergyIntolerance',
      'MedicationStatement',
      'Condition',
      'Encounter',
      'Composition',
      'QuestionnaireResponse',
      'Consent',
      'DocumentReference',
      'Binary',
    ],
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
  assert.equal(mr.res.body.medicationCodeableConcept.text, 'Amoxicillin 500 mg', 'the strength names the product');
  assert.equal(mr.res.body.dosageInstruction[0].text, '1 capsule, 3 times daily, 7 days', 'the dose stays apart from the strength');
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

test('Communication search: a patient sees their own threads, a doctor those with their patients; by patient and date, paged by Bundle.link next, audited as the message history', async (t) => {
  const app = await build(t);
  const c = await clinic(app);
  const admin = await createAdminUser(app);
  const send = async (from: Person, to: Person, body: string) => {
    const r = await app.request('POST', `/api/v1/conversations/${to.id}/messages`, { token: from.token, body: { body } });
    assert.equal(r.status, 201, r.text);
    return r.body.id as string;
  };
  const thread = [c.messageId, await send(c.doctor, c.patient, 'Take it with food'), await send(c.patient, c.doctor, 'Will do')];
  const strangers = await send(c.stranger, c.otherDoctor, 'Hello');
  // Pinned creation days, one per message of the thread, so the date filter is deterministic.
  for (const [i, id] of thread.entries()) {
    await app.database.rows(
      sql`UPDATE messages SET created_at = ${new Date(Date.UTC(2027, 1, 1 + i, 12)).toISOString()}::timestamptz WHERE id = ${id}`,
    );
  }
  const newestFirst = [...thread].reverse();

  const first = await fhir(app, `/Communication?patient=Patient/${c.patient.id}&_count=2`, c.doctor);
  assert.equal(first.res.status, 200, first.res.text);
  assert.equal(first.res.body.type, 'searchset');
  assert.deepEqual(
    first.res.body.entry.map((e: any) => e.resource.id),
    newestFirst.slice(0, 2),
  );
  assert.equal(first.res.body.entry[0].resource.subject.reference, `Patient/${c.patient.id}`);
  assert.deepEqual(
    first.events.map((e) => [e.action, e.resource_type, e.resource_id, e.patient_id]),
    [['message.list', 'conversation', c.patient.id, c.patient.id]],
  );
  const next = first.res.body.link.find((l: any) => l.relation === 'next').url as string;
  const second = await fhir(app, next.slice(next.indexOf(R4) + R4.length), c.doctor);
  assert.deepEqual(
    second.res.body.entry.map((e: any) => e.resource.id),
    newestFirst.slice(2),
  );
  assert.equal(
    second.res.body.link.find((l: any) => l.relation === 'next'),
    undefined,
  );

  const day = await fhir(app, '/Communication?date=ge2027-02-02&date=lt2027-02-03', c.patient);
  assert.deepEqual(
    day.res.body.entry.map((e: any) => e.resource.id),
    [thread[1]],
  );
  const since = await fhir(app, '/Communication?date=ge2027-02-02T00:00:00Z', c.doctor);
  assert.deepEqual(
    since.res.body.entry.map((e: any) => e.resource.id),
    [thread[2], thread[1]],
  );

  // Each party sees their own threads and nothing else; asking for someone else's patient is an empty set.
  assert.deepEqual(
    (await fhir(app, '/Communication', c.patient)).res.body.entry.map((e: any) => e.resource.id),
    newestFirst,
  );
  assert.deepEqual(
    (await fhir(app, '/Communication', c.otherDoctor)).res.body.entry.map((e: any) => e.resource.id),
    [strangers],
  );
  for (const [who, path] of [
    [c.doctor, `/Communication?patient=${c.stranger.id}`],
    [c.stranger, `/Communication?patient=${c.patient.id}`],
    [c.otherDoctor, `/Communication?patient=${c.patient.id}`],
    [admin, '/Communication'],
    [admin, `/Communication?patient=${c.patient.id}`],
  ] as const) {
    const r = await fhir(app, path, who);
    assert.equal(r.res.status, 200, r.res.text);
    assert.deepEqual(r.res.body.entry, [], `${path} as ${who.id}`);
    // Nothing was shown: recorded, but against no patient (not in anyone's access log).
    assert.deepEqual(
      r.events.map((e) => [e.action, e.patient_id]),
      [['message.list', null]],
    );
  }

  // Bad input is a 400 OperationOutcome, and nothing is read.
  for (const path of [
    '/Communication?date=ge2026-13-45',
    '/Communication?date=ge2026-02-30',
    '/Communication?date=lt0000-01-01',
    '/Communication?date=ge2026-01-01T25:00:00Z',
    '/Communication?date=gt2026-01-01',
    '/Communication?date=ge2026-01-01&date=lt2026-02-01&date=ge2026-03-01',
    '/Communication?_count=101',
    '/Communication?patient=nobody',
    '/Communication?_cursor=%21',
    `/Communication?_cursor=${Buffer.from('[1.5]').toString('base64url')}`,
    `/Communication?_cursor=${Buffer.from('["x"]').toString('base64url')}`,
  ]) {
    const r = await fhir(app, path, c.doctor);
    expectOutcome(r.res, 400, 'VALIDATION_FAILED');
    assert.equal(r.events.length, 0, path);
  }

  // As an integrator would: search and follow the next links with a FHIR client.
  const client = new Client({ baseUrl: `${selfLinked(app)}${R4}`, customHeaders: { Authorization: `Bearer ${c.patient.token}` } });
  let bundle = (await client.search({ resourceType: 'Communication', searchParams: { patient: c.patient.id, _count: 1 } })) as any;
  const seen: string[] = [];
  while (bundle) {
    assertValidFhir(bundle);
    seen.push(...(bundle.entry ?? []).map((e: any) => e.resource.id));
    bundle = await client.nextPage({ bundle });
  }
  assert.deepEqual(seen, newestFirst);
  const one = (await client.read({ resourceType: 'Communication', id: thread[1] })) as any;
  assertValidFhir(one);
  assert.equal(one.sender.reference, `Practitioner/${c.doctor.id}`);
});

test('Patient/$everything is paged by Bundle.link next: _count records a page, every record once, the same set as one large page', async (t) => {
  const app = await build(t);
  const c = await clinic(app);
  for (const body of ['Second', 'Third']) {
    const r = await app.request('POST', `/api/v1/conversations/${c.patient.id}/messages`, { token: c.doctor.token, body: { body } });
    assert.equal(r.status, 201, r.text);
  }
  const whole = await fhir(app, `/Patient/${c.patient.id}/$everything?_count=1000`, c.patient);
  assert.equal(whole.res.status, 200, whole.res.text);
  const ids = whole.res.body.entry.map((e: any) => `${e.resource.resourceType}/${e.resource.id}`);
  // Patient, 3 appointments, 1 medication request, 3 messages, in that order.
  assert.equal(ids.length, 8);
  assert.deepEqual(
    whole.res.body.entry.map((e: any) => e.resource.resourceType),
    ['Patient', 'Appointment', 'Appointment', 'Appointment', 'MedicationRequest', 'Communication', 'Communication', 'Communication'],
  );
  assert.equal(
    whole.res.body.link.find((l: any) => l.relation === 'next'),
    undefined,
  );

  for (const count of [1, 3, 4, 7]) {
    const client = new Client({ baseUrl: `${selfLinked(app)}${R4}`, customHeaders: { Authorization: `Bearer ${c.doctor.token}` } });
    // A GET operation's input becomes its query string.
    let bundle = (await client.operation({
      name: '$everything',
      resourceType: 'Patient',
      id: c.patient.id,
      method: 'GET',
      input: { _count: count },
    } as any)) as any;
    const seen: string[] = [];
    let pages = 0;
    while (bundle) {
      assertValidFhir(bundle);
      pages += 1;
      assert.ok((bundle.entry ?? []).length <= count, `page ${pages} of _count=${count} has ${bundle.entry?.length}`);
      seen.push(...(bundle.entry ?? []).map((e: any) => `${e.resource.resourceType}/${e.resource.id}`));
      bundle = await client.nextPage({ bundle });
    }
    assert.deepEqual(seen, ids, `_count=${count}`);
    // No empty trailing page: a next link is only given when something follows.
    assert.equal(pages, Math.ceil(ids.length / count), `_count=${count}`);
  }

  // Every page checks the caller may see the patient and is audited.
  const next = (await fhir(app, `/Patient/${c.patient.id}/$everything?_count=2`, c.doctor)).res.body.link.find(
    (l: any) => l.relation === 'next',
  ).url as string;
  const page2 = await fhir(app, next.slice(next.indexOf(R4) + R4.length), c.doctor);
  assert.deepEqual(
    page2.res.body.entry.map((e: any) => e.resource.resourceType),
    ['Appointment', 'Appointment'],
  );
  assert.deepEqual(
    page2.events.map((e) => [e.action, e.patient_id]),
    [
      ['patient.read', c.patient.id],
      ['patient.everything.read', c.patient.id],
    ],
  );
  expectOutcome((await fhir(app, next.slice(next.indexOf(R4) + R4.length), c.otherDoctor)).res, 404, 'NOT_FOUND');

  const cursor = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  for (const bad of [
    '_count=0',
    '_count=1001',
    'patient=x',
    '_cursor=%21',
    `_cursor=${cursor(['Z', '', ''])}`,
    `_cursor=${cursor(['A', 'yesterday', c.patient.id])}`,
    `_cursor=${cursor(['C', '12x', ''])}`,
  ]) {
    expectOutcome((await fhir(app, `/Patient/${c.patient.id}/$everything?${bad}`, c.doctor)).res, 400, 'VALIDATION_FAILED');
  }
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

  const client = new Client({ baseUrl: `${selfLinked(app)}${R4}`, customHeaders: { Authorization: `Bearer ${c.doctor.token}` } });
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

// The clinical record in FHIR R4 (AllergyIntolerance, MedicationStatement, Condition, Encounter + Composition
// for signed notes) and in the export: the REST API's access point and audit; every resource produced is
// checked against the official R4 JSON schema and by Medplum's validator (invariants included).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'drizzle-orm';
import type { Resource } from '@medplum/fhirtypes';
import { build, createAdminUser, createDoctor, createPatient, type Person, type TestApp } from '../../../test/helpers.ts';
import { care } from '../../../test/fixtures/care.ts';
import { assertValidFhir } from '../../../test/fixtures/fhir.ts';
import { assertMedplumValid, medplumErrors, medplumValidated } from '../../../test/fixtures/medplum.ts';

const API = '/api/v1';
const R4 = '/fhir/R4';
const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';

function valid(resource: Resource) {
  assertValidFhir(resource as Resource & Record<string, any>);
  assertMedplumValid(resource);
}

async function ok(app: TestApp, method: string, path: string, who: Person, body?: unknown) {
  const res = await app.request(method, path, { token: who.token, body });
  assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${res.text}`);
  return res.body;
}

/** A record with every shape the mappers meet: coded and free text, self-reported, in error, a signed note with an addendum, a draft. */
async function record(app: TestApp) {
  const c = await care(app);
  const base = `${API}/patients/${c.patient.id}`;
  const allergy = await ok(app, 'POST', `${base}/allergies`, c.doctor, {
    substance: { system: RXNORM, code: '7980', display: 'Penicillin G' },
    category: 'medication',
    criticality: 'high',
    reaction: 'Hives & <swelling>',
  });
  const other = await ok(app, 'POST', `${base}/allergies`, c.doctor, {
    substance: { display: 'Latex' },
    category: 'other',
    criticality: 'low',
  });
  const wrong = await ok(app, 'POST', `${base}/allergies`, c.doctor, {
    substance: { display: 'Peanut' },
    category: 'food',
    criticality: 'low',
  });
  await ok(app, 'PATCH', `${base}/allergies/${wrong.id}`, c.doctor, { status: 'entered-in-error' });
  const selfReported = await ok(app, 'POST', `${base}/medications`, c.patient, {
    medication: { display: 'Vitamin D' },
    dosage: '1000 IU daily',
    since: '2025-01-01',
  });
  const medication = await ok(app, 'POST', `${base}/medications`, c.doctor, {
    medication: { system: RXNORM, code: '5640', display: 'Ibuprofen' },
  });
  const problem = await ok(app, 'POST', `${base}/problems`, c.doctor, {
    condition: { display: 'Asthma' },
    onset: '2001-05-01',
    note: 'Mild',
  });
  const wrongProblem = await ok(app, 'POST', `${base}/problems`, c.doctor, { condition: { display: 'Gout' } });
  await ok(app, 'PATCH', `${base}/problems/${wrongProblem.id}`, c.doctor, { clinicalStatus: 'entered-in-error' });
  await ok(app, 'PUT', `${API}/appointments/${c.appointmentId}/note`, c.doctor, {
    subjective: 'Cough for 3 days',
    objective: 'Clear lungs',
    assessment: 'Viral infection',
    plan: 'Rest\nFluids',
  });
  await ok(app, 'POST', `${API}/appointments/${c.appointmentId}/note/sign`, c.doctor);
  await ok(app, 'POST', `${API}/appointments/${c.appointmentId}/note/addenda`, c.doctor, { text: 'Called back: better' });
  const draft = await care(app, 'CONFIRMED', { doctor: c.doctor, patient: c.patient });
  await ok(app, 'PUT', `${API}/appointments/${draft.appointmentId}/note`, c.doctor, { subjective: 'Draft only' });
  return {
    ...c,
    ids: {
      AllergyIntolerance: [allergy.id, other.id, wrong.id],
      MedicationStatement: [selfReported.id, medication.id],
      Condition: [problem.id, wrongProblem.id],
      Encounter: [c.appointmentId],
      Composition: [c.appointmentId],
    } as Record<string, string[]>,
    draftAppointmentId: draft.appointmentId,
  };
}

test('each clinical resource reads by id for the patient and the treating doctor, valid R4, and is audited', async (t) => {
  const app = await build(t);
  const r = await record(app);
  for (const who of [r.patient, r.doctor]) {
    for (const [type, ids] of Object.entries(r.ids)) {
      for (const id of ids) {
        const res = await app.request('GET', `${R4}/${type}/${id}`, { token: who.token });
        assert.equal(res.status, 200, `${type}/${id}: ${res.text}`);
        assert.match(res.headers.get('content-type') ?? '', /application\/fhir\+json/);
        assert.equal(res.body.resourceType, type);
        valid(res.body);
      }
    }
  }
  const read = async (type: string, id: string) => (await app.request('GET', `${R4}/${type}/${id}`, { token: r.patient.token })).body;
  const [penicillin, latex, peanut] = await Promise.all(r.ids.AllergyIntolerance.map((id) => read('AllergyIntolerance', id)));
  assert.deepEqual(penicillin.code.coding, [{ system: RXNORM, code: '7980', display: 'penicillin G' }]);
  assert.equal(penicillin.clinicalStatus.coding[0].code, 'active');
  assert.equal(penicillin.verificationStatus.coding[0].code, 'confirmed');
  assert.deepEqual(penicillin.category, ['medication']);
  assert.equal(penicillin.reaction[0].manifestation[0].text, 'Hives & <swelling>');
  assert.equal(latex.category, undefined, 'FHIR has no "other" category');
  assert.equal(peanut.clinicalStatus, undefined, 'an entry in error has no clinical status (ait-2)');
  assert.equal(peanut.verificationStatus.coding[0].code, 'entered-in-error');
  const vitamin = await read('MedicationStatement', r.ids.MedicationStatement[0]);
  assert.equal(vitamin.informationSource.reference, `Patient/${r.patient.id}`, 'self-reported');
  assert.equal(vitamin.dosage[0].text, '1000 IU daily');
  assert.match(vitamin.note[0].text, /Unconfirmed/);
  const gout = await read('Condition', r.ids.Condition[1]);
  assert.equal(gout.clinicalStatus, undefined);
  assert.equal(gout.verificationStatus.coding[0].code, 'entered-in-error');
  const composition = await read('Composition', r.appointmentId);
  assert.equal(composition.status, 'amended', 'a signed note with an addendum');
  assert.deepEqual(
    composition.section.map((s: any) => s.title),
    ['Subjective', 'Objective', 'Assessment', 'Plan', composition.section[4].title],
  );
  assert.match(composition.section[3].text.div, /Rest<br\/>Fluids/);
  assert.match(composition.section[4].text.div, /Called back: better/);
  const encounter = await read('Encounter', r.appointmentId);
  assert.equal(encounter.status, 'finished');
  assert.equal(encounter.appointment[0].reference, `Appointment/${r.appointmentId}`);
  assert.ok(encounter.period.start);

  const [event] = await app.database.rows<{ n: number }>(
    sql`SELECT count(*)::int AS n FROM audit_events WHERE action = 'allergy.read' AND patient_id = ${r.patient.id} AND actor_id = ${r.doctor.id}`,
  );
  assert.equal(event.n, 3);
});

test('what the caller may not see is 404 (OperationOutcome); a draft note is no Encounter or Composition; unverified doctors 403', async (t) => {
  const app = await build(t);
  const r = await record(app);
  const admin = await createAdminUser(app);
  const stranger = await createDoctor(app);
  const otherPatient = await createPatient(app);
  const cancelled = await care(app, 'CANCELLED', { patient: r.patient });
  for (const who of [admin, stranger, otherPatient, cancelled.doctor]) {
    for (const [type, ids] of Object.entries(r.ids)) {
      const res = await app.request('GET', `${R4}/${type}/${ids[0]}`, { token: who.token });
      assert.equal(res.status, 404, `${type} × ${who.id}: ${res.text}`);
      assert.equal(res.body.resourceType, 'OperationOutcome');
      assert.equal(res.body.issue[0].code, 'not-found');
      valid(res.body);
    }
  }
  for (const type of ['Encounter', 'Composition']) {
    for (const who of [r.patient, r.doctor]) {
      assert.equal((await app.request('GET', `${R4}/${type}/${r.draftAppointmentId}`, { token: who.token })).status, 404);
    }
  }
  for (const type of Object.keys(r.ids)) {
    assert.equal((await app.request('GET', `${R4}/${type}/not-a-uuid`, { token: r.patient.token })).status, 404);
    assert.equal((await app.request('GET', `${R4}/${type}/00000000-0000-4000-8000-000000000000`, { token: r.patient.token })).status, 404);
    assert.equal((await app.request('GET', `${R4}/${type}/${r.ids[type][0]}`)).status, 401);
  }
  const pending = await createDoctor(app, { credentials: 'PENDING' });
  await care(app, 'CONFIRMED', { doctor: pending, patient: r.patient });
  for (const [type, ids] of Object.entries(r.ids)) {
    const res = await app.request('GET', `${R4}/${type}/${ids[0]}`, { token: pending.token });
    assert.equal(res.status, 403, res.text);
    assert.equal(res.body.issue[0].details.coding[0].code, 'DOCTOR_NOT_VERIFIED');
    const search = await app.request('GET', `${R4}/${type}?patient=${r.patient.id}`, { token: pending.token });
    assert.equal(search.status, 403, search.text);
  }
});

test('search by patient: searchset Bundles of what the caller may see, paged; 400 for a date parameter of another type or a doctor without patient', async (t) => {
  const app = await build(t);
  const r = await record(app);
  const admin = await createAdminUser(app);
  const stranger = await createDoctor(app);
  for (const [type, ids] of Object.entries(r.ids)) {
    for (const [who, query] of [
      [r.doctor, `patient=${r.patient.id}`],
      [r.patient, ''],
      [r.patient, `patient=Patient/${r.patient.id}`],
    ] as const) {
      const res = await app.request('GET', `${R4}/${type}${query ? `?${query}` : ''}`, { token: who.token });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.type, 'searchset');
      valid(res.body);
      assert.deepEqual(res.body.entry.map((e: any) => e.resource.id).sort(), [...ids].sort(), `${type} ${query}`);
    }
    for (const who of [admin, stranger]) {
      const res = await app.request('GET', `${R4}/${type}?patient=${r.patient.id}`, { token: who.token });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.body.entry, [], `${type}: nothing for a caller without access`);
    }
    const other = await app.request('GET', `${R4}/${type}?patient=${r.doctor.id}`, { token: r.patient.token });
    assert.deepEqual(other.body.entry, []);
    assert.equal((await app.request('GET', `${R4}/${type}`, { token: r.doctor.token })).status, 400);
    // A date parameter of another type (date-search.test.ts tests each type's own).
    const foreign = type === 'Condition' ? 'date' : 'onset-date';
    assert.equal(
      (await app.request('GET', `${R4}/${type}?patient=${r.patient.id}&${foreign}=ge2026-01-01`, { token: r.doctor.token })).status,
      400,
    );
    assert.equal((await app.request('GET', `${R4}/${type}?patient=nope`, { token: r.doctor.token })).status, 400);
    assert.equal((await app.request('GET', `${R4}/${type}?patient=${r.patient.id}`)).status, 401);
  }
  // Paging through Bundle.link next.
  const first = await app.request('GET', `${R4}/AllergyIntolerance?patient=${r.patient.id}&_count=2`, { token: r.doctor.token });
  assert.equal(first.body.entry.length, 2);
  const next = first.body.link.find((l: any) => l.relation === 'next').url as string;
  const second = await app.request('GET', next.slice(next.indexOf(R4)), { token: r.doctor.token });
  assert.equal(second.status, 200, second.text);
  assert.equal(second.body.entry.length, 1);
  assert.equal(new Set([...first.body.entry, ...second.body.entry].map((e: any) => e.resource.id)).size, 3);
});

test('Patient/$everything and the export carry the clinical record; the CapabilityStatement lists its types', async (t) => {
  const app = await build(t);
  const r = await record(app);
  const count = (bundle: any) => {
    const out: Record<string, string[]> = {};
    for (const e of bundle.entry) (out[e.resource.resourceType] ??= []).push(e.resource.id);
    return out;
  };
  for (const who of [r.patient, r.doctor]) {
    const res = await app.request('GET', `${R4}/Patient/${r.patient.id}/$everything`, { token: who.token });
    assert.equal(res.status, 200, res.text);
    valid(res.body);
    const got = count(res.body);
    for (const [type, ids] of Object.entries(r.ids)) assert.deepEqual(got[type]?.sort(), [...ids].sort(), type);
    // Paged: one record a page still reaches every resource exactly once.
    const seen: string[] = [];
    let url: string | undefined = `${R4}/Patient/${r.patient.id}/$everything?_count=1`;
    while (url) {
      const page = await app.request('GET', url, { token: who.token });
      assert.equal(page.status, 200, page.text);
      seen.push(...page.body.entry.map((e: any) => `${e.resource.resourceType}/${e.resource.id}`));
      const next = page.body.link.find((l: any) => l.relation === 'next')?.url as string | undefined;
      url = next && next.slice(next.indexOf(R4));
    }
    assert.deepEqual(seen.sort(), res.body.entry.map((e: any) => `${e.resource.resourceType}/${e.resource.id}`).sort());
  }

  const json = await app.request('GET', `${API}/me/export`, { token: r.patient.token });
  assert.equal(json.status, 200, json.text);
  const doc = JSON.parse(json.text);
  assert.deepEqual(doc.allergies.map((a: any) => a.id).sort(), [...r.ids.AllergyIntolerance].sort());
  assert.deepEqual(doc.medications.map((a: any) => a.id).sort(), [...r.ids.MedicationStatement].sort());
  assert.deepEqual(doc.problems.map((a: any) => a.id).sort(), [...r.ids.Condition].sort());
  assert.deepEqual(
    doc.notes.map((n: any) => [n.appointmentId, n.status, n.addenda.length]),
    [[r.appointmentId, 'SIGNED', 1]],
    'signed notes only',
  );
  const fhir = await app.request('GET', `${API}/me/export?format=fhir`, { token: r.patient.token });
  assert.equal(fhir.status, 200, fhir.text);
  const bundle = JSON.parse(fhir.text);
  valid(bundle);
  const got = count(bundle);
  for (const [type, ids] of Object.entries(r.ids)) assert.deepEqual(got[type]?.sort(), [...ids].sort(), type);
  // A doctor's export holds no one's clinical record.
  const doctorDoc = JSON.parse((await app.request('GET', `${API}/me/export`, { token: r.doctor.token })).text);
  assert.equal(doctorDoc.allergies, undefined);

  const meta = await app.request('GET', `${R4}/metadata`);
  const types = meta.body.rest[0].resource.map((x: any) => x.type);
  for (const type of Object.keys(r.ids)) assert.ok(types.includes(type), type);
  valid(meta.body);

  t.diagnostic(`Medplum validateResource: ${JSON.stringify(medplumValidated)}; errors: ${medplumErrors.length}`);
  assert.deepEqual(medplumErrors, []);
});

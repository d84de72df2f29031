// FHIR R4 date search on the clinical record's types, through the API on a real database: each type's R4
// parameter on its element, every prefix, the precision of the value (a year, month or day is a range), the
// target's own range (a date is its day, a Period its start to its end, an open Period reaches to infinity),
// repeated parameters AND-ed, and the unhappy paths (400 OperationOutcome, nothing read, nothing recorded).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'drizzle-orm';
import { appointmentFixture, build, type Person, type TestApp } from '../../../test/helpers.ts';
import { care } from '../../../test/fixtures/care.ts';
import { assertValidFhir } from '../../../test/fixtures/fhir.ts';
import { parseDateValue } from './date-search.ts';

const API = '/api/v1';
const R4 = '/fhir/R4';

async function ok(app: TestApp, method: string, path: string, who: Person, body?: unknown) {
  const res = await app.request(method, path, { token: who.token, body });
  assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${res.text}`);
  return res.body;
}

/** The ids a search finds (as the doctor), sorted; asserts a valid searchset. */
async function found(app: TestApp, who: Person, type: string, patientId: string, query: string): Promise<string[]> {
  const res = await app.request('GET', `${R4}/${type}?patient=${patientId}&${query}`, { token: who.token });
  assert.equal(res.status, 200, `${type}?${query}: ${res.text}`);
  assertValidFhir(res.body);
  return res.body.entry.map((e: any) => e.resource.id).sort();
}

test('a search value is the range its precision gives, in UTC unless a zone says otherwise', () => {
  assert.deepEqual(parseDateValue('date', '2025'), { prefix: 'eq', start: '2025-01-01T00:00:00.000Z', end: '2026-01-01T00:00:00.000Z' });
  assert.deepEqual(parseDateValue('date', 'ge2024-02'), {
    prefix: 'ge',
    start: '2024-02-01T00:00:00.000Z',
    end: '2024-03-01T00:00:00.000Z',
  });
  assert.deepEqual(parseDateValue('date', 'lt2024-02-29'), {
    prefix: 'lt',
    start: '2024-02-29T00:00:00.000Z',
    end: '2024-03-01T00:00:00.000Z',
  });
  assert.deepEqual(parseDateValue('date', 'sa2025-03-10T11:00+01:00'), {
    prefix: 'sa',
    start: '2025-03-10T10:00:00.000Z',
    end: '2025-03-10T10:01:00.000Z',
  });
  assert.deepEqual(parseDateValue('date', 'eb2025-03-10T10:00:05Z').end, '2025-03-10T10:00:06.000Z');
  assert.deepEqual(parseDateValue('date', '2025-03-10T10:00:05.5Z'), {
    prefix: 'eq',
    start: '2025-03-10T10:00:05.500Z',
    end: '2025-03-10T10:00:05.600Z',
  });
  assert.equal(parseDateValue('date', '9999').end, 'infinity');
  assert.equal(parseDateValue('date', '0099-12').start, '0099-12-01T00:00:00.000Z');
  for (const bad of [
    '2025-13',
    '2025-00',
    '2025-02-29',
    '2025-04-31',
    '0000',
    '2025-03-10T24:00Z',
    '2025-03-10T10:60Z',
    '2025-03-10T10:00:60Z',
    '2025-03-10T10:00',
    '2025-03-10T10:00+15:00',
    'xx2025',
    '2025-3-1',
    '',
  ]) {
    assert.throws(
      () => parseDateValue('date', bad),
      (e: any) => e.code === 'VALIDATION_FAILED',
      bad,
    );
  }
});

test('AllergyIntolerance date (recordedDate): every prefix, every precision, repeated values AND-ed', async (t) => {
  const app = await build(t);
  const c = await care(app);
  const base = `${API}/patients/${c.patient.id}/allergies`;
  const ids: string[] = [];
  for (const display of ['Latex', 'Peanut', 'Bee venom']) {
    ids.push((await ok(app, 'POST', base, c.doctor, { substance: { display }, category: 'other', criticality: 'low' })).id);
  }
  const [a1, a2, a3] = ids;
  // When each was recorded, set for the test (the column has no trigger; the API always stamps now).
  const at = { [a1]: '2025-03-10T10:00:00.000Z', [a2]: '2025-03-31T23:59:59.999Z', [a3]: '2026-01-05T08:00:00.000Z' };
  for (const [id, when] of Object.entries(at))
    await app.database.rows(sql`UPDATE clinical_allergies SET recorded_at = ${when} WHERE id = ${id}`);
  const search = (q: string) => found(app, c.doctor, 'AllergyIntolerance', c.patient.id, q);
  const s = (...xs: string[]) => [...xs].sort();
  assert.deepEqual(await search('date=2025-03'), s(a1, a2));
  assert.deepEqual(await search('date=eq2025'), s(a1, a2));
  assert.deepEqual(await search('date=2025-03-10'), [a1]);
  assert.deepEqual(await search('date=ne2025'), [a3]);
  assert.deepEqual(await search('date=gt2025-03-10'), s(a2, a3));
  assert.deepEqual(await search('date=ge2025-03-10'), s(a1, a2, a3));
  assert.deepEqual(await search('date=lt2025-03-31'), [a1]);
  assert.deepEqual(await search('date=le2025-03-31'), s(a1, a2));
  assert.deepEqual(await search('date=sa2025-03-10'), s(a2, a3));
  assert.deepEqual(await search('date=eb2026'), s(a1, a2));
  assert.deepEqual(await search('date=ge2025-03-01&date=lt2025-04'), s(a1, a2));
  assert.deepEqual(await search('date=ge2025-03-11&date=le2026-01-05'), s(a2, a3));
  assert.deepEqual(await search('date=2025-03-10T10:00Z'), [a1]);
  assert.deepEqual(await search(`date=${encodeURIComponent('2025-03-10T11:00+01:00')}`), [a1]);
  assert.deepEqual(await search('date=2025-03-10T10:00:00.001Z'), []);
  assert.deepEqual(await search('date=2024'), []);
  // Paged with a date: the next link keeps the condition.
  const first = await app.request('GET', `${R4}/AllergyIntolerance?patient=${c.patient.id}&date=ge2025&_count=2`, {
    token: c.doctor.token,
  });
  const next = first.body.link.find((l: any) => l.relation === 'next').url as string;
  assert.match(next, /date=ge2025/);
  const second = await app.request('GET', next.slice(next.indexOf(R4)), { token: c.doctor.token });
  assert.equal(second.body.entry.length, 1);
  // The patient searches their own record the same way.
  const own = await app.request('GET', `${R4}/AllergyIntolerance?date=2025-03-10`, { token: c.patient.token });
  assert.deepEqual(
    own.body.entry.map((e: any) => e.resource.id),
    [a1],
  );
});

test('Condition recorded-date and onset-date (a date is its whole day), MedicationStatement effective (an open period)', async (t) => {
  const app = await build(t);
  const c = await care(app);
  const problems = `${API}/patients/${c.patient.id}/problems`;
  const p1 = (await ok(app, 'POST', problems, c.doctor, { condition: { display: 'Asthma' }, onset: '2001-05-01' })).id;
  const p2 = (await ok(app, 'POST', problems, c.doctor, { condition: { display: 'Gout' }, onset: '2020-02-29' })).id;
  const p3 = (await ok(app, 'POST', problems, c.doctor, { condition: { display: 'Migraine' } })).id;
  await app.database.rows(sql`UPDATE clinical_problems SET recorded_at = '2024-06-01T12:00:00Z' WHERE id = ${p3}`);
  const cond = (q: string) => found(app, c.doctor, 'Condition', c.patient.id, q);
  const s = (...xs: string[]) => [...xs].sort();
  assert.deepEqual(await cond('onset-date=2001'), [p1]);
  assert.deepEqual(await cond('onset-date=2020-02-29'), [p2]);
  assert.deepEqual(await cond('onset-date=ge2020-02-29'), [p2]);
  assert.deepEqual(await cond('onset-date=lt2020'), [p1]);
  assert.deepEqual(await cond('onset-date=ne2001-05-01'), [p2], 'no onset matches no date search');
  // A minute inside the onset day does not contain the day (eq), but the day reaches above it (gt) and below it (lt).
  assert.deepEqual(await cond('onset-date=2020-02-29T12:00Z'), []);
  assert.deepEqual(await cond('onset-date=gt2020-02-29T12:00Z'), [p2]);
  assert.deepEqual(await cond('onset-date=lt2020-02-29T12:00Z'), s(p1, p2));
  assert.deepEqual(await cond('onset-date=sa2020-02-28'), [p2]);
  assert.deepEqual(await cond('onset-date=eb2020-02-29'), [p1]);
  assert.deepEqual(await cond('recorded-date=2024-06'), [p3]);
  assert.deepEqual(await cond('recorded-date=gt2024-06'), s(p1, p2));
  assert.deepEqual(await cond('recorded-date=ge2024&onset-date=2001'), [p1]);

  const meds = `${API}/patients/${c.patient.id}/medications`;
  const m1 = (await ok(app, 'POST', meds, c.doctor, { medication: { display: 'Ibuprofen' }, since: '2020-01-01' })).id;
  const m2 = (await ok(app, 'POST', meds, c.doctor, { medication: { display: 'Salbutamol' }, since: '2025-06-15' })).id;
  await ok(app, 'POST', meds, c.doctor, { medication: { display: 'Vitamin D' } });
  const eff = (q: string) => found(app, c.doctor, 'MedicationStatement', c.patient.id, q);
  // Taken since a day and ongoing: the period reaches to infinity, so no finite value contains it (eq).
  assert.deepEqual(await eff('effective=2024'), []);
  assert.deepEqual(await eff('effective=ge2024'), s(m1, m2));
  assert.deepEqual(await eff('effective=lt2021'), [m1]);
  // le: the range below the value overlaps the period; below 15 June is before it starts, below the 16th is not.
  assert.deepEqual(await eff('effective=le2025-06-15'), [m1]);
  assert.deepEqual(await eff('effective=le2025-06-16'), s(m1, m2));
  assert.deepEqual(await eff('effective=sa2025-01-01'), [m2]);
  assert.deepEqual(await eff('effective=eb2030'), []);
  assert.deepEqual(await eff('effective=ne2024'), s(m1, m2), 'without since: no effective period, no match');
  // Both ongoing periods reach above the 14th and below the 16th; only one starts after the 14th.
  assert.deepEqual(await eff('effective=gt2025-06-14&effective=lt2025-06-16'), s(m1, m2));
  assert.deepEqual(await eff('effective=sa2025-06-14&effective=lt2025-06-16'), [m2]);
});

test('Encounter date (the visit period) and Composition date (signed)', async (t) => {
  const app = await build(t);
  const c = await care(app);
  const visits: string[] = [];
  for (const startsAt of ['2026-03-02T09:00:00.000Z', '2026-04-10T14:00:00.000Z']) {
    const id = await appointmentFixture(app, {
      doctorId: c.doctor.id,
      patientId: c.patient.id,
      status: 'CONFIRMED',
      startsAt: new Date(startsAt),
    });
    await ok(app, 'PUT', `${API}/appointments/${id}/note`, c.doctor, { assessment: 'Fine' });
    await ok(app, 'POST', `${API}/appointments/${id}/note/sign`, c.doctor);
    visits.push(id);
  }
  const [e1, e2] = visits;
  const enc = (q: string) => found(app, c.doctor, 'Encounter', c.patient.id, q);
  assert.deepEqual(await enc('date=2026-03'), [e1]);
  assert.deepEqual(await enc('date=2026-03-02'), [e1]);
  assert.deepEqual(await enc('date=2026-03-02T09:00Z'), [], 'a minute does not contain a half-hour visit');
  assert.deepEqual(await enc('date=ge2026-03-02T09:15Z'), [e1, e2].sort(), 'the visit reaches above 09:15');
  assert.deepEqual(await enc('date=lt2026-03-02T09:15Z'), [e1]);
  assert.deepEqual(await enc('date=sa2026-03-02T09:15Z'), [e2]);
  assert.deepEqual(await enc('date=eb2026-04-10T14:00Z'), [e1]);
  assert.deepEqual(await enc('date=ne2026-04'), [e1]);
  assert.deepEqual(await enc('date=ge2026-03&date=lt2026-04'), [e1]);

  const [{ day }] = await app.database.rows<{ day: string }>(
    sql`SELECT to_char(min(signed_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day FROM visit_notes WHERE patient_id = ${c.patient.id}`,
  );
  const comp = (q: string) => found(app, c.doctor, 'Composition', c.patient.id, q);
  assert.deepEqual(await comp(`date=${day}`), [e1, e2].sort());
  assert.deepEqual(await comp(`date=lt${day}`), []);
  assert.deepEqual(await comp(`date=sa${day}`), []);
  assert.deepEqual(await comp(`date=ge${day.slice(0, 4)}`), [e1, e2].sort());
  assert.deepEqual(await comp('date=2000'), []);
});

test('date search unhappy paths: a parameter the type has not, a bad value, too many values: 400 OperationOutcome, nothing recorded', async (t) => {
  const app = await build(t);
  const c = await care(app);
  await ok(app, 'POST', `${API}/patients/${c.patient.id}/allergies`, c.doctor, {
    substance: { display: 'Latex' },
    category: 'other',
    criticality: 'low',
  });
  const [before] = await app.database.rows<{ n: number }>(
    sql`SELECT count(*)::int AS n FROM audit_events WHERE patient_id = ${c.patient.id}`,
  );
  const refused = [
    'Condition?date=2025',
    'MedicationStatement?date=2025',
    'AllergyIntolerance?effective=2025',
    'AllergyIntolerance?recorded-date=2025',
    'Encounter?onset-date=2025',
    'Composition?effective=2025',
    'QuestionnaireResponse?date=2025',
    'Consent?date=2025',
    'MedicationRequest?date=ge2025-01-01',
    'Patient?effective=2025',
    'Appointment?recorded-date=2025',
    // Appointment, Communication and AuditEvent keep ge/lt with a day or an instant.
    'Appointment?date=eq2026-01-01',
    'Communication?date=ge2026',
    'AllergyIntolerance?date=2025-13',
    'AllergyIntolerance?date=2025-02-29',
    'AllergyIntolerance?date=2025-03-10T10:00',
    'AllergyIntolerance?date=2025-03-10T24:00Z',
    'AllergyIntolerance?date=2025-03-10T10:00:60Z',
    'AllergyIntolerance?date=0000',
    'AllergyIntolerance?date=xx2025',
    'AllergyIntolerance?date=',
    'Condition?onset-date=2025-02-30',
    'MedicationStatement?effective=ge2025-1-1',
    'Encounter?date=2025&date=2025&date=2025&date=2025&date=2025',
  ];
  for (const q of refused) {
    const sep = q.includes('?') ? '&' : '?';
    const res = await app.request('GET', `${R4}/${q}${sep}patient=${c.patient.id}`, { token: c.doctor.token });
    assert.equal(res.status, 400, `${q}: ${res.status} ${res.text}`);
    assert.equal(res.body.resourceType, 'OperationOutcome', q);
    assert.equal(res.body.issue[0].code, 'invalid', q);
    assertValidFhir(res.body);
  }
  const [after] = await app.database.rows<{ n: number }>(
    sql`SELECT count(*)::int AS n FROM audit_events WHERE patient_id = ${c.patient.id}`,
  );
  assert.equal(after.n, before.n, 'a refused search reads and records nothing');
  // The older types still answer their own form.
  const appts = await app.request('GET', `${R4}/Appointment?patient=${c.patient.id}&date=ge2020-01-01`, { token: c.doctor.token });
  assert.equal(appts.status, 200, appts.text);
  // A date search by someone who may not see the record: 400 for a bad value first, an empty Bundle otherwise.
  const stranger = (await care(app)).doctor;
  const none = await app.request('GET', `${R4}/AllergyIntolerance?patient=${c.patient.id}&date=ge2000`, { token: stranger.token });
  assert.equal(none.status, 200, none.text);
  assert.deepEqual(none.body.entry, []);
});

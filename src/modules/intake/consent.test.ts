// Telehealth consent, the stated location and the visit gate (issue 27), through the API and the WebSocket.
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
  type Person,
  type TestApp,
  type WsClient,
} from '../../../test/helpers.ts';
import { connect, join, visitFixture } from '../../../test/fixtures/visits.ts';
import { pinClock } from '../../platform/clock.ts';

const API = '/api/v1';
/** The append-only trigger's refusal (Drizzle wraps the database error as its cause). */
const refusedByTrigger = (e: any) => /never changed/.test(String(e?.cause?.message ?? e?.message));
const TEXT = '# Telehealth consent\n\nI agree to be seen by video.';

async function publish(app: TestApp, admin: Person, text = TEXT) {
  const res = await app.request('POST', `${API}/admin/consents/telehealth`, { token: admin.token, body: { text } });
  assert.equal(res.status, 201, res.text);
  return res.body as { version: number; text: string; publishedAt: string };
}
const accept = (app: TestApp, who: Person, version: number) =>
  app.request('POST', `${API}/me/consents`, { token: who.token, body: { type: 'telehealth', version } });
const locate = (app: TestApp, who: Person, id: string, body: unknown = { country: 'US', region: 'US-AL', city: 'Mobile' }) =>
  app.request('POST', `${API}/appointments/${id}/visit/location`, { token: who.token, body });
const visit = (app: TestApp, who: Person, id: string) => app.request('GET', `${API}/appointments/${id}/visit`, { token: who.token });

test('consent versions: 404 before the first; admins publish numbered versions anyone reads; others may not publish', async (t) => {
  const app = await build(t);
  const [admin, patient, doctor] = [await createAdminUser(app), await createPatient(app), await createDoctor(app)];
  expectProblem(await app.request('GET', `${API}/consents/telehealth`), 404, 'NOT_FOUND');
  const v1 = await publish(app, admin);
  assert.equal(v1.version, 1);
  assert.equal(v1.text, TEXT);
  const v2 = await publish(app, admin, 'Second text');
  assert.equal(v2.version, 2);
  const current = await app.request('GET', `${API}/consents/telehealth`);
  assert.equal(current.status, 200);
  assert.deepEqual(current.body, v2);
  for (const who of [patient, doctor]) {
    expectProblem(
      await app.request('POST', `${API}/admin/consents/telehealth`, { token: who.token, body: { text: 'x' } }),
      403,
      'FORBIDDEN',
    );
  }
  expectProblem(await app.request('POST', `${API}/admin/consents/telehealth`, { body: { text: 'x' } }), 401, 'UNAUTHENTICATED');
  expectProblem(
    await app.request('POST', `${API}/admin/consents/telehealth`, { token: admin.token, body: { text: '' } }),
    400,
    'VALIDATION_FAILED',
  );
  expectProblem(
    await app.request('POST', `${API}/admin/consents/telehealth`, { token: admin.token, body: { text: 'x', version: 9 } }),
    400,
    'VALIDATION_FAILED',
  );
  const [event] = await app.database.rows<{ actor_id: string }>(
    sql`SELECT actor_id FROM audit_events WHERE action = 'consent_version.create' AND resource_id = 'telehealth/2'`,
  );
  assert.equal(event.actor_id, admin.id);
});

test('a patient accepts the current version once, immutably and audited with the request id; lists them; others may not', async (t) => {
  const app = await build(t);
  const [admin, patient, doctor] = [await createAdminUser(app), await createPatient(app), await createDoctor(app)];
  expectProblem(await accept(app, patient, 1), 400, 'VALIDATION_FAILED'); // nothing published
  await publish(app, admin);
  const requestId = `req-${randomUUID()}`;
  const first = await app.request('POST', `${API}/me/consents`, {
    token: patient.token,
    body: { type: 'telehealth', version: 1 },
    headers: { 'x-request-id': requestId },
  });
  assert.equal(first.status, 201, first.text);
  assert.equal(first.body.patientId, patient.id);
  assert.equal(first.body.version, 1);
  assert.ok(first.body.requestId);
  const again = await accept(app, patient, 1);
  assert.equal(again.status, 200);
  assert.deepEqual(again.body, first.body);
  const [event] = await app.database.rows<{ patient_id: string; request_id: string; resource_id: string }>(
    sql`SELECT patient_id, request_id, resource_id FROM audit_events WHERE action = 'consent.create'`,
  );
  assert.deepEqual(event, { patient_id: patient.id, request_id: first.body.requestId, resource_id: first.body.id });
  await publish(app, admin, 'Version two');
  expectProblem(await accept(app, patient, 1), 409, 'CONSENT_REQUIRED'); // no longer current
  expectProblem(await accept(app, patient, 3), 400, 'VALIDATION_FAILED'); // not published
  expectProblem(
    await app.request('POST', `${API}/me/consents`, { token: patient.token, body: { type: 'other', version: 2 } }),
    400,
    'VALIDATION_FAILED',
  );
  assert.equal((await accept(app, patient, 2)).status, 201);
  const list = await app.request('GET', `${API}/me/consents`, { token: patient.token });
  assert.equal(list.status, 200);
  assert.deepEqual(
    list.body.map((a: any) => a.version),
    [2, 1],
  );
  expectProblem(await accept(app, doctor, 2), 403, 'FORBIDDEN');
  expectProblem(await app.request('GET', `${API}/me/consents`, { token: admin.token }), 403, 'FORBIDDEN');
  expectProblem(await app.request('GET', `${API}/me/consents`), 401, 'UNAUTHENTICATED');
  // Immutable in the database, whoever asks: acceptances, versions.
  await assert.rejects(
    app.database.rows(sql`UPDATE consent_acceptances SET version = 1 WHERE patient_id = ${patient.id}`),
    refusedByTrigger,
  );
  await assert.rejects(app.database.rows(sql`DELETE FROM consent_acceptances`), refusedByTrigger);
  await assert.rejects(app.database.rows(sql`UPDATE consent_versions SET text = 'changed'`), refusedByTrigger);
});

test('the location: ISO 3166 codes with the region in the country, its patient only, open appointments only, audited', async (t) => {
  const app = await build(t);
  const v = await visitFixture(app);
  const stranger = await createPatient(app);
  const res = await locate(app, v.patient, v.id);
  assert.equal(res.status, 201, res.text);
  assert.equal(res.body.country, 'US');
  assert.equal(res.body.region, 'US-AL');
  assert.equal(res.body.city, 'Mobile');
  for (const body of [
    { country: 'us', region: 'US-AL' },
    { country: 'USA', region: 'US-AL' },
    { country: 'US', region: 'DE-BE' },
    { country: 'US', region: 'AL' },
    { country: 'US' },
    { country: 'US', region: 'US-AL', city: 'a\nb' },
    { country: 'US', region: 'US-AL', street: 'Main' },
  ]) {
    expectProblem(await locate(app, v.patient, v.id, body), 400, 'VALIDATION_FAILED');
  }
  expectProblem(await locate(app, stranger, v.id), 404, 'NOT_FOUND');
  expectProblem(await locate(app, v.patient, randomUUID()), 404, 'NOT_FOUND');
  expectProblem(await locate(app, v.doctor, v.id), 403, 'FORBIDDEN');
  expectProblem(
    await app.request('POST', `${API}/appointments/${v.id}/visit/location`, { body: { country: 'US', region: 'US-AL' } }),
    401,
    'UNAUTHENTICATED',
  );
  const cancelled = await appointmentFixture(app, { doctorId: v.doctor.id, patientId: v.patient.id, status: 'CANCELLED' });
  expectProblem(await locate(app, v.patient, cancelled), 409, 'INVALID_TRANSITION');
  const events = await app.database.rows(
    sql`SELECT 1 FROM audit_events WHERE action = 'visit_location.create' AND patient_id = ${v.patient.id}`,
  );
  assert.equal(events.length, 1);
  await assert.rejects(app.database.rows(sql`UPDATE visit_locations SET country = 'DE'`), refusedByTrigger);
});

test('the gate: before a first version nothing is gated; then the patient gets 409 CONSENT_REQUIRED, then LOCATION_REQUIRED, on GET and visit.join', async (t) => {
  const app = await build(t);
  const admin = await createAdminUser(app);
  const v = await visitFixture(app);
  assert.equal((await visit(app, v.patient, v.id)).status, 200);
  const consent = await publish(app, admin);

  expectProblem(await visit(app, v.patient, v.id), 409, 'CONSENT_REQUIRED');
  const ws = await connect(app, v.patient);
  t.after(() => ws.ws.close());
  const refused = await join(ws, v.id);
  assert.deepEqual([refused.type, refused.code], ['visit.error', 'CONSENT_REQUIRED']);

  assert.equal((await accept(app, v.patient, consent.version)).status, 201);
  expectProblem(await visit(app, v.patient, v.id), 409, 'LOCATION_REQUIRED');
  const noLocation = await join(ws, v.id);
  assert.deepEqual([noLocation.type, noLocation.code], ['visit.error', 'LOCATION_REQUIRED']);
  // The doctor is never gated, and sees what the patient has done so far.
  const doctorView = await visit(app, v.doctor, v.id);
  assert.equal(doctorView.status, 200, doctorView.text);
  assert.equal(doctorView.body.patientConsent.currentVersion, 1);
  assert.equal(doctorView.body.patientConsent.accepted, true);
  assert.equal(doctorView.body.patientLocation, null);

  assert.equal((await locate(app, v.patient, v.id)).status, 201);
  const ok = await visit(app, v.patient, v.id);
  assert.equal(ok.status, 200, ok.text);
  const joined = await join(ws, v.id);
  assert.equal(joined.type, 'visit.joined', JSON.stringify(joined));
  const seen = await visit(app, v.doctor, v.id);
  assert.deepEqual(
    { ...seen.body.patientLocation, statedAt: undefined },
    { country: 'US', region: 'US-AL', city: 'Mobile', statedAt: undefined },
  );
  assert.ok(seen.body.patientConsent.acceptedAt);

  // A new version needs a new acceptance before the next join; the location of this visit stays.
  await publish(app, admin, 'Version two');
  expectProblem(await visit(app, v.patient, v.id), 409, 'CONSENT_REQUIRED');
  const doctorAfter = await visit(app, v.doctor, v.id);
  assert.deepEqual({ ...doctorAfter.body.patientConsent }, { currentVersion: 2, accepted: false, acceptedAt: null });
  assert.equal((await accept(app, v.patient, 2)).status, 201);
  assert.equal((await visit(app, v.patient, v.id)).status, 200);
  // The window still comes first: a visit that is not open says so, whatever the consent.
  pinClock(app.app.platform, new Date(v.startsAt.getTime() - 3_600_000));
  expectProblem(await visit(app, v.patient, v.id), 409, 'VISIT_NOT_OPEN');
});

/** `n` patients, each with an open visit of their own doctor at the same instant, consent v1 accepted and a location stated. */
async function ready(app: TestApp, admin: Person, n: number) {
  const startsAt = new Date('2031-05-05T10:00:00.000Z');
  pinClock(app.app.platform, startsAt);
  const v1 = await publish(app, admin);
  const visits: { patient: Person; id: string; ws: WsClient }[] = [];
  for (let i = 0; i < n; i++) {
    const [doctor, patient] = [await createDoctor(app), await createPatient(app)];
    const id = await appointmentFixture(app, { doctorId: doctor.id, patientId: patient.id, status: 'CONFIRMED', startsAt });
    assert.equal((await accept(app, patient, v1.version)).status, 201);
    assert.equal((await locate(app, patient, id)).status, 201);
    visits.push({ patient, id, ws: await connect(app, patient) });
  }
  return visits;
}

test('race: joins concurrent with a new consent version: each joins under the version it accepted or is refused, and none joins after the publication answered', async (t) => {
  const app = await build(t);
  const admin = await createAdminUser(app);
  const visits = await ready(app, admin, 6);
  t.after(() => visits.forEach((v) => v.ws.ws.close()));
  const [joins, published] = await Promise.all([Promise.all(visits.map((v) => join(v.ws, v.id))), publish(app, admin, 'Version two')]);
  for (const f of joins) assert.ok(f.type === 'visit.joined' || f.code === 'CONSENT_REQUIRED', JSON.stringify(f));
  assert.equal(published.version, 2);
  // Once the publication has answered, no join gets through without accepting version 2.
  const after = await Promise.all(visits.map((v) => join(v.ws, v.id)));
  assert.deepEqual(
    after.map((f) => f.code),
    visits.map(() => 'CONSENT_REQUIRED'),
  );
  const joinedRows = await app.database.rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM visit_presence`);
  assert.equal(joinedRows[0].n, joins.filter((f) => f.type === 'visit.joined').length);
});

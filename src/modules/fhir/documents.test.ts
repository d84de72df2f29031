// Attachments in FHIR R4: DocumentReference (read, search by patient and date, $everything, the export) and
// Binary (the raw bytes with the download's safety headers, or a Binary resource for a FHIR JSON Accept), on a
// real database through the API; every resource checked by the official R4 schema and Medplum's validator.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Resource } from '@medplum/fhirtypes';
import { build, createAdminUser, createDoctor, createPatient, type Person, type TestApp } from '../../../test/helpers.ts';
import { care } from '../../../test/fixtures/care.ts';
import { setDoctorVerification } from '../../../test/fixtures/people.ts';
import { assertValidFhir } from '../../../test/fixtures/fhir.ts';
import { assertMedplumValid, medplumErrors } from '../../../test/fixtures/medplum.ts';
import { download, png, uploaded } from '../../../test/fixtures/attachments.ts';

const API = '/api/v1';
const R4 = '/fhir/R4';

function valid(resource: Resource) {
  assertValidFhir(resource as Resource & Record<string, any>);
  assertMedplumValid(resource);
}

const sha1 = (b: Buffer) => createHash('sha1').update(b).digest('base64');

/** A PDF (stored as sent) of `size` bytes: more than one 256 KiB chunk, and not a multiple of three. */
function pdf(size: number, marker = 'letter'): Buffer {
  const head = Buffer.from(`%PDF-1.4\n% ${marker}\n`);
  const tail = Buffer.from('\n%%EOF\n');
  return Buffer.concat([head, Buffer.alloc(size - head.length - tail.length, 0x41), tail]);
}

async function binary(app: TestApp, who: Person | null, id: string, accept?: string) {
  const headers: Record<string, string> = {};
  if (who) headers.authorization = `Bearer ${who.token}`;
  if (accept) headers.accept = accept;
  const res = await fetch(`${app.url}${R4}/Binary/${id}`, { headers });
  const bytes = Buffer.from(await res.arrayBuffer());
  return {
    status: res.status,
    headers: res.headers,
    bytes,
    json: /json/.test(res.headers.get('content-type') ?? '') ? JSON.parse(bytes.toString()) : null,
  };
}

/** A patient and their doctor; a photo the patient sent and a letter the doctor sent (two chunks and a bit). */
async function world(app: TestApp) {
  const c = await care(app);
  const photo = await uploaded(app, c.patient, await png(), 'rash.png');
  const toDoctor = await app.request('POST', `${API}/conversations/${c.doctor.id}/messages`, {
    token: c.patient.token,
    body: { body: 'day 3', attachmentIds: [photo.id] },
  });
  assert.equal(toDoctor.status, 201, toDoctor.text);
  const letterBytes = pdf(600_001);
  const letter = await uploaded(app, c.doctor, letterBytes, 'Entlassbrief.pdf');
  const toPatient = await app.request('POST', `${API}/conversations/${c.patient.id}/messages`, {
    token: c.doctor.token,
    body: { attachmentIds: [letter.id] },
  });
  assert.equal(toPatient.status, 201, toPatient.text);
  return { ...c, photo, letter, letterBytes, photoMessage: toDoctor.body.id as string, letterMessage: toPatient.body.id as string };
}

test('DocumentReference by id: the file as R4 describes it, for the patient and the doctor of its thread, audited as a download', async (t) => {
  const app = await build(t);
  const w = await world(app);
  for (const who of [w.patient, w.doctor]) {
    const res = await app.request('GET', `${R4}/DocumentReference/${w.letter.id}`, { token: who.token });
    assert.equal(res.status, 200, res.text);
    assert.match(res.headers.get('content-type') ?? '', /application\/fhir\+json/);
    assert.match(res.headers.get('cache-control') ?? '', /no-store/);
    valid(res.body);
    const d = res.body;
    assert.equal(d.status, 'current');
    assert.deepEqual(d.subject, { reference: `Patient/${w.patient.id}` });
    assert.deepEqual(d.author, [{ reference: `Practitioner/${w.doctor.id}` }]);
    assert.match(d.date, /Z$/);
    assert.deepEqual(d.context, { related: [{ reference: `Communication/${w.letterMessage}` }] });
    assert.deepEqual(d.content[0].attachment, {
      contentType: 'application/pdf',
      url: `${app.config.publicUrl}/fhir/R4/Binary/${w.letter.id}`,
      size: w.letterBytes.length,
      hash: sha1(w.letterBytes),
      title: 'Entlassbrief.pdf',
      creation: d.date,
    });
  }
  const photo = await app.request('GET', `${R4}/DocumentReference/${w.photo.id}`, { token: w.doctor.token });
  assert.equal(photo.status, 200, photo.text);
  assert.deepEqual(photo.body.author, [{ reference: `Patient/${w.patient.id}` }]);
  // The hash is of the bytes served (an image is stored re-encoded).
  const served = await download(app, w.doctor, w.photo.id);
  assert.equal(photo.body.content[0].attachment.hash, sha1(served.bytes));
  assert.equal(photo.body.content[0].attachment.size, served.bytes.length);
  // The doctor's reads are in the patient's access log, as downloads are.
  const log = await app.request('GET', `${API}/patients/me/access-log?limit=100`, { token: w.patient.token });
  assert.equal(log.status, 200, log.text);
  const reads = log.body.items.filter((e: any) => e.action === 'attachment.read' && e.actor?.id === w.doctor.id);
  assert.deepEqual(reads.map((e: any) => e.resourceId).sort(), [w.letter.id, w.photo.id, w.photo.id].sort());
  assert.deepEqual(medplumErrors, []);
});

test('Binary: the raw bytes with the download headers, or a Binary resource for FHIR JSON; audited as a download', async (t) => {
  const app = await build(t);
  const w = await world(app);
  const raw = await binary(app, w.patient, w.letter.id);
  assert.equal(raw.status, 200);
  assert.deepEqual(raw.bytes, w.letterBytes);
  const viaApi = await download(app, w.patient, w.letter.id);
  for (const h of [
    'content-type',
    'content-length',
    'content-disposition',
    'cache-control',
    'x-content-type-options',
    'content-security-policy',
  ]) {
    assert.equal(raw.headers.get(h), viaApi.headers.get(h), h);
  }
  assert.equal(raw.headers.get('content-type'), 'application/pdf');
  assert.match(raw.headers.get('content-disposition') ?? '', /^attachment;/);
  assert.match(raw.headers.get('content-security-policy') ?? '', /^sandbox;/);
  assert.equal(raw.headers.get('x-content-type-options'), 'nosniff');
  assert.match(raw.headers.get('cache-control') ?? '', /no-store/);
  // A browser's Accept gets the bytes too; an image is inline.
  const image = await binary(app, w.doctor, w.photo.id, 'text/html,*/*;q=0.8');
  assert.equal(image.status, 200);
  assert.equal(image.headers.get('content-type'), 'image/png');
  assert.match(image.headers.get('content-disposition') ?? '', /^inline;/);

  for (const accept of ['application/fhir+json', 'application/json', 'application/fhir+json; fhirVersion=4.0']) {
    const res = await binary(app, w.doctor, w.letter.id, accept);
    assert.equal(res.status, 200, accept);
    assert.match(res.headers.get('content-type') ?? '', /application\/fhir\+json/);
    assert.match(res.headers.get('cache-control') ?? '', /no-store/);
    assert.match(res.headers.get('content-security-policy') ?? '', /^sandbox;/);
    assert.equal(res.json.resourceType, 'Binary');
    assert.equal(res.json.id, w.letter.id);
    assert.equal(res.json.contentType, 'application/pdf');
    assert.deepEqual(res.json.securityContext, { reference: `DocumentReference/${w.letter.id}` });
    assert.deepEqual(Buffer.from(res.json.data, 'base64'), w.letterBytes, 'base64 across chunk boundaries');
    valid(res.json);
  }
  const small = await binary(app, w.patient, w.photo.id, 'application/fhir+json');
  assert.deepEqual(Buffer.from(small.json.data, 'base64'), (await download(app, w.patient, w.photo.id)).bytes);
  valid(small.json);

  const [events] = await app.database.rows<{ n: number }>(
    sql`SELECT count(*)::int AS n FROM audit_events WHERE action = 'attachment.read' AND resource_id = ${w.letter.id}
         AND actor_id = ${w.doctor.id} AND patient_id = ${w.patient.id}`,
  );
  assert.equal(events.n, 3, 'one attachment.read for each Binary read of the doctor');
  assert.deepEqual(medplumErrors, []);
});

test('DocumentReference and Binary: strangers, doctors without care, unverified doctors, admins and anonymous get nothing', async (t) => {
  const app = await build(t);
  const w = await world(app);
  const stranger = await createPatient(app);
  const otherDoctor = await createDoctor(app);
  // A doctor with care of the patient but not a party of the thread: the thread's files are its two parties'.
  const colleague = (await care(app, 'CONFIRMED', { patient: w.patient })).doctor;
  const admin = await createAdminUser(app);
  const pending = await createDoctor(app, { credentials: 'PENDING' });
  await care(app, 'CONFIRMED', { doctor: pending, patient: w.patient });
  const rejected = (await care(app, 'CONFIRMED', { patient: w.patient })).doctor;
  await setDoctorVerification(app, rejected.id, 'REJECTED');
  const [before] = await app.database.rows<{ n: number }>(
    sql`SELECT count(*)::int AS n FROM audit_events WHERE action = 'attachment.read'`,
  );
  for (const who of [stranger, otherDoctor, colleague, admin]) {
    for (const path of [`${R4}/DocumentReference/${w.letter.id}`, `${R4}/Binary/${w.letter.id}`]) {
      const res = await app.request('GET', path, { token: who.token });
      assert.equal(res.status, 404, `${path}: ${res.text}`);
      assert.equal(res.body.resourceType, 'OperationOutcome');
      assert.equal(res.body.issue[0].code, 'not-found');
      valid(res.body);
    }
    const search = await app.request('GET', `${R4}/DocumentReference?patient=${w.patient.id}`, { token: who.token });
    assert.equal(search.status, 200, search.text);
    assert.deepEqual(search.body.entry, []);
    const fhirBinary = await binary(app, who, w.letter.id, 'application/fhir+json');
    assert.equal(fhirBinary.status, 404);
  }
  for (const who of [pending, rejected]) {
    for (const path of [
      `${R4}/DocumentReference/${w.letter.id}`,
      `${R4}/Binary/${w.letter.id}`,
      `${R4}/DocumentReference?patient=${w.patient.id}`,
    ]) {
      const res = await app.request('GET', path, { token: who.token });
      assert.equal(res.status, 403, `${path}: ${res.text}`);
      assert.equal(res.body.issue[0].details.coding[0].code, 'DOCTOR_NOT_VERIFIED');
    }
  }
  for (const path of [
    `${R4}/DocumentReference/${w.letter.id}`,
    `${R4}/Binary/${w.letter.id}`,
    `${R4}/DocumentReference?patient=${w.patient.id}`,
  ]) {
    const res = await app.request('GET', path);
    assert.equal(res.status, 401, path);
    assert.equal(res.body.resourceType, 'OperationOutcome');
  }
  for (const id of ['not-a-uuid', randomUUID()]) {
    for (const type of ['DocumentReference', 'Binary']) {
      assert.equal((await app.request('GET', `${R4}/${type}/${id}`, { token: w.patient.token })).status, 404, `${type}/${id}`);
    }
  }
  const [after] = await app.database.rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM audit_events WHERE action = 'attachment.read'`);
  assert.equal(after.n, before.n, 'nothing disclosed, nothing recorded as read');
  // An upload no message carries is no part of a record: no DocumentReference, its bytes its uploader's only.
  const unsent = await uploaded(app, w.patient, await png(), 'draft.png');
  assert.equal((await app.request('GET', `${R4}/DocumentReference/${unsent.id}`, { token: w.patient.token })).status, 404);
  assert.equal((await binary(app, w.patient, unsent.id)).status, 200);
  assert.equal((await binary(app, w.doctor, unsent.id)).status, 404);
  const plain = await binary(app, w.patient, unsent.id, 'application/fhir+json');
  assert.equal(plain.json.securityContext, undefined);
  valid(plain.json);
});

test('DocumentReference search: by patient, paged, by date; $everything, the export and the CapabilityStatement carry it', async (t) => {
  const app = await build(t);
  const w = await world(app);
  const ids = [w.photo.id, w.letter.id].sort();
  for (const [who, query] of [
    [w.doctor, `patient=${w.patient.id}`],
    [w.patient, ''],
    [w.patient, `patient=Patient/${w.patient.id}`],
  ] as const) {
    const res = await app.request('GET', `${R4}/DocumentReference${query ? `?${query}` : ''}`, { token: who.token });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.type, 'searchset');
    valid(res.body);
    assert.deepEqual(res.body.entry.map((e: any) => e.resource.id).sort(), ids);
    assert.equal(res.body.entry[0].fullUrl, `${app.config.publicUrl}/fhir/R4/DocumentReference/${res.body.entry[0].resource.id}`);
  }
  const first = await app.request('GET', `${R4}/DocumentReference?patient=${w.patient.id}&_count=1`, { token: w.doctor.token });
  assert.equal(first.body.entry.length, 1);
  const next = first.body.link.find((l: any) => l.relation === 'next').url as string;
  const second = await app.request('GET', next.slice(next.indexOf(R4)), { token: w.doctor.token });
  assert.equal(second.status, 200, second.text);
  assert.equal(second.body.entry.length, 1);
  assert.ok(!second.body.link.some((l: any) => l.relation === 'next'));
  assert.deepEqual([first.body.entry[0].resource.id, second.body.entry[0].resource.id].sort(), ids);
  // date is DocumentReference.date (uploaded): today's uploads, none before 2000, none after 9000.
  const [{ today }] = await app.database.rows<{ today: string }>(sql`SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS today`);
  const byDate = async (q: string) =>
    (await app.request('GET', `${R4}/DocumentReference?patient=${w.patient.id}&${q}`, { token: w.doctor.token })).body.entry.map(
      (e: any) => e.resource.id,
    );
  assert.deepEqual((await byDate(`date=${today.slice(0, 7)}`)).sort(), ids);
  assert.deepEqual(await byDate('date=lt2000'), []);
  assert.deepEqual((await byDate('date=ge2000-01-01&date=lt9000')).sort(), ids);
  assert.deepEqual(await byDate('date=sa9000'), []);
  for (const q of ['recorded-date=2026', 'date=2026-13', 'date=ge2026-02-30', 'date=2026-01-01T10:00']) {
    const res = await app.request('GET', `${R4}/DocumentReference?patient=${w.patient.id}&${q}`, { token: w.doctor.token });
    assert.equal(res.status, 400, `${q}: ${res.text}`);
    assert.equal(res.body.resourceType, 'OperationOutcome');
  }
  assert.equal((await app.request('GET', `${R4}/DocumentReference`, { token: w.doctor.token })).status, 400, 'a doctor names the patient');
  const [listed] = await app.database.rows<{ n: number }>(
    sql`SELECT count(*)::int AS n FROM audit_events WHERE action = 'attachment.read' AND actor_id = ${w.doctor.id} AND patient_id = ${w.patient.id}`,
  );
  assert.ok(listed.n >= 2, 'each DocumentReference shown is audited');

  for (const who of [w.patient, w.doctor]) {
    const res = await app.request('GET', `${R4}/Patient/${w.patient.id}/$everything`, { token: who.token });
    assert.equal(res.status, 200, res.text);
    valid(res.body);
    const docs = res.body.entry.filter((e: any) => e.resource.resourceType === 'DocumentReference').map((e: any) => e.resource.id);
    assert.deepEqual(docs.sort(), ids);
    // Paged one record a time, every resource still comes exactly once.
    const seen: string[] = [];
    let url: string | undefined = `${R4}/Patient/${w.patient.id}/$everything?_count=1`;
    while (url) {
      const page = await app.request('GET', url, { token: who.token });
      assert.equal(page.status, 200, page.text);
      seen.push(...page.body.entry.map((e: any) => `${e.resource.resourceType}/${e.resource.id}`));
      const more = page.body.link.find((l: any) => l.relation === 'next')?.url as string | undefined;
      url = more && more.slice(more.indexOf(R4));
    }
    assert.deepEqual(seen.sort(), res.body.entry.map((e: any) => `${e.resource.resourceType}/${e.resource.id}`).sort());
  }
  const exported = await app.request('GET', `${API}/me/export?format=fhir`, { token: w.patient.token });
  assert.equal(exported.status, 200, exported.text);
  const bundle = JSON.parse(exported.text);
  valid(bundle);
  const docs = bundle.entry.filter((e: any) => e.resource.resourceType === 'DocumentReference');
  assert.deepEqual(docs.map((e: any) => e.resource.id).sort(), ids);
  assert.equal(docs.find((e: any) => e.resource.id === w.letter.id).resource.content[0].attachment.hash, sha1(w.letterBytes));

  const meta = await app.request('GET', `${R4}/metadata`);
  valid(meta.body);
  const resources = meta.body.rest[0].resource;
  const doc = resources.find((r: any) => r.type === 'DocumentReference');
  assert.deepEqual(
    doc.interaction.map((i: any) => i.code),
    ['read', 'search-type'],
  );
  assert.deepEqual(
    doc.searchParam.map((s: any) => s.name),
    ['patient', 'date', '_count'],
  );
  assert.deepEqual(resources.find((r: any) => r.type === 'Binary').interaction, [{ code: 'read' }]);
  assert.deepEqual(medplumErrors, []);
});

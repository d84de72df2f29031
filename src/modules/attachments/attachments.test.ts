// Attachments through the API on a real database: upload, the messages that carry them, download with its
// headers and access rule, the patient's access log, and every unhappy path of both endpoints.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import sharp from 'sharp';
import {
  build,
  connectWs,
  createAdminUser,
  createDoctor,
  createPatient,
  expectProblem,
  type Person,
  type TestApp,
} from '../../../test/helpers.ts';
import { care } from '../../../test/fixtures/care.ts';
import { assertValidFhir } from '../../../test/fixtures/fhir.ts';
import { ATTACHMENTS, download, jpeg, png, storedCount, upload, uploaded } from '../../../test/fixtures/attachments.ts';

const conv = (id: string) => `/api/v1/conversations/${id}`;

let app: TestApp;
before(async () => {
  app = await build();
});
after(() => app.close());

async function sendWith(from: Person, to: Person, body: Record<string, unknown>) {
  return app.request('POST', `${conv(to.id)}/messages`, { token: from.token, body });
}

test('a patient uploads a photo, sends it to their doctor, and both download it; the message and the frame list it', async () => {
  const { doctor, patient } = await care(app);
  const a = await uploaded(app, patient, await jpeg(), 'rash day 3.jpg');
  assert.deepEqual(Object.keys(a).sort(), ['contentType', 'createdAt', 'fileName', 'id', 'size']);
  assert.equal(a.contentType, 'image/jpeg');
  assert.equal(a.fileName, 'rash day 3.jpg');
  assert.match(a.createdAt, /Z$/);

  const ws = await connectWs(app, doctor.token);
  const sent = await sendWith(patient, doctor, { attachmentIds: [a.id] });
  assert.equal(sent.status, 201, sent.text);
  assert.equal(sent.body.body, '');
  assert.deepEqual(sent.body.attachments, [{ id: a.id, fileName: a.fileName, contentType: 'image/jpeg', size: a.size }]);
  const frame = await ws.next((f) => f.type === 'message.created');
  assert.deepEqual(frame.message.attachments, sent.body.attachments);
  ws.ws.close();

  const list = await app.request('GET', `${conv(patient.id)}/messages`, { token: doctor.token });
  assert.deepEqual(list.body.items[0].attachments, sent.body.attachments);
  const threads = await app.request('GET', '/api/v1/conversations', { token: doctor.token });
  assert.deepEqual(threads.body.items[0].lastMessage.attachments, sent.body.attachments);

  for (const who of [patient, doctor]) {
    const d = await download(app, who, a.id);
    assert.equal(d.status, 200);
    assert.equal(d.bytes.length, a.size);
    assert.equal(d.headers.get('content-type'), 'image/jpeg');
    assert.equal(d.headers.get('content-disposition'), `inline; filename="rash day 3.jpg"; filename*=UTF-8''rash%20day%203.jpg`);
    assert.match(d.headers.get('cache-control') ?? '', /no-store/);
    assert.equal(d.headers.get('x-content-type-options'), 'nosniff');
    assert.match(d.headers.get('content-security-policy') ?? '', /^sandbox;/);
    const meta = await sharp(d.bytes).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['jpeg', 64, 48]);
  }
});

test("the doctor's download is in the patient's access log; the patient's own is theirs; admins cannot read contents", async () => {
  const { doctor, patient } = await care(app);
  const admin = await createAdminUser(app);
  const a = await uploaded(app, patient, await png(), 'wound.png');
  assert.equal((await sendWith(patient, doctor, { body: 'day 3', attachmentIds: [a.id] })).status, 201);
  assert.equal((await download(app, doctor, a.id)).status, 200);

  const log = await app.request('GET', '/api/v1/patients/me/access-log', { token: patient.token });
  assert.equal(log.status, 200, log.text);
  const reads = log.body.items.filter((e: any) => e.action === 'attachment.read');
  assert.equal(reads.length, 1);
  assert.equal(reads[0].actor.id, doctor.id);
  assert.equal(reads[0].resourceId, a.id);

  const refused = await download(app, admin, a.id);
  assert.equal(refused.status, 404);
  assert.equal(refused.json.code, 'NOT_FOUND');
});

test('a doctor sends a document to the patient; only the two of them may download it', async () => {
  const { doctor, patient } = await care(app);
  const other = await care(app, 'CONFIRMED', { doctor });
  const otherDoctor = await createDoctor(app);
  const pdf = Buffer.from('%PDF-1.7\n% discharge letter\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
  const a = await uploaded(app, doctor, pdf, 'Entlassbrief März.pdf');
  assert.equal(a.contentType, 'application/pdf');
  // Before it is sent, only its uploader sees it.
  assert.equal((await download(app, patient, a.id)).status, 404);
  assert.equal((await download(app, doctor, a.id)).status, 200);
  const sent = await sendWith(doctor, patient, { body: 'Your letter', attachmentIds: [a.id] });
  assert.equal(sent.status, 201, sent.text);

  const d = await download(app, patient, a.id);
  assert.equal(d.status, 200);
  assert.deepEqual(d.bytes, pdf);
  assert.equal(d.headers.get('content-type'), 'application/pdf');
  assert.equal(
    d.headers.get('content-disposition'),
    `attachment; filename="Entlassbrief M_rz.pdf"; filename*=UTF-8''Entlassbrief%20M%C3%A4rz.pdf`,
  );
  for (const stranger of [other.patient, otherDoctor]) {
    const r = await download(app, stranger, a.id);
    assert.equal(r.status, 404);
    assert.equal(r.json.code, 'NOT_FOUND');
  }
});

test('POST /attachments: unauthenticated 401, unverified email or doctor 403, admin 403, not multipart or no file part 400', async () => {
  const unverified = await createPatient(app, { verified: false });
  const pending = await createDoctor(app, { credentials: 'PENDING' });
  const admin = await createAdminUser(app);
  const patient = await createPatient(app);
  const before = await storedCount(app);
  const bytes = await png();
  expectProblem(await upload(app, null, bytes), 401, 'UNAUTHENTICATED');
  expectProblem(await upload(app, unverified, bytes), 403, 'EMAIL_NOT_VERIFIED');
  expectProblem(await upload(app, pending, bytes), 403, 'DOCTOR_NOT_VERIFIED');
  expectProblem(await upload(app, admin, bytes), 403, 'FORBIDDEN');
  expectProblem(await app.request('POST', ATTACHMENTS, { token: patient.token, body: { file: 'x' } }), 400, 'VALIDATION_FAILED');
  const noFile = new FormData();
  noFile.append('note', 'hello');
  const res = await fetch(app.url + ATTACHMENTS, { method: 'POST', headers: { authorization: `Bearer ${patient.token}` }, body: noFile });
  assert.equal(res.status, 400);
  const wrongName = new FormData();
  wrongName.append('upload', new Blob([new Uint8Array(bytes)]), 'x.png');
  const res2 = await fetch(app.url + ATTACHMENTS, {
    method: 'POST',
    headers: { authorization: `Bearer ${patient.token}` },
    body: wrongName,
  });
  assert.equal(res2.status, 400);
  const empty = new FormData();
  const res3 = await fetch(app.url + ATTACHMENTS, { method: 'POST', headers: { authorization: `Bearer ${patient.token}` }, body: empty });
  assert.equal(res3.status, 400);
  assert.deepEqual(await storedCount(app), before);
});

test('GET /attachments/{id}: malformed id 400, anonymous 401, unknown 404, an unverified doctor 403', async () => {
  const { doctor, patient } = await care(app);
  const a = await uploaded(app, patient, await png());
  assert.equal((await sendWith(patient, doctor, { attachmentIds: [a.id] })).status, 201);
  assert.equal((await app.request('GET', `${ATTACHMENTS}/not-a-uuid`, { token: patient.token })).status, 400);
  expectProblem(await app.request('GET', `${ATTACHMENTS}/${a.id}`), 401, 'UNAUTHENTICATED');
  expectProblem(await app.request('GET', `${ATTACHMENTS}/${randomUUID()}`, { token: patient.token }), 404, 'NOT_FOUND');
  const pending = await createDoctor(app, { credentials: 'PENDING' });
  expectProblem(await app.request('GET', `${ATTACHMENTS}/${a.id}`, { token: pending.token }), 403, 'DOCTOR_NOT_VERIFIED');
});

test("a message's attachmentIds must be the sender's own unsent uploads, at most 5; body or attachments required", async () => {
  const { doctor, patient } = await care(app);
  const stranger = await createPatient(app);
  const mine = await uploaded(app, patient, await png());
  const theirs = await uploaded(app, stranger, await png());

  expectProblem(await sendWith(patient, doctor, {}), 400, 'VALIDATION_FAILED');
  expectProblem(await sendWith(patient, doctor, { attachmentIds: [] }), 400, 'VALIDATION_FAILED');
  const six = Array.from({ length: 6 }, () => randomUUID());
  expectProblem(await sendWith(patient, doctor, { attachmentIds: six }), 400, 'VALIDATION_FAILED');
  expectProblem(await sendWith(patient, doctor, { attachmentIds: [mine.id, mine.id] }), 400, 'VALIDATION_FAILED');
  const stolen = await sendWith(patient, doctor, { body: 'look', attachmentIds: [mine.id, theirs.id] });
  expectProblem(stolen, 400, 'VALIDATION_FAILED');
  assert.equal(stolen.body.errors[0].path, '/attachmentIds/1');
  expectProblem(await sendWith(patient, doctor, { attachmentIds: [randomUUID()] }), 400, 'VALIDATION_FAILED');
  // Nothing was sent, and the own upload is still unsent.
  const history = await app.request('GET', `${conv(doctor.id)}/messages`, { token: patient.token });
  assert.equal(history.body.items.length, 0);
  assert.equal((await sendWith(patient, doctor, { attachmentIds: [mine.id] })).status, 201);
  // Once sent it cannot be sent again.
  expectProblem(await sendWith(patient, doctor, { attachmentIds: [mine.id] }), 400, 'VALIDATION_FAILED');
});

test("a patient's upload cannot be sent by them into another patient's thread, nor a doctor's into a thread of another doctor", async () => {
  const { doctor, patient } = await care(app);
  const second = await care(app);
  const doctorFile = await uploaded(app, doctor, await png());
  // The doctor sends their own upload to their patient: fine; a second doctor cannot use it.
  expectProblem(await sendWith(second.doctor, second.patient, { attachmentIds: [doctorFile.id] }), 400, 'VALIDATION_FAILED');
  assert.equal((await sendWith(doctor, patient, { attachmentIds: [doctorFile.id] })).status, 201);
});

test("the patient's export lists each message's attachments", async () => {
  const { doctor, patient } = await care(app);
  const a = await uploaded(app, patient, await png(), 'scan.png');
  assert.equal((await sendWith(patient, doctor, { body: 'scan', attachmentIds: [a.id] })).status, 201);
  const res = await app.request('GET', '/api/v1/me/export', { token: patient.token });
  assert.equal(res.status, 200, res.text);
  const doc = JSON.parse(res.text);
  const m = doc.messages.find((x: any) => x.body === 'scan');
  assert.deepEqual(m.attachments, [{ id: a.id, fileName: 'scan.png', contentType: 'image/png', size: a.size }]);
});

test('Patient/$everything and the FHIR export carry attachments as Communication payloads with their download URL', async () => {
  const { doctor, patient } = await care(app);
  const a = await uploaded(app, patient, await png(), 'scan.png');
  assert.equal((await sendWith(patient, doctor, { attachmentIds: [a.id] })).status, 201);
  const expected = { contentType: 'image/png', url: `${app.config.publicUrl}/api/v1/attachments/${a.id}`, size: a.size, title: 'scan.png' };
  const all = await app.request('GET', `/fhir/R4/Patient/${patient.id}/$everything`, { token: doctor.token });
  assert.equal(all.status, 200, all.text);
  assertValidFhir(all.body);
  const comm = all.body.entry.map((e: any) => e.resource).find((r: any) => r.resourceType === 'Communication');
  assert.deepEqual(comm.payload, [{ contentAttachment: expected }]);
  const exported = await app.request('GET', '/api/v1/me/export?format=fhir', { token: patient.token });
  assert.equal(exported.status, 200, exported.text);
  const bundle = JSON.parse(exported.text);
  assertValidFhir(bundle);
  const c2 = bundle.entry.map((e: any) => e.resource).find((r: any) => r.resourceType === 'Communication');
  assert.deepEqual(c2.payload, [{ contentAttachment: expected }]);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PDFParse } from 'pdf-parse';
import { build, createAdminUser, createDoctor, createPatient, expectProblem, sleep, type TestApp } from '../../../test/helpers.ts';
import { RX, auditEvents, issue, item } from '../../../test/fixtures/prescriptions.ts';
import { care } from '../../../test/fixtures/care.ts';
import { printedCode } from './service.ts';
import { pages } from '../../../test/fixtures/pages.ts';

async function pdfText(app: TestApp, id: string, token: string): Promise<{ text: string; raw: Buffer; headers: Headers }> {
  const res = await fetch(`${app.url}${RX}/${id}/pdf`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(res.status, 200);
  const raw = Buffer.from(await res.arrayBuffer());
  const parser = new PDFParse({ data: new Uint8Array(raw) });
  try {
    return { text: (await parser.getText()).text, raw, headers: res.headers };
  } finally {
    await parser.destroy();
  }
}

const ids = (res: { body: { items: { id: string }[] } }) => res.body.items.map((i) => i.id);

test('the PDF is a printable A4 prescription with both parties, the date, every item, the notes and the id', async (t) => {
  const app = await build(t);
  const doctor = await createDoctor(app, {
    body: { firstname: 'Jürgen', lastname: 'Łukaszewicz', specialization: 'Internal Medicine', licenseNumber: 'DE-LIC-4711' },
  });
  const patient = await createPatient(app, { body: { firstname: 'Ada', lastname: 'Lovelace', dateOfBirth: '1990-12-10' } });
  const c = await care(app, 'CONFIRMED', { doctor, patient });
  const rx = await issue(app, c, {
    items: [
      item(),
      { medication: 'Paracetamol', dosage: '1 g', frequency: 'every 6 hours', durationDays: 1, instructions: 'No more than 4 g a day' },
    ],
    notes: 'Rest and drink plenty of water',
  });
  for (const who of [patient, doctor]) {
    const { text, raw, headers } = await pdfText(app, rx.id, who.token);
    assert.equal(headers.get('content-type'), 'application/pdf');
    assert.match(headers.get('cache-control') ?? '', /no-store/);
    assert.equal(raw.subarray(0, 5).toString('latin1'), '%PDF-');
    // A4 in PostScript points.
    assert.match(raw.toString('latin1'), /\/MediaBox \[0 0 595\.28 841\.89\]/);
    for (const expected of [
      'Internal Medicine',
      'DE-LIC-4711',
      'Ada Lovelace',
      '1990-12-10',
      rx.issuedAt.slice(0, 10),
      'Amoxicillin 500 mg',
      'Route: oral',
      'Frequency: 3 times daily',
      'Duration: 7 days',
      'Quantity: 21',
      'Instructions: Take with food',
      'Paracetamol 1 g',
      'Frequency: every 6 hours',
      'Duration: 1 day',
      'No more than 4 g a day',
      'Rest and drink plenty of water',
      rx.id,
    ]) {
      assert.ok(text.includes(expected), `PDF text lacks "${expected}":\n${text}`);
    }
    // Printed as is in the shipped font, on every host.
    assert.match(text, /Dr\. Jürgen Łukaszewicz/);
    assert.ok(!text.includes('REVOKED'));
  }
  const events = await auditEvents(app, 'prescription.pdf.read', rx.id);
  assert.deepEqual(
    events.map((e) => [e.actor_id, e.patient_id, e.outcome]),
    [
      [patient.id, patient.id, 'SUCCESS'],
      [doctor.id, patient.id, 'SUCCESS'],
    ],
  );
});

test("a revoked prescription's PDF carries a REVOKED mark and the reason", async (t) => {
  const app = await build(t);
  const c = await care(app);
  const rx = await issue(app, c);
  const rev = await app.request('POST', `${RX}/${rx.id}/revoke`, { token: c.doctor.token, body: { reason: 'Wrong dosage prescribed' } });
  assert.equal(rev.status, 200);
  const { text } = await pdfText(app, rx.id, c.patient.token);
  assert.match(text, /Status: REVOKED on \d{4}-\d{2}-\d{2}/);
  assert.match(text, /Do not dispense/);
  assert.ok(text.includes('Reason: Wrong dosage prescribed'));
  // The diagonal stamp is text as well: REVOKED appears more than once.
  assert.ok(text.split('REVOKED').length - 1 >= 2, text);
  assert.ok(text.includes('Amoxicillin'));
});

test('the PDF: an admin may see the prescription but not download it (403); strangers 404; anonymous 401', async (t) => {
  const app = await build(t);
  const c = await care(app);
  const rx = await issue(app, c);
  const admin = await createAdminUser(app);
  const url = `${RX}/${rx.id}/pdf`;
  expectProblem(await app.request('GET', url, { token: admin.token }), 403, 'FORBIDDEN');
  expectProblem(await app.request('GET', `${RX}/00000000-0000-4000-8000-000000000000/pdf`, { token: admin.token }), 404, 'NOT_FOUND');
  expectProblem(await app.request('GET', url, { token: (await createPatient(app)).token }), 404, 'NOT_FOUND');
  expectProblem(await app.request('GET', url, { token: (await createDoctor(app)).token }), 404, 'NOT_FOUND');
  expectProblem(await app.request('GET', url), 401, 'UNAUTHENTICATED');
  expectProblem(await app.request('GET', `${RX}/xyz/pdf`, { token: c.patient.token }), 400, 'VALIDATION_FAILED');
  const events = await auditEvents(app, 'prescription.pdf.read', rx.id);
  assert.deepEqual(
    events.map((e) => [e.actor_id, e.outcome]),
    [[admin.id, 'DENIED']],
  );
});

test('lists: patients see their own, doctors what they issued, admins all; filters narrow; reads are audited per patient', async (t) => {
  const app = await build(t);
  const d1 = await createDoctor(app);
  const d2 = await createDoctor(app);
  const p1 = await createPatient(app);
  const p2 = await createPatient(app);
  // Pauses keep issuedAt distinct, so the expected order does not hinge on the id tie-break.
  const a = await issue(app, await care(app, 'CONFIRMED', { doctor: d1, patient: p1 }));
  await sleep(3);
  const b = await issue(app, await care(app, 'CONFIRMED', { doctor: d1, patient: p2 }));
  await sleep(3);
  const cc = await care(app, 'COMPLETED', { doctor: d2, patient: p1 });
  const c = await issue(app, cc);
  await app.request('POST', `${RX}/${c.id}/revoke`, { token: d2.token, body: { reason: 'duplicate' } });
  const admin = await createAdminUser(app);
  const get = (token: string, qs = '') => app.request('GET', `${RX}${qs}`, { token });

  assert.deepEqual(ids(await get(p1.token)), [c.id, a.id]);
  assert.deepEqual(ids(await get(p2.token)), [b.id]);
  assert.deepEqual(ids(await get(d1.token)), [b.id, a.id]);
  assert.deepEqual(ids(await get(d2.token)), [c.id]);
  assert.deepEqual(ids(await get(admin.token)), [c.id, b.id, a.id]);
  assert.deepEqual(ids(await get(admin.token, `?patientId=${p1.id}`)), [c.id, a.id]);
  assert.deepEqual(ids(await get(admin.token, '?status=REVOKED')), [c.id]);
  assert.deepEqual(ids(await get(d1.token, `?patientId=${p1.id}&status=ACTIVE`)), [a.id]);
  // A filter outside the caller's scope finds nothing rather than widening it.
  assert.deepEqual(ids(await get(p2.token, `?patientId=${p1.id}`)), []);
  assert.equal((await get(p1.token)).body.nextCursor, null);

  for (const qs of ['?limit=0', '?limit=101', '?status=EXPIRED', '?patientId=nope', '?cursor=garbage', '?cursor=WzEsMl0', '?colour=red']) {
    expectProblem(await get(admin.token, qs), 400, 'VALIDATION_FAILED');
  }
  expectProblem(await app.request('GET', RX), 401, 'UNAUTHENTICATED');

  const before = (await auditEvents(app, 'prescription.list')).length;
  await get(admin.token);
  const after = await auditEvents(app, 'prescription.list');
  assert.deepEqual(
    after
      .slice(before)
      .map((e) => e.patient_id)
      .sort(),
    [p1.id, p2.id].sort(),
  );
});

test('list pages neither skip nor repeat prescriptions while new ones are issued concurrently', async (t) => {
  const app = await build(t);
  const c = await care(app);
  const { appointmentFixture } = await import('../../../test/helpers.ts');
  // At most 10 prescriptions per appointment: each one here goes on a fresh appointment of the same pair.
  const issueOnNew = async (body: Record<string, unknown> = {}) =>
    issue(
      app,
      { ...c, appointmentId: await appointmentFixture(app, { doctorId: c.doctor.id, patientId: c.patient.id, status: 'CONFIRMED' }) },
      body,
    );
  const issued: { id: string; issuedAt: string }[] = [];
  for (let i = 0; i < 13; i++) issued.push((await issueOnNew({ items: [item({ medication: `Med ${i}` })] })) as any);
  const initial = issued.map((r) => r.id);
  const seen: string[] = [];
  let inserting = true;
  const writer = (async () => {
    while (inserting) await issueOnNew();
  })();
  for await (const page of pages(app, `${RX}?limit=4`, c.patient.token)) {
    seen.push(...ids(page));
    await issueOnNew(); // guarantee at least one insert between every two pages
  }
  inserting = false;
  await writer;
  assert.equal(new Set(seen).size, seen.length, 'no prescription appears twice');
  for (const id of initial) assert.ok(seen.includes(id), `prescription ${id} was skipped`);
  // Pages walk the keyset order: issuedAt descending, ties broken by id descending.
  const expected = [...issued].sort((x, y) => y.issuedAt.localeCompare(x.issuedAt) || (y.id > x.id ? 1 : -1)).map((r) => r.id);
  assert.deepEqual(
    seen.filter((id) => initial.includes(id)),
    expected,
  );
});

test("an Arabic patient's PDF is in Arabic, right to left, shaped, with Latin drug lines and codes intact, in the shipped font", async (t) => {
  const app = await build(t);
  const doctor = await createDoctor(app, {
    body: { firstname: 'Jürgen', lastname: 'Łukaszewicz', specialization: 'Internal Medicine', licenseNumber: 'DE-LIC-4711' },
  });
  const patient = await createPatient(app, { body: { firstname: 'فاطمة', lastname: 'الزهراء', dateOfBirth: '1990-12-10' } });
  const chose = await app.request('PATCH', '/api/v1/me', { token: patient.token, body: { locale: 'ar', timeZone: 'Africa/Casablanca' } });
  assert.equal(chose.status, 200, chose.text);
  const c = await care(app, 'CONFIRMED', { doctor, patient });
  const rx = await issue(app, c, {
    items: [item({ medication: 'Amoxicillin', strength: '500 mg', dosage: '1 capsule', instructions: 'تؤخذ مع الطعام' })],
    notes: 'الراحة وشرب الكثير من الماء',
  });
  const { text, raw } = await pdfText(app, rx.id, patient.token);
  // The labels from locales/ar.json (ones whose letters extract back one to one: pdf.js and poppler hand the
  // lam-alef ligature's two letters back reversed), the patient's data in Arabic script, shaped glyphs
  // mapped back to the letters they print.
  for (const expected of [
    'وصفة طبية',
    'الطبيب الواصف',
    'المريض',
    'التخصص',
    'رقم الترخيص',
    'DE-LIC-4711',
    'فاطمة الزهراء',
    'تؤخذ مع الطعام',
    'الراحة وشرب الكثير من الماء',
    'رمز التحقق',
    'يمكن للصيدليات التحقق من هذه الوصفة',
    'Jürgen Łukaszewicz',
    'Internal Medicine',
    'Africa/Casablanca',
    rx.id,
  ]) {
    assert.ok(text.includes(expected), `PDF text lacks "${expected}":\n${text}`);
  }
  // Values set into Arabic sentences keep their own order (each is a bidi isolate): a date, a strength and
  // dose, a phone number would otherwise print as "10-12-1990", "mg 500", "capsule 1".
  for (const value of ['1990-12-10', '500 mg', '1 capsule']) assert.ok(text.includes(value), `"${value}" in order:\n${text}`);
  // The Latin drug line reads as written, its number on the right as Arabic lists put it.
  assert.match(text, /Amoxicillin 500 mg \.1/);
  assert.ok(!text.includes('Prescriber') && !text.includes('Verification code'), 'no English labels');
  // The verification code inside its Arabic sentence, and the address on its own line, both as written.
  assert.ok(text.includes(printedCode(rx.verificationCode)), `the verification code is intact:\n${text}`);
  assert.match(text, new RegExp(`^https?://\\S+${rx.verificationCode}$`, 'm'));
  // One font for every script, shipped with the server, embedded as a subset.
  const pdfSource = raw.toString('latin1');
  assert.match(pdfSource, /\/BaseFont \/[A-Z]{6}\+Vazirmatn-Regular/);
  assert.match(pdfSource, /\/BaseFont \/[A-Z]{6}\+Vazirmatn-Bold/);
  assert.match(pdfSource, /\/FontFile2 /);
  assert.match(pdfSource, /\/Lang \(ar\)/);
  assert.ok(!/\/BaseFont \/(Helvetica|DejaVu)/.test(pdfSource), 'no standard or host font');
  t.diagnostic(`Arabic prescription PDF: ${raw.length} bytes`);
});

test('every PDF, in any language, uses the shipped font and prints Latin Extended names as they are', async (t) => {
  const app = await build(t);
  const patient = await createPatient(app, { body: { firstname: 'Đorđe', lastname: 'Żółć-Ħal' } });
  assert.equal((await app.request('PATCH', '/api/v1/me', { token: patient.token, body: { locale: 'de' } })).status, 200);
  const c = await care(app, 'CONFIRMED', { patient });
  const rx = await issue(app, c);
  const { text, raw } = await pdfText(app, rx.id, patient.token);
  assert.ok(text.includes('Đorđe Żółć-Ħal'), text);
  assert.ok(text.includes('Rezept'), text);
  assert.match(raw.toString('latin1'), /\/BaseFont \/[A-Z]{6}\+Vazirmatn-Regular/);
  assert.match(raw.toString('latin1'), /\/Lang \(de\)/);
});

test('names in scripts the shipped font lacks (Greek, Cyrillic, Chinese, Japanese) print in the fallback fonts, not as empty boxes', async (t) => {
  const app = await build(t);
  const patient = await createPatient(app, { body: { firstname: 'Δημήτρης 王芳', lastname: 'Иванов-Müller さくら' } });
  assert.equal((await app.request('PATCH', '/api/v1/me', { token: patient.token, body: { locale: 'es' } })).status, 200);
  const c = await care(app, 'CONFIRMED', { patient });
  const rx = await issue(app, c, { items: [item({ instructions: 'Принимать после еды (after meals), 饭后服用' })] });
  const { text, raw } = await pdfText(app, rx.id, patient.token);
  assert.ok(text.includes('Δημήτρης 王芳 Иванов-Müller さくら'), text);
  assert.ok(text.includes('Принимать после еды (after meals), 饭后服用'), text);
  assert.ok(text.includes('Receta'), text);
  const source = raw.toString('latin1');
  // The labels and Latin text stay in Vazirmatn; Greek and Cyrillic go to DejaVu Sans, Chinese and kana to
  // Noto Sans SC, each embedded as a subset (the file stays small).
  assert.match(source, /\/BaseFont \/[A-Z]{6}\+Vazirmatn-Regular/);
  assert.match(source, /\/BaseFont \/[A-Z]{6}\+DejaVuSans/);
  assert.match(source, /\/BaseFont \/[A-Z]{6}\+NotoSansSC/);
  assert.ok(raw.length < 100_000, `${raw.length} bytes`);
  t.diagnostic(`prescription PDF with Greek, Cyrillic, Chinese and Japanese: ${raw.length} bytes`);
});

test('every user-supplied field prints as exactly its text on its own line: no line break or padding forges a line', async (t) => {
  const app = await build(t);
  const { sql } = await import('drizzle-orm');
  const forged = 'Rx 2. Oxycodone 80 mg x 100';
  const patient = await createPatient(app, { body: { firstname: 'Jane', lastname: 'Doe' } });
  const doctor = await createDoctor(app, { body: { specialization: 'Family medicine' } });
  // Names stored before single-line fields were enforced: a line break, and padding meant to wrap.
  await app.database.rows(
    sql`UPDATE users SET firstname = ${`Jane\n${forged}`}, lastname = ${`Doe${' '.repeat(60)}${forged}`} WHERE id = ${patient.id}`,
  );
  await app.database.rows(sql`UPDATE doctors SET specialization = ${`Family\r\n${forged}`} WHERE id = ${doctor.id}`);
  const c = await care(app, 'CONFIRMED', { doctor, patient });
  const rx = await issue(app, c, { items: [item({ medication: `Amoxicillin${' '.repeat(150)}x`, instructions: 'Take with food' })] });
  const { text } = await pdfText(app, rx.id, patient.token);
  const lines = text.split('\n').map((l) => l.trim());
  t.diagnostic(JSON.stringify(lines.slice(0, 14)));
  // The forged text appears only inside the lines that carry the name and the specialization.
  assert.ok(!lines.some((l) => l.startsWith('Rx 2.') || l.startsWith(forged)), 'no line begins with the forged item');
  assert.ok(
    lines.some((l) => l.includes('Jane') && l.includes(forged) && l.includes('Doe')),
    'the whole name is one line',
  );
  assert.ok(
    lines.some((l) => l.includes('Specialization: Family') && l.includes(forged)),
    'the specialization is one line',
  );
  assert.ok(
    lines.some((l) => /^1\. Amoxicillin\s+x 500 mg$/.test(l)),
    'the padded medication stays on its item line',
  );
  // New data cannot carry line breaks at all.
  const res = await app.request('POST', RX, {
    token: doctor.token,
    body: { appointmentId: c.appointmentId, items: [item({ medication: `Amoxicillin\n${forged}` })] },
  });
  expectProblem(res, 400, 'VALIDATION_FAILED');
});

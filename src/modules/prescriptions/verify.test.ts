import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PDFParse } from 'pdf-parse';
import { build, createAdminUser, createDoctor, createPatient, expectProblem, type TestApp } from '../../../test/helpers.ts';
import { RX, auditEvents, issue, item } from '../../../test/fixtures/prescriptions.ts';
import { care } from '../../../test/fixtures/care.ts';
import { newVerificationCode, normalizeCode } from './service.ts';
import sharp from 'sharp';

async function pdfText(app: TestApp, id: string, token: string): Promise<string> {
  const res = await fetch(`${app.url}${RX}/${id}/pdf`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(res.status, 200);
  const parser = new PDFParse({ data: new Uint8Array(await res.arrayBuffer()) });
  try {
    return (await parser.getText()).text;
  } finally {
    await parser.destroy();
  }
}

test('verification codes are 16 characters of Crockford base32, distinct, and read forgivingly', () => {
  const codes = new Set(Array.from({ length: 2000 }, newVerificationCode));
  assert.equal(codes.size, 2000);
  for (const c of codes) assert.match(c, /^[0-9A-HJKMNP-TV-Z]{16}$/);
  assert.equal(normalizeCode('abcd-efgh jkmn-pqrs'), 'ABCDEFGHJKMNPQRS');
  assert.equal(normalizeCode('o1il'), '0111');
});

test('a pharmacist checks a code: only status, date, doctor, initials, birth year and items with strength; revoked shows invalid; unknown 404', async (t) => {
  const app = await build(t);
  const doctor = await createDoctor(app, { body: { firstname: 'Greta', lastname: 'Hoffmann' } });
  const patient = await createPatient(app, { body: { firstname: 'Ada', lastname: 'Lovelace', dateOfBirth: '1990-12-10' } });
  const c = await care(app, 'CONFIRMED', { doctor, patient });
  const rx = await issue(app, c, {
    items: [
      item({ strength: '500 mg', dosage: '1 capsule' }),
      { medication: 'Ibuprofen', dosage: '400 mg', frequency: 'as needed', durationDays: 3 },
    ],
    notes: 'Secret clinical note',
  });
  assert.match(rx.verificationCode, /^[0-9A-Z]{16}$/);
  assert.equal(rx.items[0].strength, '500 mg');
  assert.equal(rx.items[0].dosage, '1 capsule');
  assert.equal(rx.items[1].strength, undefined, 'an item without strength stays valid and has none');

  const typed = rx.verificationCode.toLowerCase().replace(/(.{4})(?!$)/g, '$1-');
  const res = await app.request('GET', `${RX}/verify/${typed}`);
  assert.equal(res.status, 200, res.text);
  assert.match(res.headers.get('cache-control') ?? '', /no-store/);
  assert.deepEqual(res.body, {
    valid: true,
    status: 'ACTIVE',
    issuedAt: rx.issuedAt,
    revokedAt: null,
    doctorName: 'Dr. Greta Hoffmann',
    patientInitials: 'A. L.',
    patientBirthYear: 1990,
    items: [
      { medication: 'Amoxicillin', strength: '500 mg' },
      { medication: 'Ibuprofen', strength: null },
    ],
  });
  assert.doesNotMatch(res.text, /Secret|Lovelace|capsule|1990-12-10/);

  // The check is a disclosure about the patient: in their access log, with nobody signed in.
  const events = await auditEvents(app, 'prescription.verify', rx.id);
  assert.deepEqual(
    events.map((e) => [e.actor_id, e.patient_id, e.outcome]),
    [[null, patient.id, 'SUCCESS']],
  );
  const log = await app.request('GET', '/api/v1/patients/me/access-log', { token: patient.token });
  assert.ok(log.body.items.some((e: { action: string }) => e.action === 'prescription.verify'));

  expectProblem(await app.request('GET', `${RX}/verify/${newVerificationCode()}`), 404, 'NOT_FOUND');
  expectProblem(await app.request('GET', `${RX}/verify/short`), 400, 'VALIDATION_FAILED');
  expectProblem(await app.request('GET', `${RX}/verify/${'A'.repeat(15)}%3B`), 400, 'VALIDATION_FAILED');

  const revoked = await app.request('POST', `${RX}/${rx.id}/revoke`, { token: doctor.token, body: { reason: 'Wrong drug' } });
  assert.equal(revoked.status, 200);
  const after = await app.request('GET', `${RX}/verify/${rx.verificationCode}`);
  assert.equal(after.body.valid, false);
  assert.equal(after.body.status, 'REVOKED');
  assert.equal(after.body.revokedAt, revoked.body.revokedAt);
  assert.doesNotMatch(after.text, /Wrong drug/);
});

test('verification is rate limited per address (429 past the budget)', async (t) => {
  const app = await build(t, { rateLimitMax: 10_000 });
  const code = newVerificationCode();
  const statuses: number[] = [];
  for (let i = 0; i < 31; i++) statuses.push((await app.request('GET', `${RX}/verify/${code}`)).status);
  assert.deepEqual(statuses.slice(0, 30), Array(30).fill(404));
  assert.equal(statuses[30], 429);
});

test("the PDF: the practice's header and logo, strength and dose apart, the patient's zone named, issued electronically with its verification code", async (t) => {
  const app = await build(t);
  const admin = await createAdminUser(app);
  const set = await app.request('PUT', '/api/v1/admin/clinic', {
    token: admin.token,
    body: {
      name: 'Praxis am Markt',
      addressLines: ['Am Markt 3', '20095 Hamburg'],
      phone: '+49 40 123456',
      contactEmail: 'praxis@example.test',
      primaryColor: null,
      accentColor: null,
      mailFooter: null,
    },
  });
  assert.equal(set.status, 200, set.text);
  const logo = await sharp({ create: { width: 200, height: 100, channels: 3, background: '#1f4e79' } })
    .png()
    .toBuffer();
  const up = await fetch(`${app.url}/api/v1/admin/clinic/logo`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${admin.token}`, 'content-type': 'image/png' },
    body: new Uint8Array(logo),
  });
  assert.equal(up.status, 200);

  const doctor = await createDoctor(app, { body: { firstname: 'Greta', lastname: 'Hoffmann', licenseNumber: 'HH-4711' } });
  const patient = await createPatient(app, { body: { firstname: 'Ada', lastname: 'Lovelace', timeZone: 'America/New_York' } });
  const c = await care(app, 'CONFIRMED', { doctor, patient });
  const rx = await issue(app, c, {
    items: [item({ strength: '250 mg/5 ml', dosage: '10 ml' }), item({ medication: 'Ibuprofen', dosage: '400 mg' })],
  });
  const text = await pdfText(app, rx.id, patient.token);
  for (const expected of [
    'Praxis am Markt',
    'Am Markt 3',
    '20095 Hamburg',
    'Phone: +49 40 123456',
    'praxis@example.test',
    '1. Amoxicillin 250 mg/5 ml',
    'Strength: 250 mg/5 ml',
    'Dose: 10 ml',
    // An item without a strength prints as before: its dosage beside the name, no separate fields.
    '2. Ibuprofen 400 mg',
    '(America/New_York)',
    'Electronically issued by Dr. Greta Hoffmann (license HH-4711) on',
    `Verification code: ${rx.verificationCode.match(/.{4}/g)!.join('-')}`,
    `http://telecare.test/verify/prescription?code=${rx.verificationCode}`,
  ]) {
    assert.ok(text.includes(expected), `PDF text lacks "${expected}":\n${text}`);
  }
  assert.doesNotMatch(text, /Signature/);
  assert.doesNotMatch(text, /_{5,}/);
  assert.doesNotMatch(text, /Dose: 400 mg/);
  // The issue time in the patient's zone, the zone named, and the same instant in UTC.
  const local = new Intl.DateTimeFormat('en-GB', {
    timeZone: 'America/New_York',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(new Date(rx.issuedAt));
  assert.ok(text.includes(`${local} (America/New_York)`), text);
  assert.ok(text.includes(`${rx.issuedAt.slice(0, 16).replace('T', ' ')} UTC`), text);

  // A German patient reads it in German; an Arabic one in Arabic.
  const speaking = async (locale: string, timeZone: string) => {
    const p = await createPatient(app, { body: { timeZone } });
    assert.equal((await app.request('PATCH', '/api/v1/me', { token: p.token, body: { locale } })).status, 200);
    return p;
  };
  const de = await speaking('de', 'Europe/Berlin');
  const deRx = await issue(app, await care(app, 'CONFIRMED', { doctor, patient: de }), {
    items: [item({ strength: '500 mg', dosage: '1 Kapsel' })],
  });
  const deText = await pdfText(app, deRx.id, de.token);
  for (const expected of [
    'Rezept',
    'Stärke: 500 mg',
    'Dosis: 1 Kapsel',
    'Elektronisch ausgestellt von Dr. Greta Hoffmann',
    '(Europe/Berlin)',
    'Prüfcode:',
  ]) {
    assert.ok(deText.includes(expected), `German PDF lacks "${expected}":\n${deText}`);
  }
  const ar = await speaking('ar', 'Asia/Riyadh');
  const arRx = await issue(app, await care(app, 'CONFIRMED', { doctor, patient: ar }));
  const arText = await pdfText(app, arRx.id, ar.token);
  assert.ok(arText.includes('صدرت إلكترونيًا من د.') && arText.includes('Asia/Riyadh'), arText);
  assert.ok(!arText.includes('Electronically issued by'), arText);
});

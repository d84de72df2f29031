import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'drizzle-orm';
import sharp from 'sharp';
import {
  build,
  createAdminUser,
  createDoctor,
  createPatient,
  expectProblem,
  mailbox,
  type Person,
  type TestApp,
} from '../../../test/helpers.ts';
import { API, book, pinNow, workingDoctor } from '../../../test/fixtures/booking.ts';
import { invitationOf } from '../../../test/fixtures/notifications.ts';
import { contrastWithWhite } from './contrast.ts';

let app: TestApp;
let admin: Person;
before(async () => {
  app = await build(undefined, { reminderPollMs: 3_600_000 });
  pinNow(app, '2027-01-04T07:00:00.000Z');
  admin = await createAdminUser(app);
});
after(async () => {
  await app.close();
});

const settings = (overrides: Record<string, unknown> = {}) => ({
  name: 'Praxis Dr. Weiß',
  addressLines: ['Hauptstraße 1', '10115 Berlin'],
  phone: '+49 30 1234567',
  contactEmail: 'praxis@example.test',
  primaryColor: '#1F4E79',
  accentColor: '#8a1c1c',
  mailFooter: 'Praxis Dr. Weiß · Hauptstraße 1\nSprechzeiten Mo–Fr 8–12 Uhr',
  ...overrides,
});

async function putLogo(token: string | undefined, body: Buffer, type = 'image/png') {
  const headers: Record<string, string> = { 'content-type': type };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${app.url}${API}/admin/clinic/logo`, { method: 'PUT', headers, body: new Uint8Array(body) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined, text };
}

const auditCount = async (action: string) =>
  (await app.database.rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM audit_events WHERE action = ${action}`))[0].n;

test('the contrast rule is WCAG 2: white on white is 1:1, on black 21:1, on #767676 just over 4.5:1', () => {
  assert.equal(contrastWithWhite('#ffffff').toFixed(2), '1.00');
  assert.equal(contrastWithWhite('#000000').toFixed(2), '21.00');
  assert.ok(contrastWithWhite('#767676') >= 4.5 && contrastWithWhite('#777777') < 4.5);
});

test('the clinic is public and starts as "Telecare" without address, colours or logo', async () => {
  const res = await app.request('GET', `${API}/clinic`);
  assert.equal(res.status, 200);
  assert.deepEqual(
    { ...res.body, updatedAt: undefined },
    {
      name: 'Telecare',
      addressLines: [],
      phone: null,
      contactEmail: null,
      primaryColor: null,
      accentColor: null,
      mailFooter: null,
      logoUrl: null,
      updatedAt: undefined,
    },
  );
  expectProblem(await app.request('GET', `${API}/clinic/logo`), 404, 'NOT_FOUND');
});

test('only admins change the settings: anonymous 401, patient and doctor 403, nothing written', async () => {
  const patient = await createPatient(app);
  const doctor = await createDoctor(app);
  expectProblem(await app.request('PUT', `${API}/admin/clinic`, { body: settings() }), 401, 'UNAUTHENTICATED');
  expectProblem(await app.request('PUT', `${API}/admin/clinic`, { token: patient.token, body: settings() }), 403, 'FORBIDDEN');
  expectProblem(await app.request('PUT', `${API}/admin/clinic`, { token: doctor.token, body: settings() }), 403, 'FORBIDDEN');
  expectProblem(
    await putLogo(
      doctor.token,
      await sharp({ create: { width: 8, height: 8, channels: 3, background: '#fff' } })
        .png()
        .toBuffer(),
    ),
    403,
    'FORBIDDEN',
  );
  expectProblem(await app.request('DELETE', `${API}/admin/clinic/logo`, { token: patient.token }), 403, 'FORBIDDEN');
  assert.equal((await app.request('GET', `${API}/clinic`)).body.name, 'Telecare');
});

test('bad input is 400 and writes nothing: a colour white text cannot be read on, a malformed colour, an unknown field', async () => {
  const before = (await app.request('GET', `${API}/clinic`)).body;
  const pale = await app.request('PUT', `${API}/admin/clinic`, { token: admin.token, body: settings({ primaryColor: '#ffcc00' }) });
  expectProblem(pale, 400, 'VALIDATION_FAILED');
  assert.equal(pale.body.errors[0].path, '/primaryColor');
  assert.match(pale.body.errors[0].message, /contrast of 1\.\d\d:1 \(WCAG AA needs 4\.5:1\)/);
  const grey = await app.request('PUT', `${API}/admin/clinic`, { token: admin.token, body: settings({ accentColor: '#777777' }) });
  expectProblem(grey, 400, 'VALIDATION_FAILED');
  assert.equal(grey.body.errors[0].path, '/accentColor');
  for (const bad of [
    settings({ primaryColor: 'red' }),
    settings({ primaryColor: '#12345' }),
    settings({ name: '' }),
    settings({ name: 'Line\nbreak' }),
    settings({ addressLines: ['1', '2', '3', '4', '5', '6'] }),
    settings({ mailFooter: 'x'.repeat(1001) }),
    settings({ contactEmail: 'not an address' }),
    settings({ logo: 'x' }),
  ]) {
    expectProblem(await app.request('PUT', `${API}/admin/clinic`, { token: admin.token, body: bad }), 400, 'VALIDATION_FAILED');
  }
  assert.deepEqual((await app.request('GET', `${API}/clinic`)).body, before);
  assert.equal(await auditCount('clinic.update'), 0);
});

test('an admin sets the clinic: answered and read back (colours in lower case), audited', async () => {
  const res = await app.request('PUT', `${API}/admin/clinic`, { token: admin.token, body: settings() });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.body.primaryColor, '#1f4e79');
  const read = await app.request('GET', `${API}/clinic`);
  assert.deepEqual(read.body, res.body);
  assert.deepEqual(read.body.addressLines, ['Hauptstraße 1', '10115 Berlin']);
  assert.equal(await auditCount('clinic.update'), 1);
});

test('a logo is judged by its bytes, bounded, re-encoded without metadata and served with an ETag', async () => {
  // Not an image, whatever it claims: 415.
  expectProblem(
    await putLogo(admin.token, Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'), 'image/png'),
    415,
    'UNSUPPORTED_MEDIA_TYPE',
  );
  expectProblem(await putLogo(admin.token, Buffer.from('GIF89a......'), 'application/octet-stream'), 415, 'UNSUPPORTED_MEDIA_TYPE');
  // A PNG signature on a body that does not decode: 415.
  expectProblem(
    await putLogo(admin.token, Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.alloc(64)])),
    415,
    'UNSUPPORTED_MEDIA_TYPE',
  );
  // One byte over 512 KiB: 413 before anything is decoded.
  expectProblem(await putLogo(admin.token, Buffer.alloc(512 * 1024 + 1, 0x89)), 413, 'PAYLOAD_TOO_LARGE');
  // Small on the wire, 25 megapixels decoded: 413 from its header.
  const huge = await sharp({ create: { width: 5000, height: 5000, channels: 3, background: '#123456' } })
    .png()
    .toBuffer();
  assert.ok(huge.length < 512 * 1024);
  expectProblem(await putLogo(admin.token, huge), 413, 'PAYLOAD_TOO_LARGE');
  assert.equal((await app.request('GET', `${API}/clinic`)).body.logoUrl, null);

  // A JPEG with EXIF (a camera and GPS position), 1200 × 600, sent as octet-stream.
  const photo = await sharp({ create: { width: 1200, height: 600, channels: 3, background: '#1f4e79' } })
    .jpeg()
    .withMetadata({ exif: { IFD0: { Make: 'SecretCam', Software: 'leak' } } })
    .toBuffer();
  assert.ok((await sharp(photo).metadata()).exif);
  const set = await putLogo(admin.token, photo, 'application/octet-stream');
  assert.equal(set.status, 200, set.text);
  assert.match(set.body.logoUrl, /^\/api\/v1\/clinic\/logo\?v=[0-9a-f]{16}$/);

  const served = await fetch(`${app.url}${set.body.logoUrl}`);
  assert.equal(served.status, 200);
  assert.equal(served.headers.get('content-type'), 'image/jpeg');
  assert.match(served.headers.get('cache-control') ?? '', /immutable/);
  const etag = served.headers.get('etag')!;
  assert.match(etag, /^"[0-9a-f]{64}"$/);
  const bytes = Buffer.from(await served.arrayBuffer());
  const meta = await sharp(bytes).metadata();
  assert.deepEqual([meta.format, meta.width, meta.height], ['jpeg', 512, 256]);
  assert.equal(meta.exif, undefined);
  assert.ok(!bytes.includes(Buffer.from('SecretCam')));

  // The stable address revalidates; the ETag answers 304.
  const plain = await fetch(`${app.url}${API}/clinic/logo`);
  assert.match(plain.headers.get('cache-control') ?? '', /no-cache/);
  await plain.arrayBuffer();
  const again = await fetch(`${app.url}${API}/clinic/logo`, { headers: { 'if-none-match': etag } });
  assert.equal(again.status, 304);
  assert.equal(await auditCount('clinic.logo.update'), 1);

  const removed = await app.request('DELETE', `${API}/admin/clinic/logo`, { token: admin.token });
  assert.equal(removed.status, 200);
  assert.equal(removed.body.logoUrl, null);
  expectProblem(await app.request('GET', `${API}/clinic/logo`), 404, 'NOT_FOUND');
  expectProblem(await putLogo(undefined, photo), 401, 'UNAUTHENTICATED');
});

test("mails carry the clinic: its name as From and in subjects, its footer (escaped in HTML), and the invitation's ORGANIZER", async () => {
  const name = 'Praxis "Am Markt" <Weiß & Co>';
  const footer = 'Am Markt 3, 20095 Hamburg\n<b>Tel.</b> 040 123';
  const res = await app.request('PUT', `${API}/admin/clinic`, {
    token: admin.token,
    body: settings({ name, mailFooter: footer }),
  });
  assert.equal(res.status, 200, res.text);

  // A verification mail rendered after the change: the name in its subject and (escaped) its HTML body.
  const patient = await createPatient(app);
  const verify = mailbox.mails.find((m) => m.to === patient.email.toLowerCase() && m.subject.startsWith('Verify'))!;
  assert.equal(verify.subject, `Verify your email address for ${name}`);
  assert.deepEqual(verify.from, { name, address: 'no-reply@telecare.localhost' });
  assert.ok(verify.html.includes('Praxis &#34;Am Markt&#34; &#60;Weiß &#38; Co&#62;'), verify.html);
  assert.ok(!verify.html.includes('<Weiß'), 'the name is never raw HTML');
  assert.ok(verify.html.includes('&#60;b&#62;Tel.&#60;/b&#62; 040 123'), verify.html);
  assert.match(verify.text, /\n-- \nAm Markt 3, 20095 Hamburg\n<b>Tel\.<\/b> 040 123\n$/);

  // A booking mail: From, footer, and the .ics ORGANIZER read back by a real iCalendar parser.
  const d = await workingDoctor(app);
  const booked = await book(app, patient, d.id, '2027-01-05T09:00:00.000Z');
  assert.equal(booked.status, 201, booked.text);
  const mail = await mailbox.waitFor(patient.email, /^Appointment/);
  assert.equal(mail.from.name, name);
  assert.match(mail.text, /-- \nAm Markt 3, 20095 Hamburg/);
  const inv = invitationOf(mail);
  const organizer = inv.event.organizer as unknown as { params: { CN: string }; val: string };
  assert.equal(organizer.val.toLowerCase(), 'mailto:no-reply@telecare.localhost');
  // RFC 6868: the quotes travel as ^' inside the quoted CN; the parser hands back the encoded value.
  assert.equal(organizer.params.CN.replace(/\^'/g, '"'), name);
  // Unfolded (RFC 5545 § 3.1), the property as written:
  assert.match(inv.raw.replace(/\r\n[ \t]/g, ''), /ORGANIZER;CN="Praxis \^'Am Markt\^' <Weiß & Co>":mailto:no-reply@telecare\.localhost/);

  // Back to a plain name: the next mail follows at once.
  await app.request('PUT', `${API}/admin/clinic`, { token: admin.token, body: settings({ name: 'Telecare', mailFooter: null }) });
  const later = await createPatient(app);
  const laterMail = mailbox.mails.find((m) => m.to === later.email.toLowerCase() && m.subject.startsWith('Verify'))!;
  assert.equal(laterMail.from.name, 'Telecare');
  assert.doesNotMatch(laterMail.text, /\n-- \n/);
});

// What a calendar travels with: a doctor's feed names patients by their initials unless the doctor
// chooses full names, and names in .ics documents are encoded per RFC 6868, so no name can end a
// parameter early or inject a property.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'drizzle-orm';
import ical from 'node-ical';
import { build, createPatient, expectProblem, type TestApp } from '../../../test/helpers.ts';
import { API, book, pinNow, workingDoctor } from '../../../test/fixtures/booking.ts';
import { invitation, paramText } from './ical.ts';

let app: TestApp;
before(async () => {
  app = await build(undefined, { reminderPollMs: 3_600_000 });
  pinNow(app, '2027-03-25T07:00:00.000Z');
});
after(async () => {
  await app.close();
});

const feedText = async (url: string) => (await app.request('GET', new URL(url).pathname)).text;
const summaries = (text: string) =>
  (Object.values(ical.sync.parseICS(text)).filter((c) => c?.type === 'VEVENT') as ical.VEvent[]).map((e) => String(e.summary));

test("a doctor's feed shows patients' initials by default; the doctor may choose full names, and back", async () => {
  const d = await workingDoctor(app);
  const p = await createPatient(app, { body: { firstname: 'Émilie', lastname: 'Zola' } });
  assert.equal((await book(app, p, d.id, '2027-03-26T09:00:00.000Z')).status, 201);
  const got = await app.request('GET', `${API}/me/calendar`, { token: d.token });
  assert.equal(got.status, 200, got.text);
  assert.equal(got.body.patientNames, 'INITIALS');
  assert.deepEqual(summaries(await feedText(got.body.url)), ['Appointment with É. Z.']);
  assert.doesNotMatch(await feedText(got.body.url), /Zola|Émilie/);

  const full = await app.request('PATCH', `${API}/me/calendar`, { token: d.token, body: { patientNames: 'FULL' } });
  assert.equal(full.status, 200, full.text);
  assert.deepEqual(full.body, { url: got.body.url, patientNames: 'FULL' });
  assert.match(full.headers.get('cache-control') ?? '', /no-store/);
  assert.deepEqual(summaries(await feedText(got.body.url)), ['Appointment with Émilie Zola']);
  // The choice survives a rotation.
  const rotated = await app.request('POST', `${API}/me/calendar/rotate`, { token: d.token });
  assert.equal(rotated.body.patientNames, 'FULL');
  assert.equal((await app.request('PATCH', `${API}/me/calendar`, { token: d.token, body: { patientNames: 'INITIALS' } })).status, 200);
  assert.deepEqual(summaries(await feedText(rotated.body.url)), ['Appointment with É. Z.']);
  const audited = await app.database.rows(sql`SELECT 1 FROM audit_events WHERE action = 'calendar_feed.update' AND actor_id = ${d.id}`);
  assert.equal(audited.length, 2);
  // The patient's own feed names the doctor in full.
  const mine = await app.request('GET', `${API}/me/calendar`, { token: p.token });
  assert.match(summaries(await feedText(mine.body.url))[0], new RegExp(`Dr\\. ${d.body.firstname} ${d.body.lastname}`));
});

test('PATCH /me/calendar: a doctor who has no feed yet gets one; a patient 403, anonymous 401, bad bodies 400', async () => {
  const d = await workingDoctor(app);
  const res = await app.request('PATCH', `${API}/me/calendar`, { token: d.token, body: { patientNames: 'FULL' } });
  assert.equal(res.status, 200, res.text);
  assert.match(res.body.url, /\/api\/v1\/calendar\/[A-Za-z0-9_-]{43}\.ics$/);
  assert.equal((await app.request('GET', `${API}/me/calendar`, { token: d.token })).body.url, res.body.url);
  expectProblem(
    await app.request('PATCH', `${API}/me/calendar`, { token: (await createPatient(app)).token, body: { patientNames: 'FULL' } }),
    403,
    'FORBIDDEN',
  );
  expectProblem(await app.request('PATCH', `${API}/me/calendar`, { body: { patientNames: 'FULL' } }), 401, 'UNAUTHENTICATED');
  for (const body of [{}, { patientNames: 'full' }, { patientNames: 'FULL', extra: 1 }, { patientNames: null }]) {
    expectProblem(await app.request('PATCH', `${API}/me/calendar`, { token: d.token, body }), 400, 'VALIDATION_FAILED');
  }
});

test('names in invitations are RFC 6868 parameter values: a quote or caret cannot end CN early or add a property', async () => {
  assert.equal(paramText('Ann "Q" ^ B'), "Ann ^'Q^' ^^ B");
  assert.equal(paramText('a\nb'), 'a^nb');
  const text = invitation(
    'en',
    {
      uid: 'u@x',
      sequence: 0,
      start: new Date('2027-03-26T09:00:00Z'),
      end: new Date('2027-03-26T09:30:00Z'),
      summary: 's',
      localTime: 'Fri, 26 Mar 2027, 10:00–10:30 (Europe/Berlin)',
      status: 'CONFIRMED',
      url: 'http://telecare.test/a',
      stamp: new Date('2027-03-25T07:00:00Z'),
    },
    'REQUEST',
    { name: 'Telecare', email: 'no-reply@telecare.test' },
    { name: 'O"Brien ^ X:evil;ROLE=CHAIR', email: 'p@x.test' },
  );
  const line = text
    .replace(/\r\n[ \t]/g, '')
    .split('\r\n')
    .find((l) => l.startsWith('ATTENDEE'))!;
  assert.equal(line, `ATTENDEE;ROLE=REQ-PARTICIPANT;CN="O^'Brien ^^ X:evil;ROLE=CHAIR":MAILTO:p@x.test`);
});

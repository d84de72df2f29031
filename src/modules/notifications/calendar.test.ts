import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'drizzle-orm';
import ical from 'node-ical';
import { build, createAdminUser, createPatient, expectProblem, request, type TestApp } from '../../../test/helpers.ts';
import { API, book, pinNow, workingDoctor } from '../../../test/fixtures/booking.ts';

let app: TestApp;
before(async () => {
  app = await build(undefined, { reminderPollMs: 3_600_000 });
  // Europe/Berlin leaves CET for CEST on Sunday 2027-03-28.
  pinNow(app, '2027-03-25T07:00:00.000Z');
});
after(async () => {
  await app.close();
});

/** The feed's path on this server (the URL's origin is PUBLIC_URL, not the test listener). */
const pathOf = (url: string) => new URL(url).pathname;

async function feedEvents(url: string) {
  const res = await app.request('GET', pathOf(url));
  assert.equal(res.status, 200, res.text);
  assert.match(res.headers.get('content-type') ?? '', /^text\/calendar; charset=utf-8/);
  assert.match(res.headers.get('cache-control') ?? '', /no-store/);
  const parsed = ical.sync.parseICS(res.text);
  return {
    text: res.text,
    events: (Object.values(parsed).filter((c) => c?.type === 'VEVENT') as ical.VEvent[]).sort(
      (a, b) => a.start.getTime() - b.start.getTime(),
    ),
  };
}

test('the feed URL is secret, stable until rotated, and a rotated URL answers 404 at once', async () => {
  const p = await createPatient(app);
  expectProblem(await app.request('GET', `${API}/me/calendar`), 401, 'UNAUTHENTICATED');
  expectProblem(await app.request('POST', `${API}/me/calendar/rotate`), 401, 'UNAUTHENTICATED');
  const first = await app.request('GET', `${API}/me/calendar`, { token: p.token });
  assert.equal(first.status, 200);
  assert.match(first.body.url, /^http:\/\/telecare\.test\/api\/v1\/calendar\/[A-Za-z0-9_-]{43}\.ics$/);
  assert.match(first.headers.get('cache-control') ?? '', /no-store/);
  assert.equal((await app.request('GET', `${API}/me/calendar`, { token: p.token })).body.url, first.body.url);
  assert.equal((await app.request('GET', pathOf(first.body.url))).status, 200);
  // Only a hash of the token is stored.
  const token = /calendar\/([^.]+)\.ics/.exec(first.body.url)![1];
  const stored = await app.database.rows(sql`SELECT 1 FROM calendar_feeds WHERE token_hash = ${token} OR nonce = ${token}`);
  assert.equal(stored.length, 0);

  const rotated = await app.request('POST', `${API}/me/calendar/rotate`, { token: p.token });
  assert.equal(rotated.status, 200);
  assert.notEqual(rotated.body.url, first.body.url);
  expectProblem(await app.request('GET', pathOf(first.body.url)), 404, 'NOT_FOUND');
  assert.equal((await app.request('GET', pathOf(rotated.body.url))).status, 200);
  assert.equal((await app.request('GET', `${API}/me/calendar`, { token: p.token })).body.url, rotated.body.url);

  // Another user's feed is another URL; guesses and malformed tokens are 404 like unknown ones.
  const other = await createPatient(app);
  assert.notEqual((await app.request('GET', `${API}/me/calendar`, { token: other.token })).body.url, rotated.body.url);
  for (const bad of ['A'.repeat(43), 'short', 'x'.repeat(60), 'a.b', '%00'.repeat(3)]) {
    expectProblem(await app.request('GET', `${API}/calendar/${bad}.ics`), 404, 'NOT_FOUND');
  }
  expectProblem(await app.request('POST', `${API}/me/calendar/rotate`, { token: p.token, body: { x: 1 } }), 400, 'VALIDATION_FAILED');
});

test('the feed carries the upcoming appointments with the right UTC times across the daylight-saving change', async () => {
  const d = await workingDoctor(app);
  const p = await createPatient(app);
  // 09:00 Berlin on Saturday (CET, UTC+1) and on Monday (CEST, UTC+2).
  const sat = await book(app, p, d.id, '2027-03-27T08:00:00.000Z', { reason: 'Palpitations' });
  const mon = await book(app, p, d.id, '2027-03-29T07:00:00.000Z');
  const gone = await book(app, p, d.id, '2027-03-30T07:00:00.000Z');
  assert.equal((await app.request('POST', `${API}/appointments/${gone.body.id}/cancel`, { token: p.token })).status, 200);
  assert.equal((await app.request('POST', `${API}/appointments/${mon.body.id}/confirm`, { token: d.token })).status, 200);

  const url = (await app.request('GET', `${API}/me/calendar`, { token: p.token })).body.url;
  const { text, events } = await feedEvents(url);
  assert.deepEqual(
    events.map((e) => e.start.toISOString()),
    ['2027-03-27T08:00:00.000Z', '2027-03-29T07:00:00.000Z'],
  );
  assert.deepEqual(
    events.map((e) => e.end?.toISOString()),
    ['2027-03-27T08:30:00.000Z', '2027-03-29T07:30:00.000Z'],
  );
  assert.deepEqual(
    events.map((e) => e.uid),
    [`${sat.body.id}@telecare.test`, `${mon.body.id}@telecare.test`],
  );
  assert.deepEqual(
    events.map((e) => e.status),
    ['TENTATIVE', 'CONFIRMED'],
  );
  assert.deepEqual(
    events.map((e) => Number(e.sequence)),
    [0, 1],
  );
  assert.equal(events[0].summary, 'Appointment with Dr. Doc Tor');
  // Both are 09:00 on the doctor's wall clock, and the zone is named.
  assert.match(String(events[0].description), /Sat, 27 Mar 2027, 09:00–09:30 \(Europe\/Berlin\)/);
  assert.match(String(events[1].description), /Mon, 29 Mar 2027, 09:00–09:30 \(Europe\/Berlin\)/);
  assert.doesNotMatch(text, /Palpitations/);

  // The doctor's feed shows the same events under the patient's initials (a feed URL travels).
  const dUrl = (await app.request('GET', `${API}/me/calendar`, { token: d.token })).body.url;
  const docFeed = await feedEvents(dUrl);
  assert.deepEqual(
    docFeed.events.map((e) => e.uid),
    events.map((e) => e.uid),
  );
  assert.equal(docFeed.events[0].summary, 'Appointment with P. I.');

  // Once an appointment has ended it leaves the feed.
  pinNow(app, '2027-03-28T12:00:00.000Z');
  assert.deepEqual(
    (await feedEvents(url)).events.map((e) => e.start.toISOString()),
    ['2027-03-29T07:00:00.000Z'],
  );
  pinNow(app, '2027-03-25T07:00:00.000Z');

  // Reading a feed is an access to the patient's appointments.
  const audited = await app.database.rows(
    sql`SELECT 1 FROM audit_events WHERE action = 'calendar_feed.read' AND patient_id = ${p.id} AND actor_id = ${d.id}`,
  );
  assert.ok(audited.length >= 1);
});

test("a suspended owner's feed answers 404; an admin's feed is empty", async () => {
  const p = await createPatient(app);
  const url = (await app.request('GET', `${API}/me/calendar`, { token: p.token })).body.url;
  const admin = await createAdminUser(app);
  assert.equal(
    (await app.request('PATCH', `${API}/admin/users/${p.id}`, { token: admin.token, body: { accountStatus: 'SUSPENDED' } })).status,
    200,
  );
  expectProblem(await request(app.url, 'GET', pathOf(url)), 404, 'NOT_FOUND');
  const adminUrl = (await app.request('GET', `${API}/me/calendar`, { token: admin.token })).body.url;
  assert.equal((await feedEvents(adminUrl)).events.length, 0);
});

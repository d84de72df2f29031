// The in-portal notification list (issue 25, point 5): its endpoints, which change notifies whom (never the
// one who acted, never medical content), the collapse of messages per conversation, the per-user cap, the
// live frame, the message digest mail and the admins' mail about a doctor awaiting verification.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import {
  build,
  connectWs,
  createAdminUser,
  createDoctor,
  createPatient,
  doctorBody,
  mailbox,
  type Person,
  type TestApp,
} from '../../../test/helpers.ts';
import { API, book, pinNow, workingDoctor } from '../../../test/fixtures/booking.ts';
import { care } from '../../../test/fixtures/care.ts';
import { issue } from '../../../test/fixtures/prescriptions.ts';
import { bookedDoctor, cancel, joined, NOW } from '../../../test/fixtures/waitlist.ts';
import { outboxDrained } from '../../../test/fixtures/notifications.ts';
import { pinClock } from '../../platform/clock.ts';
import { runDueDigests } from '../messages/digest.ts';
import { PER_USER_CAP } from './repo.ts';

let app: TestApp;
before(async () => {
  // Digest passes are run by the tests, at pinned times (the workers' own polls stay out of the way).
  app = await build(undefined, { reminderPollMs: 3_600_000, messageDigestDelayMinutes: 15 });
});
after(async () => {
  await app.close();
});

const N = `${API}/me/notifications`;
const list = async (who: Person, query = '') => {
  const res = await app.request('GET', `${N}${query}`, { token: who.token });
  assert.equal(res.status, 200, res.text);
  return res.body as { items: any[]; nextCursor: string | null };
};
const unread = async (who: Person) => {
  const res = await app.request('GET', `${N}/unread-count`, { token: who.token });
  assert.equal(res.status, 200, res.text);
  return res.body.count as number;
};
/** The caller's entries of these kinds (the doctor.verified entry every test doctor has is left out). */
const ofKinds = async (who: Person, ...kinds: string[]) => (await list(who, '?limit=100')).items.filter((n) => kinds.includes(n.kind));
const send = async (from: Person, to: Person, body: string) => {
  const res = await app.request('POST', `${API}/conversations/${to.id}/messages`, { token: from.token, body: { body } });
  assert.equal(res.status, 201, res.text);
  return res.body as { id: string };
};

test('every endpoint answers 401 without a token', async () => {
  const id = randomUUID();
  for (const [method, path] of [
    ['GET', N],
    ['GET', `${N}/unread-count`],
    ['POST', `${N}/${id}/read`],
    ['POST', `${N}/read-all`],
    ['GET', `${API}/admin/doctors/pending-count`],
  ] as const) {
    const res = await app.request(method, path);
    assert.equal(res.status, 401, `${method} ${path}`);
    assert.equal(res.body.code, 'UNAUTHENTICATED');
  }
});

test('a bad cursor, limit, filter or id is 400; another user’s entry and an unknown id are 404; nothing is marked read', async () => {
  const c = await care(app);
  await send(c.patient, c.doctor, 'Hello');
  const [entry] = await ofKinds(c.doctor, 'message.received');
  assert.ok(entry);
  for (const q of ['?cursor=bm90LWEtY3Vyc29y', '?cursor=!!', '?limit=0', '?limit=101', '?unread=maybe', '?other=1']) {
    const res = await app.request('GET', `${N}${q}`, { token: c.doctor.token });
    assert.equal(res.status, 400, q);
    assert.equal(res.body.code, 'VALIDATION_FAILED');
  }
  const bad = await app.request('POST', `${N}/not-a-uuid/read`, { token: c.doctor.token });
  assert.equal(bad.status, 400);
  const foreign = await app.request('POST', `${N}/${entry.id}/read`, { token: c.patient.token });
  assert.equal(foreign.status, 404);
  assert.equal(foreign.body.code, 'NOT_FOUND');
  assert.equal((await app.request('POST', `${N}/${randomUUID()}/read`, { token: c.doctor.token })).status, 404);
  assert.equal((await ofKinds(c.doctor, 'message.received'))[0].readAt, null);
  // Admins' count is theirs only.
  const pending = await app.request('GET', `${API}/admin/doctors/pending-count`, { token: c.doctor.token });
  assert.equal(pending.status, 403);
});

test('booking, confirmation, reschedule and cancellation notify the other party only, pointing at the appointment, with no reason', async () => {
  pinNow(app, '2027-01-04T07:00:00.000Z');
  try {
    const d = await workingDoctor(app);
    const p = await createPatient(app);
    const booked = await book(app, p, d.id, '2027-01-05T09:00:00.000Z', { reason: 'Chest pain since Tuesday' });
    assert.equal(booked.status, 201, booked.text);
    const id = booked.body.id;
    const kinds = ['appointment.booked', 'appointment.confirmed', 'appointment.rescheduled', 'appointment.cancelled'];

    let toDoctor = await ofKinds(d, ...kinds);
    assert.deepEqual(
      toDoctor.map((n) => [n.kind, n.appointmentId, n.person.id, n.person.role, n.readAt, n.count]),
      [['appointment.booked', id, p.id, 'PATIENT', null, 1]],
    );
    assert.deepEqual(await ofKinds(p, ...kinds), [], 'the patient booked it: nothing for them');

    assert.equal((await app.request('POST', `${API}/appointments/${id}/confirm`, { token: d.token })).status, 200);
    assert.deepEqual(
      (await ofKinds(p, ...kinds)).map((n) => [n.kind, n.appointmentId, n.person.id, n.person.role]),
      [['appointment.confirmed', id, d.id, 'DOCTOR']],
    );
    const rs = await app.request('POST', `${API}/appointments/${id}/reschedule`, {
      token: p.token,
      body: { startsAt: '2027-01-06T13:00:00.000Z' },
    });
    assert.equal(rs.status, 200, rs.text);
    const cancel = await app.request('POST', `${API}/appointments/${id}/cancel`, {
      token: d.token,
      body: { reason: 'Lab results pending' },
    });
    assert.equal(cancel.status, 200, cancel.text);

    toDoctor = await ofKinds(d, ...kinds);
    assert.deepEqual(
      toDoctor.map((n) => n.kind),
      ['appointment.rescheduled', 'appointment.booked'],
    );
    assert.deepEqual(
      (await ofKinds(p, ...kinds)).map((n) => n.kind),
      ['appointment.cancelled', 'appointment.confirmed'],
    );
    const everything = JSON.stringify([await list(d, '?limit=100'), await list(p, '?limit=100')]);
    assert.doesNotMatch(everything, /Chest pain|Lab results/);
  } finally {
    pinClock(app.app.platform, null);
  }
});

test('a prescription notifies its patient (never its items); the doctor who issued it gets nothing', async () => {
  const c = await care(app);
  const rx = await issue(app, c);
  const entries = await ofKinds(c.patient, 'prescription.issued');
  assert.deepEqual(
    entries.map((n) => [n.prescriptionId, n.person.id, n.appointmentId]),
    [[rx.id, c.doctor.id, null]],
  );
  assert.deepEqual(await ofKinds(c.doctor, 'prescription.issued'), []);
  assert.doesNotMatch(JSON.stringify(await list(c.patient, '?limit=100')), /Amoxicillin|500 mg|with food/);
});

test('messages collapse into one unread entry per conversation, announced live; reading the conversation reads it', async () => {
  const c = await care(app);
  const other = await care(app, 'CONFIRMED', { doctor: c.doctor });
  const ws = await connectWs(app, c.doctor.token);
  try {
    const before = await unread(c.doctor);
    const m1 = await send(c.patient, c.doctor, 'My secret symptom one');
    const first = await ws.next((f) => f.type === 'notification.created' && f.notification.kind === 'message.received');
    assert.equal(first.notification.person.id, c.patient.id);
    assert.equal(first.notification.count, 1);
    await send(c.patient, c.doctor, 'My secret symptom two');
    await send(c.patient, c.doctor, 'My secret symptom three');
    await send(other.patient, c.doctor, 'Another secret');
    // Each bump is announced anew with its count.
    await ws.next((f) => f.type === 'notification.created' && f.notification.count === 3);
    const entries = await ofKinds(c.doctor, 'message.received');
    assert.deepEqual(
      entries.map((n) => [n.person.id, n.count, n.readAt]),
      [
        [other.patient.id, 1, null],
        [c.patient.id, 3, null],
      ],
    );
    assert.equal(await unread(c.doctor), before + 2);
    assert.deepEqual(await ofKinds(c.patient, 'message.received'), [], 'the sender is not notified');
    assert.doesNotMatch(JSON.stringify([entries, ws.frames.filter((f) => f.type === 'notification.created')]), /secret/);
    const rowsNow = await app.database.rows<{ n: number }>(
      sql`SELECT count(*)::int AS n FROM user_notifications WHERE user_id = ${c.doctor.id} AND kind = 'message.received'`,
    );
    assert.equal(rowsNow[0].n, 2, 'one row per conversation, not per message');

    // Reading the conversation reads its entry; the next message makes a new unread one.
    const read = await app.request('POST', `${API}/conversations/${c.patient.id}/read`, { token: c.doctor.token, body: { upTo: m1.id } });
    assert.equal(read.status, 204, read.text);
    const afterRead = await ofKinds(c.doctor, 'message.received');
    assert.ok(afterRead.find((n) => n.person.id === c.patient.id).readAt);
    await send(c.patient, c.doctor, 'Four');
    const fresh = (await ofKinds(c.doctor, 'message.received')).filter((n) => n.person.id === c.patient.id);
    assert.deepEqual(
      fresh.map((n) => [n.count, n.readAt === null]),
      [
        [1, true],
        [3, false],
      ],
    );
  } finally {
    ws.ws.close();
  }
});

test('mark one read, mark all read, the unread filter and the count agree', async () => {
  const c = await care(app);
  const a = await care(app, 'CONFIRMED', { doctor: c.doctor });
  await send(c.patient, c.doctor, 'x');
  await send(a.patient, c.doctor, 'y');
  const all = await list(c.doctor, '?unread=true');
  const n = await unread(c.doctor);
  assert.equal(all.items.length, n);
  assert.ok(n >= 2);
  const target = all.items[0];
  const r = await app.request('POST', `${N}/${target.id}/read`, { token: c.doctor.token });
  assert.equal(r.status, 204);
  assert.equal(r.text, '');
  // Again: no change, still 204.
  assert.equal((await app.request('POST', `${N}/${target.id}/read`, { token: c.doctor.token })).status, 204);
  assert.equal(await unread(c.doctor), n - 1);
  assert.ok(!(await list(c.doctor, '?unread=true')).items.some((x) => x.id === target.id));
  assert.equal((await app.request('POST', `${N}/read-all`, { token: c.doctor.token })).status, 204);
  assert.equal(await unread(c.doctor), 0);
  assert.deepEqual((await list(c.doctor, '?unread=true')).items, []);
  // The other users' entries are untouched.
  assert.equal((await app.request('POST', `${N}/read-all`, { token: c.patient.token })).status, 204);
});

test('the list pages by keyset to its end, newest first, and a user keeps at most the cap', async () => {
  const p = await createPatient(app);
  const d = await createDoctor(app);
  // 45 old entries straight into the table (a fixture), then real ones on top through the API.
  await app.database.rows(sql`
    INSERT INTO user_notifications (user_id, kind, person_id, created_at)
    SELECT ${p.id}, 'waitlist.offer', ${d.id}, now() - make_interval(mins => g) FROM generate_series(1, 45) g`);
  const seen: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page = await list(p, `?limit=20${cursor ? `&cursor=${cursor}` : ''}`);
    seen.push(...page.items.map((x) => x.id));
    cursor = page.nextCursor;
    pages++;
  } while (cursor);
  assert.equal(pages, 3);
  assert.equal(new Set(seen).size, 45);
  assert.equal(await unread(p), 45);

  await app.database.rows(sql`
    INSERT INTO user_notifications (user_id, kind, person_id, created_at)
    SELECT ${p.id}, 'waitlist.offer', ${d.id}, now() FROM generate_series(1, ${PER_USER_CAP})`);
  const c = await care(app, 'CONFIRMED', { patient: p, doctor: d });
  await issue(app, c);
  const [row] = await app.database.rows<{ n: number; newest: string }>(
    sql`SELECT count(*)::int AS n, (SELECT kind FROM user_notifications WHERE user_id = ${p.id} ORDER BY seq DESC LIMIT 1) AS newest
        FROM user_notifications WHERE user_id = ${p.id}`,
  );
  assert.equal(row.n, PER_USER_CAP);
  assert.equal(row.newest, 'prescription.issued');
});

test('a doctor’s registration mails every admin (through the outbox) and lists it for them; the decision notifies the doctor', async () => {
  const admins = [await createAdminUser(app), await createAdminUser(app)];
  const countBefore = (await app.request('GET', `${API}/admin/doctors/pending-count`, { token: admins[0].token })).body.count as number;
  const body = doctorBody({ firstname: 'Greta', lastname: 'Hoffmann', licenseNumber: 'LIC-SECRET-42' });
  const res = await app.request('POST', `${API}/auth/register/doctor`, { body });
  assert.equal(res.status, 201, res.text);
  const doctorId = res.body.user.id as string;
  for (const a of admins) {
    const mail = await mailbox.waitFor(a.email, /^Doctor awaiting verification: Greta Hoffmann$/);
    assert.match(mail.text, /http:\/\/telecare\.test\/admin\/doctors\?status=PENDING/);
    assert.doesNotMatch(mail.text, /LIC-SECRET-42/);
    assert.deepEqual(
      (await ofKinds(a, 'doctor.registered')).filter((n) => n.person.id === doctorId).map((n) => [n.person.role, n.readAt]),
      [['DOCTOR', null]],
    );
  }
  const pending = await app.request('GET', `${API}/admin/doctors/pending-count`, { token: admins[0].token });
  assert.equal(pending.status, 200);
  assert.equal(pending.body.count, countBefore + 1);

  const decided = await app.request('POST', `${API}/admin/doctors/${doctorId}/verification`, {
    token: admins[0].token,
    body: { status: 'VERIFIED' },
  });
  assert.equal(decided.status, 200);
  assert.equal((await app.request('GET', `${API}/admin/doctors/pending-count`, { token: admins[0].token })).body.count, countBefore);
  const login = await app.request('POST', `${API}/auth/login`, { body: { username: body.username, password: body.password } });
  if (login.status === 200) {
    const doctor = { token: login.body.accessToken } as Person;
    const mine = await ofKinds(doctor, 'doctor.verified', 'doctor.rejected');
    assert.deepEqual(
      mine.map((n) => [n.kind, n.person]),
      [['doctor.verified', null]],
    );
  } else {
    // Login needs a verified email first: read the entry from the table.
    const rows = await app.database.rows<{ kind: string }>(sql`SELECT kind FROM user_notifications WHERE user_id = ${doctorId}`);
    assert.deepEqual(
      rows.map((r) => r.kind),
      ['doctor.verified'],
    );
  }
});

test('the digest: one mail after the delay, with counts and a link but never the text; none when read in time; once', async () => {
  const p = app.app.platform;
  const t0 = Date.parse('2027-03-01T10:00:00.000Z');
  const at = (minutes: number) => pinClock(p, new Date(t0 + minutes * 60_000));
  try {
    at(0);
    // Digests the earlier tests' messages made are due by this (later) time: sent now, out of the way.
    await runDueDigests(p);
    const c = await care(app);
    const quiet = await care(app);
    await send(c.patient, c.doctor, 'Very private matter one');
    await send(c.patient, c.doctor, 'Very private matter two');
    const m = await send(quiet.doctor, quiet.patient, 'Read quickly please');
    // The quiet patient reads it in time.
    assert.equal(
      (await app.request('POST', `${API}/conversations/${quiet.doctor.id}/read`, { token: quiet.patient.token, body: { upTo: m.id } }))
        .status,
      204,
    );
    at(14);
    assert.equal(await runDueDigests(p), 0, 'not before the delay');
    at(15);
    assert.equal(await runDueDigests(p), 1, 'one digest: the doctor’s');
    assert.equal(await runDueDigests(p), 0, 'and only once');
    const mail = await mailbox.waitFor(c.doctor.email, /^You have 2 unread messages$/);
    assert.match(mail.text, /You have 2 unread messages from Pat Ient\./);
    assert.match(mail.text, new RegExp(`http://telecare\\.test/doctor/messages/${c.patient.id}`));
    assert.doesNotMatch(mail.text, /Very private/);
    await outboxDrained(app);
    assert.equal(mailbox.count(c.doctor.email, /unread message/), 1);
    assert.equal(mailbox.count(quiet.patient.email, /unread message/), 0, 'read in time: no digest');

    // A message soon after: no second digest within the delay of the first; one after it.
    at(16);
    await send(c.patient, c.doctor, 'Very private matter three');
    at(29);
    assert.equal(await runDueDigests(p), 0);
    at(31);
    assert.equal(await runDueDigests(p), 1);
    const second = await mailbox.waitFor(c.doctor.email, /^You have 3 unread messages$/);
    assert.doesNotMatch(second.text, /Very private/);
    const [rows] = await app.database.rows<{ n: number }>(
      sql`SELECT count(*)::int AS n FROM mail_outbox WHERE kind = 'message.digest' AND recipient = ${c.doctor.email}`,
    );
    assert.equal(rows.n, 2);
  } finally {
    pinClock(p, null);
  }
});

test('a patient’s digest is in their language and links to their conversation page', async () => {
  const p = app.app.platform;
  const t0 = Date.parse('2027-04-01T10:00:00.000Z');
  try {
    pinClock(p, new Date(t0));
    await runDueDigests(p);
    const patient = await createPatient(app);
    const de = await app.request('PATCH', `${API}/me`, { token: patient.token, body: { locale: 'de' } });
    assert.equal(de.status, 200, de.text);
    const c = await care(app, 'CONFIRMED', { patient });
    await send(c.doctor, patient, 'Befund');
    pinClock(p, new Date(t0 + 16 * 60_000));
    assert.equal(await runDueDigests(p), 1);
    const mail = await mailbox.waitFor(patient.email, /^Sie haben 1 ungelesene Nachricht$/);
    assert.match(mail.text, /von Dr\. /);
    assert.match(mail.text, new RegExp(`http://telecare\\.test/patient/messages/${c.doctor.id}`));
    assert.doesNotMatch(mail.text, /Befund/);
  } finally {
    pinClock(p, null);
  }
});

test('a waitlist offer notifies the patient it is held for, live, and the cancellation that freed it notifies the doctor', async () => {
  pinNow(app, NOW);
  try {
    const { doctor, holder, appointmentId } = await bookedDoctor(app);
    const waiting = await createPatient(app);
    await joined(app, waiting, doctor.id);
    const ws = await connectWs(app, waiting.token);
    try {
      assert.equal((await cancel(app, holder, appointmentId)).status, 200);
      const frame = await ws.next((f) => f.type === 'notification.created' && f.notification.kind === 'waitlist.offer');
      assert.equal(frame.notification.person.id, doctor.id);
      assert.equal(frame.notification.appointmentId, null);
      assert.deepEqual(
        (await ofKinds(waiting, 'waitlist.offer')).map((n) => [n.id, n.person.id]),
        [[frame.notification.id, doctor.id]],
      );
      assert.deepEqual(
        (await ofKinds(doctor, 'appointment.cancelled')).map((n) => [n.appointmentId, n.person.id]),
        [[appointmentId, holder.id]],
      );
      assert.deepEqual(await ofKinds(holder, 'appointment.cancelled', 'waitlist.offer'), []);
    } finally {
      ws.ws.close();
    }
  } finally {
    pinClock(app.app.platform, null);
  }
});

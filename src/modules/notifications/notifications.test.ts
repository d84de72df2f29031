import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'drizzle-orm';
import { build, createAdminUser, createPatient, mailbox, type TestApp } from '../../../test/helpers.ts';
import { API, book, pinNow, workingDoctor } from '../../../test/fixtures/booking.ts';
import { runDueReminders } from './service.ts';
import { invitationOf, mailsTo, outboxDrained } from '../../../test/fixtures/notifications.ts';

let app: TestApp;
before(async () => {
  // Reminder passes are run by the tests themselves, at pinned times.
  app = await build(undefined, { reminderPollMs: 3_600_000 });
  pinNow(app, '2027-01-04T07:00:00.000Z');
});
after(async () => {
  await app.close();
});

const post = (id: string, action: string, token: string, body?: unknown) =>
  app.request('POST', `${API}/appointments/${id}/${action}`, { token, body });

test('booking, confirmation, reschedule and cancellation mail both parties an invitation with one UID and a rising SEQUENCE', async () => {
  const d = await workingDoctor(app);
  const p = await createPatient(app);
  const booked = await book(app, p, d.id, '2027-01-05T09:00:00.000Z', { reason: 'Chest pain since Tuesday' });
  assert.equal(booked.status, 201);
  const id = booked.body.id;

  const toDoctor = await mailbox.waitFor(d.email, /^New appointment/);
  const first = invitationOf(toDoctor);
  assert.equal(first.method, 'REQUEST');
  assert.equal(first.event.uid, `${id}@telecare.test`);
  assert.equal(Number(first.event.sequence), 0);
  assert.equal(first.event.start.toISOString(), '2027-01-05T09:00:00.000Z');
  assert.equal(first.event.end?.toISOString(), '2027-01-05T09:30:00.000Z');
  assert.equal(first.event.status, 'TENTATIVE');
  // The doctor's zone and local time are named; UTC is given too; the portal link, never the reason.
  assert.match(toDoctor.text, /Tue, 5 Jan 2027, 10:00–10:30 \(Europe\/Berlin\)/);
  assert.match(toDoctor.text, /2027-01-05 09:00–09:30 UTC/);
  assert.match(toDoctor.text, new RegExp(`http://telecare\\.test/appointments/${id}`));
  assert.match(toDoctor.text, /Pat Ient booked an appointment with you/);
  assert.match(first.raw, /Europe\/Berlin/);

  assert.equal((await post(id, 'confirm', d.token)).status, 200);
  const confirmed = invitationOf(await mailbox.waitFor(p.email, /^Appointment confirmed/));
  assert.equal(confirmed.event.uid, first.event.uid);
  assert.equal(Number(confirmed.event.sequence), 1);
  assert.equal(confirmed.event.status, 'CONFIRMED');

  assert.equal((await post(id, 'reschedule', p.token, { startsAt: '2027-01-06T13:00:00.000Z' })).status, 200);
  const movedMail = await mailbox.waitFor(d.email, /^Appointment moved/);
  const moved = invitationOf(movedMail);
  assert.equal(moved.method, 'REQUEST');
  assert.equal(moved.event.uid, first.event.uid);
  assert.equal(Number(moved.event.sequence), 2);
  assert.equal(moved.event.start.toISOString(), '2027-01-06T13:00:00.000Z');
  assert.match(movedMail.text, /Wed, 6 Jan 2027, 14:00–14:30 \(Europe\/Berlin\)/);

  assert.equal((await post(id, 'cancel', d.token, { reason: 'Lab results pending' })).status, 200);
  const cancelledMail = await mailbox.waitFor(p.email, /^Appointment cancelled/);
  const cancelled = invitationOf(cancelledMail);
  assert.equal(cancelled.method, 'CANCEL');
  assert.equal(cancelled.event.uid, first.event.uid);
  assert.equal(Number(cancelled.event.sequence), 3);
  assert.equal(cancelled.event.status, 'CANCELLED');

  await outboxDrained(app);
  // The acting party is told too, so their own calendar follows every change (same UID, same SEQUENCE).
  const received = await mailbox.waitFor(p.email, /^Appointment request received/);
  assert.match(received.text, /We received your appointment request with Dr\. /);
  assert.equal(invitationOf(received).event.status, 'TENTATIVE');
  assert.equal(invitationOf(received).event.uid, first.event.uid);
  assert.match(invitationOf(await mailbox.waitFor(d.email, /^Appointment confirmed/)).raw, /STATUS:CONFIRMED/);
  const ownMove = await mailbox.waitFor(p.email, /^Appointment moved/);
  assert.match(ownMove.text, /You moved the appointment with Dr\. /);
  assert.equal(Number(invitationOf(ownMove).event.sequence), 2);
  const ownCancel = await mailbox.waitFor(d.email, /^Appointment cancelled/);
  assert.match(ownCancel.text, /You cancelled the appointment with Pat Ient/);
  assert.equal(invitationOf(ownCancel).method, 'CANCEL');
  assert.match(cancelledMail.text, /Dr\. .* cancelled the appointment with you/);
  for (const who of [p, d]) assert.equal(mailsTo(who.email, /^(New|Appointment)/).length, 4, `${who.email}: one mail per change`);
  const all = mailbox.mails.filter((m) => m.to === p.email || m.to === d.email);
  for (const m of all) {
    const everything = m.subject + m.text + m.attachments.map((a) => a.content).join('');
    assert.doesNotMatch(everything, /Chest pain|Lab results|Penicillin/);
  }
});

test("an admin's cancellation mails both parties a CANCEL", async () => {
  const d = await workingDoctor(app);
  const p = await createPatient(app);
  const admin = await createAdminUser(app);
  const id = (await book(app, p, d.id, '2027-01-05T11:00:00.000Z')).body.id;
  assert.equal((await post(id, 'cancel', admin.token)).status, 200);
  for (const who of [p, d]) {
    const m = invitationOf(await mailbox.waitFor(who.email, /^Appointment cancelled/));
    assert.equal(m.method, 'CANCEL');
    assert.equal(m.event.uid, `${id}@telecare.test`);
  }
});

const jobs = (id: string) =>
  app.database.rows<{ party: string; offset_minutes: number; starts_at: Date; outcome: string | null }>(
    sql`SELECT party, offset_minutes, starts_at, outcome FROM reminder_jobs WHERE appointment_id = ${id} ORDER BY offset_minutes DESC, party`,
  );

test('reminders go to both parties 24 h and 1 h before, each once however often the pass runs', async () => {
  const d = await workingDoctor(app);
  const p = await createPatient(app);
  pinNow(app, '2027-01-10T07:00:00.000Z');
  const id = (await book(app, p, d.id, '2027-01-12T10:00:00.000Z')).body.id;
  assert.equal((await jobs(id)).length, 4);

  pinNow(app, '2027-01-11T09:59:00.000Z');
  await runDueReminders(app.app.platform);
  await outboxDrained(app);
  assert.equal(mailsTo(p.email, /^Reminder/).length, 0, 'not before 24 h ahead');

  pinNow(app, '2027-01-11T10:00:30.000Z');
  await Promise.all([runDueReminders(app.app.platform), runDueReminders(app.app.platform), runDueReminders(app.app.platform)]);
  await runDueReminders(app.app.platform);
  await outboxDrained(app);
  for (const who of [p, d]) {
    const got = mailsTo(who.email, /^Reminder/);
    assert.equal(got.length, 1, `${who.email}: ${got.length}`);
    assert.match(got[0].text, /begins in 24 hours/);
    assert.match(got[0].text, /Tue, 12 Jan 2027, 11:00–11:30 \(Europe\/Berlin\)/);
    assert.equal(invitationOf(got[0]).event.uid, `${id}@telecare.test`);
  }

  pinNow(app, '2027-01-12T09:00:00.000Z');
  await runDueReminders(app.app.platform);
  await runDueReminders(app.app.platform);
  await outboxDrained(app);
  for (const who of [p, d]) {
    assert.deepEqual(
      mailsTo(who.email, /^Reminder/)
        .map((m) => /begins in ([\w ]+)\./.exec(m.text)?.[1])
        .sort(),
      ['1 hour', '24 hours'],
    );
  }
  assert.deepEqual(
    (await jobs(id)).map((j) => j.outcome),
    ['SENT', 'SENT', 'SENT', 'SENT'],
  );
});

test('a cancelled appointment gets no reminder; a moved one gets reminders for its new time only', async () => {
  const d = await workingDoctor(app);
  const p = await createPatient(app);
  pinNow(app, '2027-02-01T07:00:00.000Z');
  const gone = (await book(app, p, d.id, '2027-02-03T09:00:00.000Z')).body.id;
  const moved = (await book(app, p, d.id, '2027-02-03T12:00:00.000Z')).body.id;
  assert.equal((await post(gone, 'cancel', p.token)).status, 200);
  assert.equal((await jobs(gone)).length, 0);
  assert.equal((await post(moved, 'reschedule', p.token, { startsAt: '2027-02-04T12:00:00.000Z' })).status, 200);
  assert.deepEqual(
    (await jobs(moved)).map((j) => new Date(j.starts_at).toISOString()),
    Array(4).fill('2027-02-04T12:00:00.000Z'),
  );

  // At the old times nothing is due; at the new time's 24 h mark both parties hear of the new time.
  pinNow(app, '2027-02-02T12:30:00.000Z');
  await runDueReminders(app.app.platform);
  await outboxDrained(app);
  assert.equal(mailsTo(p.email, /^Reminder/).length, 0);
  pinNow(app, '2027-02-03T12:00:00.000Z');
  await runDueReminders(app.app.platform);
  await outboxDrained(app);
  for (const who of [p, d]) {
    const got = mailsTo(who.email, /^Reminder/);
    assert.equal(got.length, 1);
    assert.equal(invitationOf(got[0]).event.start.toISOString(), '2027-02-04T12:00:00.000Z');
  }
});

test("a reminder whose appointment was cancelled behind the scheduler's back is skipped, not sent", async () => {
  const d = await workingDoctor(app);
  const p = await createPatient(app);
  pinNow(app, '2027-03-01T07:00:00.000Z');
  const id = (await book(app, p, d.id, '2027-03-03T09:00:00.000Z')).body.id;
  // A change that bypassed the service (e.g. a manual fix in the database) still stops the reminder.
  await app.database.rows(sql`UPDATE appointments SET status = 'CANCELLED' WHERE id = ${id}`);
  pinNow(app, '2027-03-02T09:00:00.000Z');
  await runDueReminders(app.app.platform);
  await outboxDrained(app);
  assert.equal(mailsTo(p.email, /^Reminder/).length + mailsTo(d.email, /^Reminder/).length, 0);
  assert.deepEqual(
    (await jobs(id)).filter((j) => j.offset_minutes === 1440).map((j) => j.outcome),
    ['SKIPPED', 'SKIPPED'],
  );
});

test('a booking less than an hour ahead schedules no reminder already due', async () => {
  const d = await workingDoctor(app);
  const p = await createPatient(app);
  pinNow(app, '2027-04-01T07:20:00.000Z');
  const id = (await book(app, p, d.id, '2027-04-01T08:00:00.000Z')).body.id;
  assert.equal((await jobs(id)).length, 0);
});

/** A working doctor whose bookings are confirmed at once. */
async function autoConfirming(body: Record<string, unknown> = {}) {
  const d = await workingDoctor(app, { body });
  assert.equal((await app.request('PATCH', `${API}/doctors/me`, { token: d.token, body: { autoConfirm: true } })).status, 200);
  return d;
}

test("a patient's own booking with auto-confirm is mailed as confirmed; their own cancellation sends them the CANCEL", async () => {
  pinNow(app, '2027-05-03T07:00:00.000Z');
  const d = await autoConfirming();
  const p = await createPatient(app);
  const booked = await book(app, p, d.id, '2027-05-04T09:00:00.000Z');
  assert.equal(booked.body.status, 'CONFIRMED');
  const mine = await mailbox.waitFor(p.email, /^Appointment confirmed/);
  assert.match(mine.text, /is booked and confirmed/);
  assert.equal(invitationOf(mine).method, 'REQUEST');
  assert.equal(invitationOf(mine).event.status, 'CONFIRMED');
  assert.match(mine.text, new RegExp(`http://telecare\\.test/appointments/${booked.body.id}`));

  assert.equal((await post(booked.body.id, 'cancel', p.token, { reason: 'Feeling better' })).status, 200);
  const cancelled = await mailbox.waitFor(p.email, /^Appointment cancelled/);
  assert.match(cancelled.text, /You cancelled the appointment/);
  const inv = invitationOf(cancelled);
  assert.equal(inv.method, 'CANCEL');
  assert.equal(inv.event.uid, `${booked.body.id}@telecare.test`);
  assert.equal(Number(inv.event.sequence), 1);
  await outboxDrained(app);
  for (const m of mailbox.mails.filter((m) => m.to === p.email || m.to === d.email)) assert.doesNotMatch(m.text, /Feeling better/);
});

test('a reminder carries the link that joins the video visit, for each party its own page', async () => {
  pinNow(app, '2027-06-01T07:00:00.000Z');
  const d = await autoConfirming();
  const p = await createPatient(app);
  const id = (await book(app, p, d.id, '2027-06-02T10:00:00.000Z')).body.id;
  pinNow(app, '2027-06-01T10:00:30.000Z');
  await runDueReminders(app.app.platform);
  await outboxDrained(app);
  const [toPatient] = mailsTo(p.email, /^Reminder/);
  const [toDoctor] = mailsTo(d.email, /^Reminder/);
  assert.match(toPatient.text, new RegExp(`Join the video visit: http://telecare\\.test/patient/visits/${id}\\n`));
  assert.match(toDoctor.text, new RegExp(`Join the video visit: http://telecare\\.test/doctor/visits/${id}\\n`));
});

test('a new prescription is announced to its patient: who, when and the portal link, never its items', async () => {
  pinNow(app, '2027-07-01T07:00:00.000Z');
  const d = await autoConfirming({ firstname: 'Hanna', lastname: 'Hoffmann' });
  const p = await createPatient(app);
  const id = (await book(app, p, d.id, '2027-07-01T09:00:00.000Z')).body.id;
  const rx = await app.request('POST', `${API}/prescriptions`, {
    token: d.token,
    body: {
      appointmentId: id,
      items: [{ medication: 'Penicillin V', dosage: '250 mg', frequency: 'twice daily', durationDays: 5 }],
      notes: 'Chest pain',
    },
  });
  assert.equal(rx.status, 201, rx.text);
  const m = await mailbox.waitFor(p.email, /^New prescription/);
  assert.equal(m.subject, 'New prescription from Dr. Hanna Hoffmann');
  assert.match(m.text, /Dr\. Hanna Hoffmann issued a prescription for you on .* \(Europe\/Berlin\)/);
  assert.match(m.text, /http:\/\/telecare\.test\/patient\/prescriptions/);
  assert.doesNotMatch(m.subject + m.text + m.attachments.map((a) => a.content).join(''), /Penicillin|250 mg|twice|Chest/);
  assert.equal(mailsTo(d.email, /prescription/i).length, 0);
});

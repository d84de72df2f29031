// Mails, reminders and calendar feeds about appointments. The appointments module's hooks call in at
// each change (wired in src/modules/index.ts), inside its transaction, so a mail or reminder exists
// exactly when the change commits.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { enqueueMail, mailFromAddress, type OutgoingMail } from '../../platform/mail.ts';
import { audit } from '../../platform/audit.ts';
import type { Executor } from '../../platform/db/index.ts';
import type { Platform } from '../../platform/platform.ts';
import type { Actor, RequestMeta } from '../auth/index.ts';
import { notFound } from '../../platform/errors.ts';
import { nowMs } from '../../platform/clock.ts';
import { portalUrl } from '../../platform/portal-pages.ts';
import type { AppointmentChange, AppointmentRow, BookingNotices, BookingReminder } from '../appointments/index.ts';
import { instantText, spanText, t, type Reader } from '../../platform/i18n.ts';
import { feed, invitation, utcText, type CalendarEvent } from './ical.ts';
import { notify } from '../inbox/index.ts';
import * as repo from './repo.ts';
import type { PatientNames } from './schemas.ts';
import { PollingWorker } from '../../platform/worker.ts';

export type Change = AppointmentChange;

const hostOf = (p: Platform) => new URL(p.config.publicUrl).hostname || 'telecare.localhost';
const portalLink = (p: Platform, id: string) => portalUrl(p.config.publicUrl, 'appointment', { id });
const fullName = (c: { firstname: string; lastname: string }) => `${c.firstname} ${c.lastname}`;
/** A doctor's name as the reader's language writes it with the title. */
const doctorName = (reader: Reader, c: { firstname: string; lastname: string }) =>
  t(reader.locale, 'mail.doctorName', { name: fullName(c) });

/**
 * The invitations' organizer: the clinic by its name (its settings), at the service's own sender address
 * (MAIL_FROM), so neither party's address reaches the other.
 */
function organizer(p: Platform): { name: string; email: string } {
  return { name: p.mail.brand.name, email: mailFromAddress(p.config.mailFrom) };
}

/** "A. L.": what a doctor's calendar feed shows of a patient by default. */
function initials(x: { firstname: string; lastname: string }): string {
  return [x.firstname, x.lastname].map((n) => `${[...n.trim()][0] ?? ''}.`).join(' ');
}

/** The event as `reader` (one of its parties: an invitation's recipient, a feed's owner) reads it: their language, their zone. */
function eventOf(p: Platform, x: repo.Parties, forParty: repo.Party, reader: Reader, patientNames: PatientNames = 'FULL'): CalendarEvent {
  const a = x.appointment;
  const patient = patientNames === 'FULL' ? fullName(x.patient) : initials(x.patient);
  return {
    uid: `${a.id}@${hostOf(p)}`,
    sequence: a.sequence,
    start: a.startsAt,
    end: a.endsAt,
    summary: t(reader.locale, 'calendar.summary', { name: forParty === 'PATIENT' ? doctorName(reader, x.doctor) : patient }),
    localTime: t(reader.locale, 'calendar.description', { when: spanText(a.startsAt, a.endsAt, reader.locale, reader.timeZone) }),
    status: a.status === 'CANCELLED' ? 'CANCELLED' : a.status === 'CONFIRMED' ? 'CONFIRMED' : 'PENDING',
    url: portalLink(p, a.id),
    stamp: new Date(nowMs(p)),
  };
}

/** Who acted, as seen from the mails: one of the two parties, or neither (an admin, the system). */
type ActedBy = repo.Party | null;
const actedBy = (x: repo.Parties, actor: Actor): ActedBy =>
  actor.userId === x.patient.id ? 'PATIENT' : actor.userId === x.doctor.id ? 'DOCTOR' : null;

const partyOf = (x: repo.Parties, who: repo.Party) => (who === 'PATIENT' ? x.patient : x.doctor);
/** The other party's name, as the reader (party `to`) reads it. */
const otherName = (x: repo.Parties, to: repo.Party) => (to === 'PATIENT' ? doctorName(x.patient, x.doctor) : fullName(x.patient));
const nameOf = (x: repo.Parties, who: repo.Party, reader: Reader) =>
  who === 'PATIENT' ? fullName(x.patient) : doctorName(reader, x.doctor);

/**
 * The first line of a mail about a change, for the party it goes to, in their language. The one who acted
 * is told too, so their own calendar follows (contract: "Notifications, reminders and calendars").
 */
function headline(change: Change, x: repo.Parties, to: repo.Party, by: ActedBy): string {
  const reader = partyOf(x, to);
  const other = otherName(x, to);
  const pending = x.appointment.status === 'PENDING';
  const say = (key: string, values: Record<string, string> = {}) => t(reader.locale, key, { other, ...values });
  switch (change) {
    case 'booked':
      if (to === 'PATIENT') return say(pending ? 'appointment.booked.patientPending' : 'appointment.booked.patientConfirmed');
      return say(pending ? 'appointment.booked.doctorPending' : 'appointment.booked.doctorConfirmed');
    case 'confirmed':
      return say(to === 'PATIENT' ? 'appointment.confirmed.patient' : 'appointment.confirmed.doctor');
    case 'rescheduled':
      if (by === to) return say('appointment.rescheduled.self');
      if (by) return say('appointment.rescheduled.byParty', { actor: nameOf(x, by, reader) });
      return say('appointment.rescheduled.byOther');
    case 'cancelled':
      if (by === to) return say('appointment.cancelled.self');
      if (by) return say('appointment.cancelled.byParty', { actor: nameOf(x, by, reader) });
      return say('appointment.cancelled.byOther');
  }
}

/** The catalogue key of a change's subject, for the party it goes to. */
function subjectKey(change: Change, x: repo.Parties, to: repo.Party): string {
  if (change === 'booked' && to === 'PATIENT')
    return x.appointment.status === 'PENDING' ? 'appointment.subject.requestReceived' : 'appointment.subject.confirmed';
  return SUBJECT_KEY[change];
}

const SUBJECT_KEY: Record<Change, string> = {
  booked: 'appointment.subject.booked',
  confirmed: 'appointment.subject.confirmed',
  rescheduled: 'appointment.subject.rescheduled',
  cancelled: 'appointment.subject.cancelled',
};

/** The page that joins the appointment's video visit, for one party. */
const visitLink = (p: Platform, x: repo.Parties, to: repo.Party) =>
  portalUrl(p.config.publicUrl, to === 'PATIENT' ? 'patientVisit' : 'doctorVisit', { id: x.appointment.id });

/**
 * Who, when and a link, never why: mails leave the system's protection, so they carry no reason,
 * history or prescription content (contract: "Notifications, reminders and calendars"). Written in the
 * recipient's language with the time in their zone, the zone named, and in UTC.
 */
function mailText(p: Platform, x: repo.Parties, to: repo.Party, headline: string, extra: string[] = []): string {
  const a = x.appointment;
  const me = partyOf(x, to);
  const say = (key: string, values?: Record<string, string>) => t(me.locale, key, values);
  return [
    say('mail.greeting', { name: fullName(me) }),
    '',
    headline,
    '',
    say('appointment.with', { name: otherName(x, to) }),
    say('appointment.when', { when: spanText(a.startsAt, a.endsAt, me.locale, me.timeZone) }),
    `      ${utcText(a.startsAt, a.endsAt)}`,
    say('appointment.details', { url: portalLink(p, a.id) }),
    ...extra,
    '',
    say(a.status === 'CANCELLED' ? 'appointment.calendarRemoves' : 'appointment.calendarAdds'),
  ].join('\n');
}

/** A text written for its reader, in their language. */
type Text = (reader: Reader) => string;

async function mailParty(
  p: Platform,
  tx: Executor,
  x: repo.Parties,
  to: repo.Party,
  kind: string,
  subject: Text,
  headline: string,
  extra: string[] = [],
): Promise<void> {
  const mail = partyMail(p, x, to, kind, subject, headline, extra);
  if (mail) await enqueueMail(tx, mail);
}

/** The mail to one party with its invitation; null when that party's account is not active. */
function partyMail(
  p: Platform,
  x: repo.Parties,
  to: repo.Party,
  kind: string,
  subject: Text,
  headline: string,
  extra: string[] = [],
): OutgoingMail | null {
  const person = partyOf(x, to);
  if (person.accountStatus !== 'ACTIVE') return null;
  const method = x.appointment.status === 'CANCELLED' ? 'CANCEL' : 'REQUEST';
  const ics = invitation(person.locale, eventOf(p, x, to, person), method, organizer(p), { name: fullName(person), email: person.email });
  const when = spanText(x.appointment.startsAt, x.appointment.endsAt, person.locale, person.timeZone);
  return {
    kind,
    to: person.email,
    subject: t(person.locale, 'appointment.subjectLine', { subject: subject(person), when }),
    text: mailText(p, x, to, headline, extra),
    attachments: [{ filename: 'appointment.ics', contentType: `text/calendar; charset=utf-8; method=${method}`, content: ics, method }],
  };
}

const keyed =
  (key: string): Text =>
  (reader) =>
    t(reader.locale, key);

/** Both parties are told of every change, the one who acted too, so each calendar follows. */
const PARTIES: readonly repo.Party[] = ['PATIENT', 'DOCTOR'];

/**
 * What a new booking queues, computed before its row is written so that booking inserts the appointment,
 * its mails and its reminders in one statement: the same mails and reminders appointmentChanged(…,
 * 'booked') would write for it (a new appointment has no reminders to drop).
 */
export function bookedOutbox(
  p: Platform,
  x: repo.Parties,
  actor: Actor,
): { mails: OutgoingMail[]; reminders: (ReminderRow & BookingReminder)[] } {
  const mails = PARTIES.map((to) =>
    partyMail(p, x, to, 'appointment.booked', keyed(subjectKey('booked', x, to)), headline('booked', x, to, actedBy(x, actor))),
  ).filter((m): m is OutgoingMail => m !== null);
  return { mails, reminders: reminderRows(p, x.appointment) };
}

/** What a booking asks of notifications (appointments' bookingNotices provider, wired in src/modules/index.ts). */
export const bookingNotices: BookingNotices = { outbox: bookedOutbox, reminders: repo.bookingReminderPart };

type ReminderRow = { appointmentId: string; party: repo.Party; offsetMinutes: number; startsAt: Date; dueAt: Date };

/** The reminders of a live appointment's current start whose time has not passed. */
function reminderRows(p: Platform, a: AppointmentRow): ReminderRow[] {
  const now = nowMs(p);
  return p.config.reminderOffsetsMinutes.flatMap((offset) => {
    const dueAt = new Date(a.startsAt.getTime() - offset * 60_000);
    // A reminder whose time has already passed at booking would arrive after the patient booked "in an hour".
    if (dueAt.getTime() <= now) return [];
    return (['PATIENT', 'DOCTOR'] as const).map((party) => ({
      appointmentId: a.id,
      party,
      offsetMinutes: offset,
      startsAt: a.startsAt,
      dueAt,
    }));
  });
}

/**
 * Called by the appointments service in the transaction of a change, after the row was updated: mails
 * both parties with the invitation, and brings the reminders in line
 * with the appointment's current start and status.
 */
export async function appointmentChanged(p: Platform, tx: Executor, appointmentId: string, change: Change, actor: Actor): Promise<void> {
  const x = await repo.partiesOf(tx, appointmentId);
  if (!x) return;
  for (const to of PARTIES)
    await mailParty(p, tx, x, to, `appointment.${change}`, keyed(subjectKey(change, x, to)), headline(change, x, to, actedBy(x, actor)));
  // In the portal's list: each party but the one who acted, pointing at the appointment and the other party.
  await notify(
    p,
    tx,
    PARTIES.map((to) => ({
      userId: partyOf(x, to).id,
      kind: `appointment.${change}` as const,
      appointmentId: appointmentId,
      personId: partyOf(x, to === 'PATIENT' ? 'DOCTOR' : 'PATIENT').id,
    })),
    actor.userId,
  );
  await syncReminders(p, tx, x.appointment);
}

/**
 * A new prescription, announced to its patient in the transaction that issues it: who issued it, when,
 * and the portal page that lists it, never its items or notes (mail leaves the system's protection).
 */
export async function prescriptionIssued(
  p: Platform,
  tx: Executor,
  rx: { id: string; appointmentId: string; issuedAt: Date },
): Promise<void> {
  const x = await repo.partiesOf(tx, rx.appointmentId);
  if (!x) return;
  await notify(p, tx, [{ userId: x.patient.id, kind: 'prescription.issued', prescriptionId: rx.id, personId: x.doctor.id }]);
  if (x.patient.accountStatus !== 'ACTIVE') return;
  const reader = x.patient;
  const doctor = doctorName(reader, x.doctor);
  await enqueueMail(tx, {
    kind: 'prescription.issued',
    to: x.patient.email,
    subject: t(reader.locale, 'prescription.subject', { doctor }),
    text: [
      t(reader.locale, 'mail.greeting', { name: fullName(x.patient) }),
      '',
      t(reader.locale, 'prescription.issued', { doctor, when: instantText(rx.issuedAt, reader.locale, reader.timeZone) }),
      '',
      t(reader.locale, 'prescription.portal', { url: portalUrl(p.config.publicUrl, 'patientPrescriptions') }),
    ].join('\n'),
  });
}

/** Reminders for the current start of a live appointment; none for a cancelled or finished one. */
export async function syncReminders(p: Platform, tx: Executor, a: AppointmentRow): Promise<void> {
  const live = a.status === 'PENDING' || a.status === 'CONFIRMED';
  await repo.dropPendingReminders(tx, a.id, live ? a.startsAt : undefined);
  if (!live) return;
  const rows = reminderRows(p, a);
  await repo.insertReminders(tx, rows);
}

/** "…begins in 24 hours.": whole days past one day, else whole hours, else minutes, in the reader's language. */
function reminderHeadline(reader: Reader, minutes: number): string {
  if (minutes % 1440 === 0 && minutes > 1440) return t(reader.locale, 'appointment.reminder.days', { n: minutes / 1440 });
  if (minutes % 60 === 0) return t(reader.locale, 'appointment.reminder.hours', { n: minutes / 60 });
  return t(reader.locale, 'appointment.reminder.minutes', { n: minutes });
}

const REMINDER_BATCH = 20;

/**
 * One pass over due reminders: each batch is claimed with SKIP LOCKED and finished in the same
 * transaction that queues its mail, so however many instances run passes at once, each reminder is
 * queued once, and a crash mid-pass rolls back to "not sent". Returns how many mails were queued.
 */
export async function runDueReminders(p: Platform): Promise<number> {
  let queued = 0;
  for (;;) {
    const now = nowMs(p);
    const n = await p.db.transaction(async (tx) => {
      const jobs = await repo.claimDue(tx, new Date(now), REMINDER_BATCH);
      let sent = 0;
      for (const job of jobs) {
        const x = await repo.partiesOf(tx, job.appointmentId);
        // Checked again here, not only when the appointment changed: a cancelled, finished or moved
        // appointment, or one that has already begun, gets no reminder for this time.
        const live =
          !!x &&
          (x.appointment.status === 'PENDING' || x.appointment.status === 'CONFIRMED') &&
          x.appointment.startsAt.getTime() === job.startsAt.getTime() &&
          now < job.startsAt.getTime();
        if (live) {
          const reader = partyOf(x, job.party);
          await mailParty(
            p,
            tx,
            x,
            job.party,
            'appointment.reminder',
            keyed('appointment.subject.reminder'),
            reminderHeadline(reader, job.offsetMinutes),
            x.appointment.status === 'CONFIRMED'
              ? [
                  t(reader.locale, 'appointment.reminder.join', { url: visitLink(p, x, job.party) }),
                  t(reader.locale, 'appointment.reminder.opens', { n: p.config.visitOpensBeforeMinutes }),
                ]
              : [t(reader.locale, 'appointment.reminder.unconfirmed')],
          );
          sent++;
        }
        await repo.finishReminder(tx, job.id, live ? 'SENT' : 'SKIPPED');
      }
      return { claimed: jobs.length, sent };
    });
    queued += n.sent;
    if (n.sent) p.mail.kick();
    if (n.claimed < REMINDER_BATCH) return queued;
  }
}

/** Polls for due reminders on every instance; the database decides which instance sends each. */
export class ReminderWorker extends PollingWorker {
  constructor(p: Platform) {
    super({ name: 'reminder pass', log: p.log, pass: () => runDueReminders(p), intervalMs: () => p.config.reminderPollMs });
  }
}

// ---------- calendar feed ----------

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
/** The URL token is derived from a stored nonce and the server secret, so a database dump alone reveals no feed URL. */
const tokenOf = (p: Platform, nonce: string) =>
  createHmac('sha256', p.config.jwtSecret).update(`calendar-feed:${nonce}`).digest('base64url');
const feedUrl = (p: Platform, token: string) => `${p.config.publicUrl}/api/v1/calendar/${token}.ics`;

type Authed = RequestMeta & { actor: Actor };

type FeedSettings = { url: string; patientNames: PatientNames };

async function ensureFeed(p: Platform, tx: Executor, meta: Authed) {
  const nonce = randomBytes(32).toString('base64url');
  const r = await repo.ensureFeed(tx, meta.actor.userId, nonce, sha256(tokenOf(p, nonce)));
  if (r.nonce === nonce)
    await audit(tx, meta, { action: 'calendar_feed.create', resourceType: 'calendar_feed', resourceId: meta.actor.userId });
  return r;
}

export async function calendarUrl(p: Platform, meta: Authed): Promise<FeedSettings> {
  const existing = await repo.feedOf(p.db, meta.actor.userId);
  const row = existing ?? (await p.db.transaction((tx) => ensureFeed(p, tx, meta)));
  return { url: feedUrl(p, tokenOf(p, row.nonce)), patientNames: row.patientNames };
}

/** A doctor's choice of how their feed names patients (the feed is made if there was none yet). */
export async function setCalendarSettings(p: Platform, meta: Authed, patientNames: PatientNames): Promise<FeedSettings> {
  const row = await p.db.transaction(async (tx) => {
    await ensureFeed(p, tx, meta);
    await repo.setPatientNames(tx, meta.actor.userId, patientNames);
    await audit(tx, meta, { action: 'calendar_feed.update', resourceType: 'calendar_feed', resourceId: meta.actor.userId });
    return (await repo.feedOf(tx, meta.actor.userId))!;
  });
  return { url: feedUrl(p, tokenOf(p, row.nonce)), patientNames: row.patientNames };
}

export async function rotateCalendarUrl(p: Platform, meta: Authed): Promise<FeedSettings> {
  const nonce = randomBytes(32).toString('base64url');
  const token = tokenOf(p, nonce);
  const row = await p.db.transaction(async (tx) => {
    await repo.replaceFeed(tx, meta.actor.userId, nonce, sha256(token));
    await audit(tx, meta, { action: 'calendar_feed.rotate', resourceType: 'calendar_feed', resourceId: meta.actor.userId });
    return (await repo.feedOf(tx, meta.actor.userId))!;
  });
  return { url: feedUrl(p, token), patientNames: row.patientNames };
}

const FEED_LIMIT = 500;

/** The feed of the token's owner: live appointments that have not ended. Unknown or rotated tokens are 404. */
export async function calendarFeed(p: Platform, meta: RequestMeta, token: string): Promise<string> {
  return p.db.transaction(async (tx) => {
    const owner = await repo.feedOwner(tx, sha256(token));
    if (!owner) throw notFound('calendar');
    const rows = await repo.upcomingOf(tx, owner.id, new Date(nowMs(p)), FEED_LIMIT);
    const as = (x: repo.Parties): repo.Party => (x.patient.id === owner.id ? 'PATIENT' : 'DOCTOR');
    // The feed discloses appointments: one access event per patient shown, as GET /appointments does.
    const patients = [...new Set(rows.map((x) => x.patient.id))];
    const actor = { actorId: owner.id, actorRole: owner.role };
    if (!patients.length)
      await audit(tx, meta, { action: 'calendar_feed.read', resourceType: 'calendar_feed', resourceId: owner.id, ...actor });
    for (const patientId of patients) {
      await audit(tx, meta, { action: 'calendar_feed.read', resourceType: 'calendar_feed', resourceId: owner.id, patientId, ...actor });
    }
    return feed(
      owner.locale,
      t(owner.locale, 'calendar.feedName', { clinic: p.mail.brand.name }),
      rows.map((x) => eventOf(p, x, as(x), owner, owner.patientNames)),
    );
  });
}

// Mails, reminders and calendar feeds about appointments. The appointments module's hooks call in at
// each change (wired in src/modules/index.ts), inside its transaction, so a mail or reminder exists
// exactly when the change commits.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { enqueueMail, type OutgoingMail } from '../../platform/mail.ts';
import { audit } from '../../platform/audit.ts';
import type { Executor } from '../../platform/db/index.ts';
import type { Platform } from '../../platform/platform.ts';
import type { Actor, RequestMeta } from '../auth/index.ts';
import { notFound } from '../../platform/errors.ts';
import { nowMs } from '../../platform/clock.ts';
import type { AppointmentChange, AppointmentRow, BookingReminder } from '../appointments/index.ts';
import { feed, invitation, localTimeText, utcText, type CalendarEvent } from './ical.ts';
import * as repo from './repo.ts';
import type { PatientNames } from './schemas.ts';

export type Change = AppointmentChange;

const hostOf = (p: Platform) => new URL(p.config.publicUrl).hostname || 'telecare.localhost';
const portalLink = (p: Platform, id: string) => `${p.config.publicUrl}/appointments/${id}`;
const fullName = (c: { firstname: string; lastname: string }) => `${c.firstname} ${c.lastname}`;
const doctorName = (c: { firstname: string; lastname: string }) => `Dr. ${fullName(c)}`;

/** The service's own address as the invitations' organizer, so neither party's address reaches the other. */
function organizer(p: Platform): { name: string; email: string } {
  const m = /^\s*(.*?)\s*<([^>]+)>\s*$/.exec(p.config.mailFrom);
  return m ? { name: m[1].replace(/^"|"$/g, '') || 'Telecare', email: m[2] } : { name: 'Telecare', email: p.config.mailFrom.trim() };
}

/** "A. L.": what a doctor's calendar feed shows of a patient by default. */
function initials(x: { firstname: string; lastname: string }): string {
  return [x.firstname, x.lastname].map((n) => `${[...n.trim()][0] ?? ''}.`).join(' ');
}

function eventOf(p: Platform, x: repo.Parties, forParty: repo.Party, patientNames: PatientNames = 'FULL'): CalendarEvent {
  const a = x.appointment;
  const patient = patientNames === 'FULL' ? fullName(x.patient) : initials(x.patient);
  return {
    uid: `${a.id}@${hostOf(p)}`,
    sequence: a.sequence,
    start: a.startsAt,
    end: a.endsAt,
    summary: forParty === 'PATIENT' ? `Appointment with ${doctorName(x.doctor)}` : `Appointment with ${patient}`,
    timezone: x.doctor.timezone,
    status: a.status === 'CANCELLED' ? 'CANCELLED' : a.status === 'CONFIRMED' ? 'CONFIRMED' : 'PENDING',
    url: portalLink(p, a.id),
    stamp: new Date(nowMs(p)),
  };
}

const HEADLINE: Record<Change, Record<repo.Party, (x: repo.Parties) => string>> = {
  booked: {
    DOCTOR: (x) =>
      `${fullName(x.patient)} booked an appointment with you${x.appointment.status === 'PENDING' ? '; it awaits your confirmation' : ''}.`,
    PATIENT: (x) => `Your appointment with ${doctorName(x.doctor)} is booked.`,
  },
  confirmed: {
    PATIENT: (x) => `${doctorName(x.doctor)} confirmed your appointment.`,
    DOCTOR: (x) => `The appointment with ${fullName(x.patient)} is confirmed.`,
  },
  rescheduled: {
    DOCTOR: (x) => `${fullName(x.patient)} moved the appointment with you to a new time.`,
    PATIENT: (x) => `Your appointment with ${doctorName(x.doctor)} was moved to a new time.`,
  },
  cancelled: {
    DOCTOR: (x) => `The appointment with ${fullName(x.patient)} was cancelled.`,
    PATIENT: (x) => `Your appointment with ${doctorName(x.doctor)} was cancelled.`,
  },
};

const SUBJECT: Record<Change, string> = {
  booked: 'New appointment',
  confirmed: 'Appointment confirmed',
  rescheduled: 'Appointment moved',
  cancelled: 'Appointment cancelled',
};

/**
 * Who, when and a link, never why: mails leave the system's protection, so they carry no reason,
 * history or prescription content (contract: "Notifications, reminders and calendars").
 */
function mailText(p: Platform, x: repo.Parties, to: repo.Party, headline: string): string {
  const a = x.appointment;
  const other = to === 'PATIENT' ? doctorName(x.doctor) : fullName(x.patient);
  const me = to === 'PATIENT' ? x.patient : x.doctor;
  return [
    `Hello ${fullName(me)},`,
    '',
    headline,
    '',
    `With: ${other}`,
    `When: ${localTimeText(a.startsAt, a.endsAt, x.doctor.timezone)}`,
    `      ${utcText(a.startsAt, a.endsAt)}`,
    `Details: ${portalLink(p, a.id)}`,
    '',
    a.status === 'CANCELLED'
      ? 'The attached calendar entry removes it from your calendar.'
      : 'The attached calendar entry adds it to your calendar.',
  ].join('\n');
}

async function mailParty(
  p: Platform,
  tx: Executor,
  x: repo.Parties,
  to: repo.Party,
  kind: string,
  subject: string,
  headline: string,
): Promise<void> {
  const mail = partyMail(p, x, to, kind, subject, headline);
  if (mail) await enqueueMail(tx, mail);
}

/** The mail to one party with its invitation; null when that party's account is not active. */
function partyMail(p: Platform, x: repo.Parties, to: repo.Party, kind: string, subject: string, headline: string): OutgoingMail | null {
  const person = to === 'PATIENT' ? x.patient : x.doctor;
  if (person.accountStatus !== 'ACTIVE') return null;
  const method = x.appointment.status === 'CANCELLED' ? 'CANCEL' : 'REQUEST';
  const ics = invitation(eventOf(p, x, to), method, organizer(p), { name: fullName(person), email: person.email });
  return {
    kind,
    to: person.email,
    subject: `${subject}: ${localTimeText(x.appointment.startsAt, x.appointment.endsAt, x.doctor.timezone)}`,
    text: mailText(p, x, to, headline),
    attachments: [{ filename: 'appointment.ics', contentType: `text/calendar; charset=utf-8; method=${method}`, content: ics, method }],
  };
}

/** Who is told of a change: the other party, or both when neither party acted (an admin). */
function recipientsOf(x: repo.Parties, actor: Actor): repo.Party[] {
  return actor.userId === x.patient.id ? ['DOCTOR'] : actor.userId === x.doctor.id ? ['PATIENT'] : ['PATIENT', 'DOCTOR'];
}

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
  const mails = recipientsOf(x, actor)
    .map((to) => partyMail(p, x, to, 'appointment.booked', SUBJECT.booked, HEADLINE.booked[to](x)))
    .filter((m): m is OutgoingMail => m !== null);
  return { mails, reminders: reminderRows(p, x.appointment) };
}

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
 * the other party (both when an admin acted) with the invitation, and brings the reminders in line
 * with the appointment's current start and status.
 */
export async function appointmentChanged(p: Platform, tx: Executor, appointmentId: string, change: Change, actor: Actor): Promise<void> {
  const x = await repo.partiesOf(tx, appointmentId);
  if (!x) return;
  for (const to of recipientsOf(x, actor)) await mailParty(p, tx, x, to, `appointment.${change}`, SUBJECT[change], HEADLINE[change][to](x));
  await syncReminders(p, tx, x.appointment);
}

/** Reminders for the current start of a live appointment; none for a cancelled or finished one. */
export async function syncReminders(p: Platform, tx: Executor, a: AppointmentRow): Promise<void> {
  const live = a.status === 'PENDING' || a.status === 'CONFIRMED';
  await repo.dropPendingReminders(tx, a.id, live ? a.startsAt : undefined);
  if (!live) return;
  const rows = reminderRows(p, a);
  await repo.insertReminders(tx, rows);
}

function offsetText(minutes: number): string {
  if (minutes % 1440 === 0) return minutes === 1440 ? '24 hours' : `${minutes / 1440} days`;
  if (minutes % 60 === 0) return minutes === 60 ? '1 hour' : `${minutes / 60} hours`;
  return `${minutes} minutes`;
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
          await mailParty(
            p,
            tx,
            x,
            job.party,
            'appointment.reminder',
            'Reminder',
            `A reminder: your appointment begins in ${offsetText(job.offsetMinutes)}.`,
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
export class ReminderWorker {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;
  private stopped = true;

  constructor(private readonly p: Platform) {}

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = runDueReminders(this.p)
        .catch((err) => this.p.log.warn({ err: (err as Error).message }, 'reminder pass failed'))
        .finally(() => {
          this.running = null;
          this.schedule(this.p.config.reminderPollMs);
        });
    }, ms);
    this.timer.unref();
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
      'Telecare appointments',
      rows.map((x) => eventOf(p, x, as(x), owner.patientNames)),
    );
  });
}

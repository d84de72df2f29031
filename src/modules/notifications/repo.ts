import { and, asc, eq, gt, inArray, isNull, lte, ne, or, sql } from 'drizzle-orm';
import { alias, bigserial, integer, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import type { Executor, StatementPart } from '../../platform/db/index.ts';
import { ts } from '../../platform/db/tables.ts';
import { doctors } from '../doctors/index.ts';
import { users } from '../auth/index.ts';
// Contact and Parties, the shapes mails are written from, are booking's (appointments/hooks.ts), which
// builds them for a new booking too.
import { appointments, type BookingReminder, type Contact, type Parties } from '../appointments/index.ts';

export type Party = 'PATIENT' | 'DOCTOR';

export const reminderJobs = pgTable('reminder_jobs', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  appointmentId: uuid('appointment_id').notNull(),
  party: text('party').$type<Party>().notNull(),
  offsetMinutes: integer('offset_minutes').notNull(),
  startsAt: ts('starts_at').notNull(),
  dueAt: ts('due_at').notNull(),
  doneAt: ts('done_at'),
  outcome: text('outcome').$type<'SENT' | 'SKIPPED'>(),
  createdAt: ts('created_at').notNull().defaultNow(),
});
export type ReminderJob = typeof reminderJobs.$inferSelect;

export const calendarFeeds = pgTable('calendar_feeds', {
  id: uuid('user_id').primaryKey(),
  nonce: text('nonce').notNull(),
  tokenHash: text('token_hash').notNull(),
  createdAt: ts('created_at').notNull().defaultNow(),
  patientNames: text('patient_names').$type<'INITIALS' | 'FULL'>().notNull().default('INITIALS'),
});

export type { Contact, Parties };

const doctorUser = alias(users, 'n_doctor_user');
const patientUser = alias(users, 'n_patient_user');
const contact = (u: typeof doctorUser | typeof patientUser) => ({
  id: u.id,
  firstname: u.firstname,
  lastname: u.lastname,
  email: u.email,
  accountStatus: u.accountStatus,
  locale: u.locale,
  timeZone: u.timeZone,
});

function selectParties(ex: Executor) {
  return ex
    .select({ appointment: appointments, doctor: { ...contact(doctorUser), timezone: doctors.timezone }, patient: contact(patientUser) })
    .from(appointments)
    .innerJoin(doctorUser, eq(doctorUser.id, appointments.doctorId))
    .innerJoin(doctors, eq(doctors.id, appointments.doctorId))
    .innerJoin(patientUser, eq(patientUser.id, appointments.patientId));
}

/** The appointment with both parties' names, addresses and the doctor's zone. */
export async function partiesOf(ex: Executor, appointmentId: string): Promise<Parties | undefined> {
  const [row] = await selectParties(ex).where(eq(appointments.id, appointmentId)).limit(1);
  return row;
}

/** Live appointments of a user (as patient or doctor) that have not ended, by start. */
export async function upcomingOf(ex: Executor, userId: string, now: Date, limit: number): Promise<Parties[]> {
  return selectParties(ex)
    .where(
      and(
        or(eq(appointments.patientId, userId), eq(appointments.doctorId, userId)),
        inArray(appointments.status, ['PENDING', 'CONFIRMED']),
        gt(appointments.endsAt, now),
      ),
    )
    .orderBy(asc(appointments.startsAt), asc(appointments.id))
    .limit(limit);
}

// ---------- reminders ----------

/** Schedules reminders; one already scheduled (or sent) for the same appointment, party, offset and start is kept as is. */
export async function insertReminders(ex: Executor, rows: (typeof reminderJobs.$inferInsert)[]): Promise<void> {
  if (rows.length) await ex.insert(reminderJobs).values(rows).onConflictDoNothing();
}

/**
 * The reminders' part of the booking's one INSERT: the new appointment's reminders, read with its `id` and
 * `"startsAt"` from the booking's CTE `from`; one already scheduled is kept as is, as insertReminders does.
 */
export const bookingReminderPart: StatementPart<BookingReminder[]> = {
  params: 3,
  text: (from, first) => `INSERT INTO reminder_jobs (appointment_id, party, offset_minutes, starts_at, due_at)
     SELECT ${from}.id, r.party, r.offset_minutes, ${from}."startsAt", r.due_at
       FROM ${from}, unnest($${first}::text[], $${first + 1}::int[], $${first + 2}::timestamptz[]) AS r(party, offset_minutes, due_at)
     ON CONFLICT DO NOTHING`,
  values: (reminders) => [reminders.map((r) => r.party), reminders.map((r) => r.offsetMinutes), reminders.map((r) => r.dueAt)],
};

/** Drops the appointment's reminders not yet sent, except those for `keepStartsAt` (its current start). */
export async function dropPendingReminders(ex: Executor, appointmentId: string, keepStartsAt?: Date): Promise<void> {
  await ex
    .delete(reminderJobs)
    .where(
      and(
        eq(reminderJobs.appointmentId, appointmentId),
        isNull(reminderJobs.doneAt),
        keepStartsAt ? ne(reminderJobs.startsAt, keepStartsAt) : undefined,
      ),
    );
}

/** Locks due reminders no other instance holds; the caller's transaction finishes them. */
export async function claimDue(ex: Executor, now: Date, limit: number): Promise<ReminderJob[]> {
  return ex
    .select()
    .from(reminderJobs)
    .where(and(isNull(reminderJobs.doneAt), lte(reminderJobs.dueAt, now)))
    .orderBy(asc(reminderJobs.dueAt), asc(reminderJobs.id))
    .limit(limit)
    .for('update', { skipLocked: true });
}

export async function finishReminder(ex: Executor, id: number, outcome: 'SENT' | 'SKIPPED'): Promise<void> {
  await ex
    .update(reminderJobs)
    .set({ doneAt: sql`now()`, outcome })
    .where(eq(reminderJobs.id, id));
}

// ---------- calendar feeds ----------

export async function feedOf(ex: Executor, userId: string) {
  const [row] = await ex.select().from(calendarFeeds).where(eq(calendarFeeds.id, userId)).limit(1);
  return row;
}

export async function setPatientNames(ex: Executor, userId: string, patientNames: 'INITIALS' | 'FULL'): Promise<void> {
  await ex.update(calendarFeeds).set({ patientNames }).where(eq(calendarFeeds.id, userId));
}

/** Creates the feed unless one exists (a concurrent first GET keeps the winner's); returns the stored one. */
export async function ensureFeed(ex: Executor, userId: string, nonce: string, tokenHash: string) {
  await ex.insert(calendarFeeds).values({ id: userId, nonce, tokenHash }).onConflictDoNothing({ target: calendarFeeds.id });
  return (await feedOf(ex, userId))!;
}

export async function replaceFeed(ex: Executor, userId: string, nonce: string, tokenHash: string): Promise<void> {
  await ex
    .insert(calendarFeeds)
    .values({ id: userId, nonce, tokenHash })
    .onConflictDoUpdate({ target: calendarFeeds.id, set: { nonce, tokenHash, createdAt: sql`now()` } });
}

/** The active user owning a feed token hash. */
export async function feedOwner(ex: Executor, tokenHash: string) {
  const [row] = await ex
    .select({ id: users.id, role: users.role, locale: users.locale, timeZone: users.timeZone, patientNames: calendarFeeds.patientNames })
    .from(calendarFeeds)
    .innerJoin(users, eq(users.id, calendarFeeds.id))
    .where(and(eq(calendarFeeds.tokenHash, tokenHash), eq(users.accountStatus, 'ACTIVE')))
    .limit(1);
  return row;
}

import { and, asc, eq, gt, gte, inArray, lt, ne, or, sql, type SQL } from 'drizzle-orm';
import { alias, boolean, integer, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { createHash } from 'node:crypto';
import {
  constraintName,
  prepared,
  run,
  runWithCommit,
  sqlState,
  type Executor,
  type Prepared,
  type StatementPart,
} from '../../platform/db/index.ts';
import { auditEventPart } from '../../platform/audit.ts';
import { outboxPart, type OutgoingMail } from '../../platform/mail.ts';
import type { BookingReminder, Contact } from './hooks.ts';
import { BOOKABLE_SQL, DOCTOR_COLUMNS, doctorTimeOff, type DoctorRow } from '../doctors/index.ts';
import { ts } from '../../platform/db/tables.ts';
import { lockAccount, users } from '../auth/index.ts';
import type { ClinicalGrant } from './access.ts';

/** The statuses of an appointment (the API's). */
export type AppointmentStatus = 'PENDING' | 'CONFIRMED' | 'CANCELLED' | 'COMPLETED' | 'NO_SHOW';
/**
 * A row is an appointment or a hold: a waitlist offer's slot kept for its patient (HELD, until
 * `holdExpiresAt`), a row of this table so that the exclusion constraints count it like a booking. Holds are
 * placed, released and turned into appointments only here (placeHold, releaseHold, convertHold), for the
 * waitlist; they are nobody's appointment until accepted, so no view of appointments shows them.
 */
export type StoredStatus = AppointmentStatus | 'HELD';

export const appointments = pgTable('appointments', {
  id: uuid('id').primaryKey().defaultRandom(),
  patientId: uuid('patient_id').notNull(),
  doctorId: uuid('doctor_id').notNull(),
  startsAt: ts('starts_at').notNull(),
  endsAt: ts('ends_at').notNull(),
  status: text('status').$type<StoredStatus>().notNull(),
  reason: text('reason'),
  cancellationReason: text('cancellation_reason'),
  cancelledBy: uuid('cancelled_by'),
  sequence: integer('sequence').notNull().default(0),
  lateCancellation: boolean('late_cancellation').notNull().default(false),
  createdAt: ts('created_at').notNull().defaultNow(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
  /** Set exactly on a HELD row (appointments_hold_expiry). */
  holdExpiresAt: ts('hold_expires_at'),
});

/** Statuses that make a doctor and a patient related (contract: "Roles and the care relationship"). */
export const CARE_STATUSES: AppointmentStatus[] = ['PENDING', 'CONFIRMED', 'COMPLETED', 'NO_SHOW'];
/** Default of CARE_RELATIONSHIP_DAYS: how long a COMPLETED or NO_SHOW appointment keeps the relationship. */
export const DEFAULT_CARE_RELATIONSHIP_DAYS = 365;

/**
 * The one definition of the care relationship, as a condition on an appointments row: an open
 * appointment (PENDING/CONFIRMED) whenever it is, or a COMPLETED/NO_SHOW one that ended less than
 * `days` ago. CANCELLED grants nothing. Every check and list of related patients uses this.
 */
export function careAppointment(days: number, now: Date): SQL {
  const since = new Date(now.getTime() - days * 86_400_000);
  return or(
    inArray(appointments.status, ['PENDING', 'CONFIRMED']),
    and(inArray(appointments.status, ['COMPLETED', 'NO_SHOW']), gt(appointments.endsAt, since)),
  )!;
}

export async function careRelationshipExists(ex: Executor, doctorId: string, patientId: string, days: number, now: Date): Promise<boolean> {
  const rows = await ex
    .select({ id: appointments.id })
    .from(appointments)
    .where(and(eq(appointments.doctorId, doctorId), eq(appointments.patientId, patientId), careAppointment(days, now)))
    .limit(1);
  return rows.length > 0;
}

/** Late cancellations and no-shows of each listed patient with this doctor (the patient list's reliability counts). */
export async function agendaCounts(ex: Executor, doctorId: string, patientIds: string[]) {
  if (!patientIds.length) return new Map<string, { lateCancellations: number; noShows: number }>();
  const rows = await ex
    .select({
      patientId: appointments.patientId,
      lateCancellations: sql<number>`(count(*) FILTER (WHERE ${appointments.lateCancellation}))::int`,
      noShows: sql<number>`(count(*) FILTER (WHERE ${appointments.status} = 'NO_SHOW'))::int`,
    })
    .from(appointments)
    .where(and(eq(appointments.doctorId, doctorId), inArray(appointments.patientId, patientIds)))
    .groupBy(appointments.patientId);
  return new Map(rows.map((r) => [r.patientId, { lateCancellations: Number(r.lateCancellations), noShows: Number(r.noShows) }]));
}

// ---------- reads and writes for the appointments service ----------

export type AppointmentRow = typeof appointments.$inferSelect;
export interface Person {
  id: string;
  firstname: string;
  lastname: string;
}
export interface AppointmentView extends AppointmentRow {
  doctor: Person;
  patient: Person;
}

const doctorUser = alias(users, 'doctor_user');
const patientUser = alias(users, 'patient_user');

/** The appointments a grant covers (access.ts: its patient, its verified doctor, admins), never a waitlist hold. */
function visibleTo(grant: ClinicalGrant): SQL | undefined {
  // Waitlist holds (status HELD) live in this table so the exclusion constraints count them; they are
  // nobody's appointment until accepted.
  const notHold = sql`${appointments.status} <> 'HELD'`;
  return and(notHold, grant.where({ patientId: appointments.patientId, doctorId: appointments.doctorId }));
}

function selectViews(ex: Executor) {
  return ex
    .select({
      a: appointments,
      d: { id: doctorUser.id, firstname: doctorUser.firstname, lastname: doctorUser.lastname },
      p: { id: patientUser.id, firstname: patientUser.firstname, lastname: patientUser.lastname },
    })
    .from(appointments)
    .innerJoin(doctorUser, eq(doctorUser.id, appointments.doctorId))
    .innerJoin(patientUser, eq(patientUser.id, appointments.patientId));
}

const toView = (r: { a: AppointmentRow; d: Person; p: Person }): AppointmentView => ({ ...r.a, doctor: r.d, patient: r.p });

export async function findVisible(ex: Executor, id: string, grant: ClinicalGrant): Promise<AppointmentView | undefined> {
  const [row] = await selectViews(ex)
    .where(and(eq(appointments.id, id), visibleTo(grant)))
    .limit(1);
  return row && toView(row);
}

/**
 * Locks an appointment (not a hold) of which `participantId` is the patient or the doctor, for a change that
 * depends on it, so the change serialises with its transitions: a prescription written on it, a participant
 * joining its visit. Another module locks an appointment only through this.
 */
export async function lockAppointment(ex: Executor, id: string, participantId: string): Promise<AppointmentRow | undefined> {
  const [row] = await ex
    .select()
    .from(appointments)
    .where(
      and(
        eq(appointments.id, id),
        ne(appointments.status, 'HELD'),
        or(eq(appointments.patientId, participantId), eq(appointments.doctorId, participantId)),
      ),
    )
    .limit(1)
    .for('update');
  return row;
}

/** Locks the row for a transition; null when it does not exist or the actor may not see it. */
export async function lockVisible(ex: Executor, id: string, grant: ClinicalGrant): Promise<AppointmentRow | undefined> {
  const [row] = await ex
    .select()
    .from(appointments)
    .where(and(eq(appointments.id, id), visibleTo(grant)))
    .limit(1)
    .for('update');
  return row;
}

/** An appointment the grant covers, just written by its holder (a transition, an accepted waitlist offer). */
export async function findView(ex: Executor, id: string, grant: ClinicalGrant): Promise<AppointmentView> {
  const [row] = await selectViews(ex)
    .where(and(eq(appointments.id, id), visibleTo(grant)))
    .limit(1);
  if (!row) throw new Error(`appointment ${id} is not covered by the grant it was changed under`);
  return toView(row);
}

export async function insertAppointment(ex: Executor, values: typeof appointments.$inferInsert): Promise<string> {
  const [row] = await ex.insert(appointments).values(values).returning({ id: appointments.id });
  return row.id;
}

export async function updateAppointment(ex: Executor, id: string, patch: Partial<typeof appointments.$inferInsert>): Promise<void> {
  await ex
    .update(appointments)
    .set({ ...patch, updatedAt: sql`now()` })
    .where(eq(appointments.id, id));
}

/** The appointments `grant` covers (of its named patient, if any), by start time. */
export async function listVisible(
  ex: Executor,
  grant: ClinicalGrant,
  f: { status?: AppointmentStatus; from?: Date; to?: Date; after: [string, string] | null; limit: number },
): Promise<AppointmentView[]> {
  const rows = await selectViews(ex)
    .where(
      and(
        visibleTo(grant),
        f.status ? eq(appointments.status, f.status) : undefined,
        f.from ? gte(appointments.startsAt, f.from) : undefined,
        f.to ? lt(appointments.startsAt, f.to) : undefined,
        f.after ? sql`(${appointments.startsAt}, ${appointments.id}) > (${f.after[0]}::timestamptz, ${f.after[1]}::uuid)` : undefined,
      ),
    )
    .orderBy(asc(appointments.startsAt), asc(appointments.id))
    .limit(f.limit + 1);
  return rows.map(toView);
}

// ---------- booking limits ----------

/**
 * Serialises one patient's bookings: taken before counting, so two concurrent bookings of the same
 * patient cannot both see room under the limit. The lock is on the patient's account (identity's users
 * row, through identity's lockAccount: the patients table is a module above this one).
 */
export async function lockPatient(ex: Executor, patientId: string): Promise<void> {
  await lockAccount(ex, patientId);
}

/** The patient's open (PENDING/CONFIRMED, starting after `now`) appointments, in all and with one doctor. */
export async function countOpen(ex: Executor, patientId: string, doctorId: string, now: Date, exceptId?: string) {
  const [row] = await ex
    .select({
      total: sql<number>`count(*)::int`,
      withDoctor: sql<number>`(count(*) FILTER (WHERE ${appointments.doctorId} = ${doctorId}))::int`,
    })
    .from(appointments)
    .where(
      and(
        eq(appointments.patientId, patientId),
        inArray(appointments.status, ['PENDING', 'CONFIRMED']),
        gt(appointments.startsAt, now),
        exceptId ? ne(appointments.id, exceptId) : undefined,
      ),
    );
  return { total: Number(row.total), withDoctor: Number(row.withDoctor) };
}

// ---------- free slots: the doctor's rules (doctors) less what is busy (here) ----------

/** A bookable doctor with what their free slots are computed from. */
export interface SlotData extends DoctorRow {
  rules: { weekday: number; startMinute: number; endMinute: number }[];
  /** Live appointments (holds included, `except` left out) and time off overlapping the window, epoch ms. */
  busy: { start: number; end: number }[];
}

/**
 * The select list of a bookable doctor's slot data, reading $1 doctor, $2/$3 window (timestamptz; the
 * window's end is stretched by one slot), $4 appointment to leave out (or null). Shared by GET slots and
 * booking's check, so both see the very same rules.
 */
export const SLOT_DATA_SELECT = `${DOCTOR_COLUMNS},
  coalesce((SELECT json_agg(json_build_object('weekday', r.weekday, 'startMinute', r.start_minute, 'endMinute', r.end_minute)
                            ORDER BY r.weekday, r.start_minute)
              FROM availability_rules r WHERE r.doctor_id = d.id), '[]') AS rules,
  coalesce((SELECT json_agg(json_build_object('start', b.s, 'end', b.e))
              FROM (SELECT extract(epoch FROM a.starts_at) * 1000 AS s, extract(epoch FROM a.ends_at) * 1000 AS e
                      FROM appointments a
                     WHERE a.doctor_id = d.id AND a.status IN ('PENDING', 'CONFIRMED', 'HELD')
                       AND a.starts_at < $3::timestamptz + make_interval(mins => d.slot_minutes) AND a.ends_at > $2::timestamptz
                       AND ($4::uuid IS NULL OR a.id <> $4::uuid)
                    UNION ALL
                    SELECT extract(epoch FROM o.starts_at) * 1000, extract(epoch FROM o.ends_at) * 1000
                      FROM doctor_time_off o
                     WHERE o.doctor_id = d.id
                       AND o.starts_at < $3::timestamptz + make_interval(mins => d.slot_minutes) AND o.ends_at > $2::timestamptz) b),
           '[]') AS busy`;

export const SLOT_DATA = prepared<SlotData>(
  'appointments_slot_data',
  `SELECT ${SLOT_DATA_SELECT} FROM doctors d JOIN users u ON u.id = d.id WHERE d.id = $1 AND ${BOOKABLE_SQL}`,
);

/** One statement for a slots request: the doctor (if bookable), their rules and what is busy in [from, to + a slot). */
export async function slotData(ex: Executor, doctorId: string, from: Date, to: Date, exceptAppointmentId?: string) {
  const [row] = await run(ex, SLOT_DATA, [doctorId, from, to, exceptAppointmentId ?? null]);
  return row;
}

/** Intervals that block slots in [from, to): live appointments (except one being moved) and time off. */
export async function busyIntervals(ex: Executor, doctorId: string, from: Date, to: Date, exceptAppointmentId?: string) {
  const appts = await ex
    .select({ start: appointments.startsAt, end: appointments.endsAt, id: appointments.id })
    .from(appointments)
    .where(
      and(
        eq(appointments.doctorId, doctorId),
        // A waitlist hold (HELD) blocks the slot like a booking while it lives.
        sql`${appointments.status} IN ('PENDING', 'CONFIRMED', 'HELD')`,
        lt(appointments.startsAt, to),
        gt(appointments.endsAt, from),
      ),
    );
  const off = await ex
    .select({ start: doctorTimeOff.startsAt, end: doctorTimeOff.endsAt })
    .from(doctorTimeOff)
    .where(and(eq(doctorTimeOff.doctorId, doctorId), lt(doctorTimeOff.startsAt, to), gt(doctorTimeOff.endsAt, from)));
  return [...appts.filter((a) => a.id !== exceptAppointmentId), ...off].map((b) => ({ start: b.start.getTime(), end: b.end.getTime() }));
}

// ---------- booking: as few statements as correctness allows ----------

/** Everything a booking decides on, read in one statement once the patient's row is locked. */
export interface BookingCheck extends SlotData {
  doctorContact: Contact;
  patientContact: Contact;
  /** The patient's open (PENDING/CONFIRMED, future) appointments, in all and with this doctor. */
  openTotal: number;
  openWithDoctor: number;
  /** The transaction's now(): what created_at and updated_at of a row inserted in it will read. */
  txNow: Date;
}

// $1 doctor, $2/$3 the window, $4 null (no appointment left out), $5 patient, $6 now. Run after
// lockPatient, in a statement of its own: its snapshot then sees every booking of this patient that
// committed before the lock was granted, so the counts are exact under a race.
export const BOOKING_CHECK = prepared<
  Omit<BookingCheck, 'doctorContact' | 'patientContact'> & { doctorContact: string; patientContact: string }
>(
  'appointments_booking_check',
  `SELECT ${SLOT_DATA_SELECT},
          json_build_object('id', u.id, 'firstname', u.firstname, 'lastname', u.lastname, 'email', u.email, 'accountStatus', u.account_status,
                            'locale', u.locale, 'timeZone', u.time_zone) AS "doctorContact",
          json_build_object('id', pu.id, 'firstname', pu.firstname, 'lastname', pu.lastname, 'email', pu.email, 'accountStatus', pu.account_status,
                            'locale', pu.locale, 'timeZone', pu.time_zone) AS "patientContact",
          (SELECT count(*)::int FROM appointments a
            WHERE a.patient_id = $5::uuid AND a.status IN ('PENDING', 'CONFIRMED') AND a.starts_at > $6::timestamptz) AS "openTotal",
          (SELECT count(*)::int FROM appointments a
            WHERE a.patient_id = $5::uuid AND a.doctor_id = d.id AND a.status IN ('PENDING', 'CONFIRMED') AND a.starts_at > $6::timestamptz) AS "openWithDoctor",
          now() AS "txNow"
     FROM doctors d
     JOIN users u ON u.id = d.id
     JOIN users pu ON pu.id = $5::uuid
    WHERE d.id = $1 AND ${BOOKABLE_SQL}`,
);

/** The bookable doctor with their slot data, both parties' contacts and the patient's open counts; undefined when not bookable. */
export async function bookingCheck(
  ex: Executor,
  doctorId: string,
  patientId: string,
  startsAt: Date,
  now: Date,
): Promise<BookingCheck | undefined> {
  const [row] = await run(ex, BOOKING_CHECK, [doctorId, startsAt, new Date(startsAt.getTime() + 1), null, patientId, now]);
  if (!row) return undefined;
  const parse = (c: unknown) => (typeof c === 'string' ? JSON.parse(c) : c) as Contact;
  return { ...row, doctorContact: parse(row.doctorContact), patientContact: parse(row.patientContact) };
}

const APPOINTMENT_RETURNING = `id, patient_id AS "patientId", doctor_id AS "doctorId", starts_at AS "startsAt", ends_at AS "endsAt",
  status, reason, cancellation_reason AS "cancellationReason", cancelled_by AS "cancelledBy", sequence,
  late_cancellation AS "lateCancellation", created_at AS "createdAt", updated_at AS "updatedAt"`;

// The appointment, its audit event, its mails (outbox) and its reminders in one statement: the
// appointment's INSERT is booking's, each other table's part is its owner's (audit's, the outbox's, and
// notifications' for the reminders, handed over by the bookingNotices provider), so no column of another
// module is spelt here. The exclusion constraints on appointments stay the judge of overlaps: a lost
// race fails this statement. Nobody reads its result (it is sent with COMMIT, runWithCommit): it returns
// only the id.
const APPOINTMENT_PARAMS = 7;
const statements = new WeakMap<StatementPart<BookingReminder[]>, Prepared<{ id: string }>>();

/** The booking's one INSERT with `reminders` as its reminders' part (built once per part). */
export function bookingStatement(reminders: StatementPart<BookingReminder[]>): Prepared<{ id: string }> {
  let q = statements.get(reminders);
  if (q) return q;
  const audit = APPOINTMENT_PARAMS + 1;
  const mail = audit + auditEventPart.params;
  const rem = mail + outboxPart.params;
  const text = `WITH ins AS (
     INSERT INTO appointments (id, patient_id, doctor_id, starts_at, ends_at, status, reason)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     RETURNING ${APPOINTMENT_RETURNING}
   ), aud AS (
     ${auditEventPart.text('ins', audit)}
   ), mail AS (
     ${outboxPart.text('ins', mail)}
   ), rem AS (
     ${reminders.text('ins', rem)}
   )
   SELECT id FROM ins`;
  // Named by its text: one prepared statement per distinct composition, never two texts under one name.
  q = prepared<{ id: string }>(`appointments_insert_booking_${createHash('sha256').update(text).digest('hex').slice(0, 12)}`, text);
  statements.set(reminders, q);
  return q;
}

export async function insertBooking(
  ex: Executor,
  reminderPart: StatementPart<BookingReminder[]>,
  a: { id: string; patientId: string; doctorId: string; startsAt: Date; endsAt: Date; status: AppointmentStatus; reason: string | null },
  auditValues: unknown[],
  mails: OutgoingMail[],
  reminders: BookingReminder[],
): Promise<void> {
  // The last statement of the booking, sent with its COMMIT: the audit event's chain head stays locked
  // for only as long as the server takes to commit.
  await runWithCommit(ex, bookingStatement(reminderPart), [
    a.id,
    a.patientId,
    a.doctorId,
    a.startsAt,
    a.endsAt,
    a.status,
    a.reason,
    ...auditEventPart.values(auditValues),
    ...outboxPart.values(mails),
    ...reminderPart.values(reminders),
  ]);
}

// ---------- waitlist holds: placed, released and converted here, for the waitlist ----------

/** A hold the exclusion constraints refused: the doctor's time is taken, or the patient has something else then. */
export class HoldRefused extends Error {
  constructor(readonly by: 'doctor' | 'patient') {
    super(by === 'patient' ? 'the patient has an appointment or hold at that time' : "the doctor's time is taken");
  }
}

/**
 * Holds [startsAt, endsAt) of the doctor for the patient until `expiresAt`: a HELD row, which blocks the
 * slot like a booking. Throws HoldRefused when the exclusion constraints refuse it; the transaction (or
 * savepoint) it ran in is then aborted, as after any failed statement.
 */
export async function placeHold(
  ex: Executor,
  h: { patientId: string; doctorId: string; startsAt: Date; endsAt: Date; expiresAt: Date },
): Promise<string> {
  try {
    const [row] = await ex
      .insert(appointments)
      .values({
        patientId: h.patientId,
        doctorId: h.doctorId,
        startsAt: h.startsAt,
        endsAt: h.endsAt,
        status: 'HELD',
        holdExpiresAt: h.expiresAt,
      })
      .returning({ id: appointments.id });
    return row.id;
  } catch (err) {
    if (sqlState(err) === '23P01') throw new HoldRefused(constraintName(err) === 'appointments_patient_no_overlap' ? 'patient' : 'doctor');
    throw err;
  }
}

/** Gives the held time back (a declined, expired or withdrawn offer); a hold already converted stays the appointment. */
export async function releaseHold(ex: Executor, holdId: string): Promise<void> {
  await ex.delete(appointments).where(and(eq(appointments.id, holdId), eq(appointments.status, 'HELD')));
}

/** Turns the hold into the appointment in place, so the time is never free in between; false if it is no longer held. */
export async function convertHold(ex: Executor, holdId: string, status: 'PENDING' | 'CONFIRMED', reason: string | null): Promise<boolean> {
  const rows = await ex
    .update(appointments)
    .set({ status, holdExpiresAt: null, reason, createdAt: sql`now()`, updatedAt: sql`now()` })
    .where(and(eq(appointments.id, holdId), eq(appointments.status, 'HELD')))
    .returning({ id: appointments.id });
  return rows.length === 1;
}

/**
 * The open (PENDING/CONFIRMED, not yet ended) appointments the grant covers, locked for a change of them all:
 * a patient's closing of their account cancels them. Bounded by the booking limits (BOOKING_MAX_OPEN).
 */
export async function lockOpenVisible(ex: Executor, grant: ClinicalGrant, now: Date): Promise<AppointmentRow[]> {
  return ex
    .select()
    .from(appointments)
    .where(and(visibleTo(grant), inArray(appointments.status, ['PENDING', 'CONFIRMED']), gt(appointments.endsAt, now)))
    .orderBy(appointments.startsAt, appointments.id)
    .for('update');
}

/** How many open, not yet ended appointments a doctor has (their own schedule, no patient data). */
export async function countOpenOfDoctor(ex: Executor, doctorId: string, now: Date): Promise<number> {
  const [row] = await ex
    .select({ n: sql<number>`count(*)::int` })
    .from(appointments)
    .where(and(eq(appointments.doctorId, doctorId), inArray(appointments.status, ['PENDING', 'CONFIRMED']), gt(appointments.endsAt, now)));
  return Number(row.n);
}

/** How many open, not yet ended appointments the grant covers. */
export async function countOpenVisible(ex: Executor, grant: ClinicalGrant, now: Date): Promise<number> {
  const [row] = await ex
    .select({ n: sql<number>`count(*)::int` })
    .from(appointments)
    .where(and(visibleTo(grant), inArray(appointments.status, ['PENDING', 'CONFIRMED']), gt(appointments.endsAt, now)));
  return Number(row.n);
}

import { and, asc, eq, gt, gte, inArray, lt, ne, or, sql, type SQL } from 'drizzle-orm';
import { alias, boolean, integer, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import type { Executor } from '../../platform/db/index.ts';
import { ts } from '../../platform/db/tables.ts';
import { users } from '../auth/index.ts';

export type AppointmentStatus = 'PENDING' | 'CONFIRMED' | 'CANCELLED' | 'COMPLETED' | 'NO_SHOW';

export const appointments = pgTable('appointments', {
  id: uuid('id').primaryKey().defaultRandom(),
  patientId: uuid('patient_id').notNull(),
  doctorId: uuid('doctor_id').notNull(),
  startsAt: ts('starts_at').notNull(),
  endsAt: ts('ends_at').notNull(),
  status: text('status').$type<AppointmentStatus>().notNull(),
  reason: text('reason'),
  cancellationReason: text('cancellation_reason'),
  cancelledBy: uuid('cancelled_by'),
  sequence: integer('sequence').notNull().default(0),
  lateCancellation: boolean('late_cancellation').notNull().default(false),
  createdAt: ts('created_at').notNull().defaultNow(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
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

/** Who may see which appointment: its patient, its doctor, any admin. */
function visibleTo(actor: { userId: string; role: string }): SQL | undefined {
  // Waitlist holds (status HELD) live in this table so the exclusion constraints count them; they are
  // nobody's appointment until accepted.
  const notHold = sql`${appointments.status} <> 'HELD'`;
  if (actor.role === 'ADMIN') return notHold;
  if (actor.role === 'DOCTOR') return and(notHold, eq(appointments.doctorId, actor.userId));
  return and(notHold, eq(appointments.patientId, actor.userId));
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

export async function findVisible(ex: Executor, id: string, actor: { userId: string; role: string }): Promise<AppointmentView | undefined> {
  const [row] = await selectViews(ex)
    .where(and(eq(appointments.id, id), visibleTo(actor)))
    .limit(1);
  return row && toView(row);
}

/** Locks the row for a transition; null when it does not exist or the actor may not see it. */
export async function lockVisible(ex: Executor, id: string, actor: { userId: string; role: string }): Promise<AppointmentRow | undefined> {
  const [row] = await ex
    .select()
    .from(appointments)
    .where(and(eq(appointments.id, id), visibleTo(actor)))
    .limit(1)
    .for('update');
  return row;
}

export async function findView(ex: Executor, id: string): Promise<AppointmentView> {
  const [row] = await selectViews(ex).where(eq(appointments.id, id)).limit(1);
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

export async function listVisible(
  ex: Executor,
  actor: { userId: string; role: string },
  f: { status?: AppointmentStatus; from?: Date; to?: Date; patientId?: string; after: [string, string] | null; limit: number },
): Promise<AppointmentView[]> {
  const rows = await selectViews(ex)
    .where(
      and(
        visibleTo(actor),
        f.status ? eq(appointments.status, f.status) : undefined,
        f.patientId ? eq(appointments.patientId, f.patientId) : undefined,
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
 * patient cannot both see room under the limit. NO KEY UPDATE does not block inserts elsewhere that
 * merely reference the patient (they take KEY SHARE).
 */
export async function lockPatient(ex: Executor, patientId: string): Promise<void> {
  await ex.execute(sql`SELECT id FROM patients WHERE id = ${patientId} FOR NO KEY UPDATE`);
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

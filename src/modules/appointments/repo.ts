import { and, asc, eq, gte, inArray, lt, sql, type SQL } from 'drizzle-orm';
import { alias, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import type { Executor } from '../../platform/db/index.ts';
import { users, ts } from '../../platform/db/tables.ts';


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
  createdAt: ts('created_at').notNull().defaultNow(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
});

/** Statuses that make a doctor and a patient related (contract: "Roles and the care relationship"). */
export const CARE_STATUSES: AppointmentStatus[] = ['PENDING', 'CONFIRMED', 'COMPLETED', 'NO_SHOW'];

export async function careRelationshipExists(ex: Executor, doctorId: string, patientId: string): Promise<boolean> {
  const rows = await ex
    .select({ id: appointments.id })
    .from(appointments)
    .where(and(eq(appointments.doctorId, doctorId), eq(appointments.patientId, patientId), inArray(appointments.status, CARE_STATUSES)))
    .limit(1);
  return rows.length > 0;
}

// ---------- reads and writes for the appointments service ----------

export type AppointmentRow = typeof appointments.$inferSelect;
export interface Person { id: string; firstname: string; lastname: string }
export interface AppointmentView extends AppointmentRow { doctor: Person; patient: Person }

const doctorUser = alias(users, 'doctor_user');
const patientUser = alias(users, 'patient_user');

/** Who may see which appointment: its patient, its doctor, any admin. */
function visibleTo(actor: { userId: string; role: string }): SQL | undefined {
  if (actor.role === 'ADMIN') return undefined;
  if (actor.role === 'DOCTOR') return eq(appointments.doctorId, actor.userId);
  return eq(appointments.patientId, actor.userId);
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
  const [row] = await selectViews(ex).where(and(eq(appointments.id, id), visibleTo(actor))).limit(1);
  return row && toView(row);
}

/** Locks the row for a transition; null when it does not exist or the actor may not see it. */
export async function lockVisible(ex: Executor, id: string, actor: { userId: string; role: string }): Promise<AppointmentRow | undefined> {
  const [row] = await ex.select().from(appointments).where(and(eq(appointments.id, id), visibleTo(actor))).limit(1).for('update');
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
  await ex.update(appointments).set({ ...patch, updatedAt: sql`now()` }).where(eq(appointments.id, id));
}

export async function listVisible(
  ex: Executor,
  actor: { userId: string; role: string },
  f: { status?: AppointmentStatus; from?: Date; to?: Date; patientId?: string; after: [string, string] | null; limit: number },
): Promise<AppointmentView[]> {
  const rows = await selectViews(ex)
    .where(and(
      visibleTo(actor),
      f.status ? eq(appointments.status, f.status) : undefined,
      f.patientId ? eq(appointments.patientId, f.patientId) : undefined,
      f.from ? gte(appointments.startsAt, f.from) : undefined,
      f.to ? lt(appointments.startsAt, f.to) : undefined,
      f.after ? sql`(${appointments.startsAt}, ${appointments.id}) > (${f.after[0]}::timestamptz, ${f.after[1]}::uuid)` : undefined,
    ))
    .orderBy(asc(appointments.startsAt), asc(appointments.id))
    .limit(f.limit + 1);
  return rows.map(toView);
}

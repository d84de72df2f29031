import { and, eq, or, sql } from 'drizzle-orm';
import { alias, pgTable, uuid } from 'drizzle-orm/pg-core';
import type { Executor } from '../../platform/db/index.ts';
import { ts } from '../../platform/db/tables.ts';
import { doctors } from '../doctors/index.ts';
import { users } from '../auth/index.ts';
import { appointments, lockAppointment, type AppointmentStatus, type ClinicalGrant } from '../appointments/index.ts';

/** migrations/0015_visits.sql is the source of truth. */
export const visitPresence = pgTable('visit_presence', {
  appointmentId: uuid('appointment_id').notNull(),
  userId: uuid('user_id').notNull(),
  connectionId: uuid('connection_id').notNull(),
  instanceId: uuid('instance_id').notNull(),
  joinedAt: ts('joined_at').notNull().defaultNow(),
  heartbeatAt: ts('heartbeat_at').notNull().defaultNow(),
});

export interface Participant {
  id: string;
  firstname: string;
  lastname: string;
  role: 'PATIENT' | 'DOCTOR';
}

export interface VisitRow {
  id: string;
  patientId: string;
  doctorId: string;
  startsAt: Date;
  endsAt: Date;
  status: AppointmentStatus;
  doctorStatus: 'PENDING' | 'VERIFIED' | 'REJECTED';
  me: Participant;
  peer: Participant;
}

export interface PresenceRow {
  appointmentId: string;
  userId: string;
  connectionId: string;
}

const me = alias(users, 'me');
const peer = alias(users, 'peer');

/**
 * The appointment if the grant covers it and its holder is its patient or its doctor (admins and strangers
 * get nothing), with both participants' names and the doctor's current credential status. `lock` serialises
 * the joins of one visit, so two sockets of one user cannot both become its participant: the appointment is
 * locked first, through booking (which owns the table), and read after.
 */
export async function findVisit(ex: Executor, grant: ClinicalGrant, appointmentId: string, lock = false): Promise<VisitRow | undefined> {
  const userId = grant.userId;
  if (lock && !(await lockAppointment(ex, appointmentId, userId))) return undefined;
  const [row] = await ex
    .select({
      id: appointments.id,
      patientId: appointments.patientId,
      doctorId: appointments.doctorId,
      startsAt: appointments.startsAt,
      endsAt: appointments.endsAt,
      status: appointments.status,
      doctorStatus: doctors.verificationStatus,
      me: { id: me.id, firstname: me.firstname, lastname: me.lastname, role: me.role },
      peer: { id: peer.id, firstname: peer.firstname, lastname: peer.lastname, role: peer.role },
    })
    .from(appointments)
    .innerJoin(doctors, eq(doctors.id, appointments.doctorId))
    .innerJoin(me, eq(me.id, userId))
    .innerJoin(
      peer,
      sql`${peer.id} = CASE WHEN ${appointments.patientId} = ${userId} THEN ${appointments.doctorId} ELSE ${appointments.patientId} END`,
    )
    .where(
      and(
        eq(appointments.id, appointmentId),
        or(eq(appointments.patientId, userId), eq(appointments.doctorId, userId)),
        grant.where({ patientId: appointments.patientId, doctorId: appointments.doctorId }),
      ),
    )
    .limit(1);
  return row as VisitRow | undefined;
}

export async function doctorStatus(ex: Executor, doctorId: string): Promise<string | undefined> {
  const [row] = await ex.select({ s: doctors.verificationStatus }).from(doctors).where(eq(doctors.id, doctorId)).limit(1);
  return row?.s;
}

/** A presence row counts only while its instance keeps refreshing it. */
const fresh = (staleMs: number) => sql`${visitPresence.heartbeatAt} > now() - make_interval(secs => ${staleMs / 1000})`;

/** The live participants of one visit (zero, one or two rows). */
export async function presenceOf(ex: Executor, appointmentId: string, staleMs: number): Promise<PresenceRow[]> {
  return ex
    .select({ appointmentId: visitPresence.appointmentId, userId: visitPresence.userId, connectionId: visitPresence.connectionId })
    .from(visitPresence)
    .where(and(eq(visitPresence.appointmentId, appointmentId), fresh(staleMs)));
}

/** Makes this socket the user's one presence in the visit; answers the socket it replaced, if any. */
export async function join(
  ex: Executor,
  row: { appointmentId: string; userId: string; connectionId: string; instanceId: string },
): Promise<string | null> {
  const [prev] = await ex
    .select({ connectionId: visitPresence.connectionId })
    .from(visitPresence)
    .where(and(eq(visitPresence.appointmentId, row.appointmentId), eq(visitPresence.userId, row.userId)));
  await ex
    .insert(visitPresence)
    .values(row)
    .onConflictDoUpdate({
      target: [visitPresence.appointmentId, visitPresence.userId],
      set: { connectionId: row.connectionId, instanceId: row.instanceId, joinedAt: sql`now()`, heartbeatAt: sql`now()` },
    });
  return prev?.connectionId ?? null;
}

export interface Departure extends PresenceRow {
  patientId: string;
  doctorId: string;
  role: 'PATIENT' | 'DOCTOR';
}

const departure = sql`visit_presence.appointment_id AS "appointmentId", visit_presence.user_id AS "userId",
  visit_presence.connection_id AS "connectionId", a.patient_id AS "patientId", a.doctor_id AS "doctorId",
  CASE WHEN a.patient_id = visit_presence.user_id THEN 'PATIENT' ELSE 'DOCTOR' END AS role`;

async function remove(ex: Executor, where: ReturnType<typeof sql>): Promise<Departure[]> {
  const res = await ex.execute(sql`
    DELETE FROM visit_presence USING appointments a
    WHERE a.id = visit_presence.appointment_id AND ${where}
    RETURNING ${departure}`);
  return (res as unknown as { rows: Departure[] }).rows;
}

/** Removes one participant, only if it is still this socket (a rejoin elsewhere has replaced it otherwise). */
export const leave = (ex: Executor, appointmentId: string, userId: string, connectionId: string) =>
  remove(
    ex,
    sql`visit_presence.appointment_id = ${appointmentId} AND visit_presence.user_id = ${userId} AND visit_presence.connection_id = ${connectionId}`,
  );

export const leaveAll = (ex: Executor, connectionId: string) => remove(ex, sql`visit_presence.connection_id = ${connectionId}`);

export const removeInstance = (ex: Executor, instanceId: string) => remove(ex, sql`visit_presence.instance_id = ${instanceId}`);

/** Rows whose instance stopped refreshing them (it crashed or lost its database). */
export const removeStale = (ex: Executor, staleMs: number) =>
  remove(ex, sql`visit_presence.heartbeat_at <= now() - make_interval(secs => ${staleMs / 1000})`);

/** Participants of visits that are no longer open: cancelled, completed, or past their close. */
export const removeClosed = (ex: Executor, now: Date, closesAfterMinutes: number) =>
  remove(
    ex,
    sql`(a.status <> 'CONFIRMED' OR a.ends_at + make_interval(mins => ${closesAfterMinutes}) <= ${now.toISOString()}::timestamptz)`,
  );

export async function refresh(ex: Executor, instanceId: string): Promise<void> {
  await ex
    .update(visitPresence)
    .set({ heartbeatAt: sql`now()` })
    .where(eq(visitPresence.instanceId, instanceId));
}

import { and, eq, gt, inArray, isNull, or, sql } from 'drizzle-orm';
import { alias, integer, pgTable, text, uuid } from 'drizzle-orm/pg-core';
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

/** migrations/0031_visit_waiting_room.sql is the source of truth. */
export const visitAdmissions = pgTable('visit_admissions', {
  appointmentId: uuid('appointment_id').notNull(),
  userId: uuid('user_id').notNull(),
  admittedBy: uuid('admitted_by').notNull(),
  admittedAt: ts('admitted_at').notNull(),
});

export const doctorRunningLate = pgTable('doctor_running_late', {
  doctorId: uuid('doctor_id').primaryKey(),
  minutes: integer('minutes').notNull(),
  setAt: ts('set_at').notNull(),
  expiresAt: ts('expires_at').notNull(),
});

export const visitScreenShare = pgTable('visit_screen_share', {
  appointmentId: uuid('appointment_id').primaryKey(),
  allowedBy: uuid('allowed_by').notNull(),
  allowedAt: ts('allowed_at').notNull(),
});

/** migrations/0032_visit_guests.sql is the source of truth. */
export const visitGuests = pgTable('visit_guests', {
  id: uuid('id').primaryKey().defaultRandom(),
  appointmentId: uuid('appointment_id').notNull(),
  role: text('role').notNull().$type<GuestRole>(),
  label: text('label'),
  inviteHash: text('invite_hash').notNull(),
  createdBy: uuid('created_by').notNull(),
  createdAt: ts('created_at').notNull(),
  agreement: text('agreement').notNull().$type<'PATIENT_INVITED' | 'DOCTOR_STATED_PATIENT_AGREED'>(),
  revokedAt: ts('revoked_at'),
  revokedBy: uuid('revoked_by'),
  redeemedAt: ts('redeemed_at'),
  displayName: text('display_name'),
  capabilityHash: text('capability_hash'),
});

export const GUEST_ROLES = ['FAMILY', 'INTERPRETER', 'CAREGIVER', 'OTHER'] as const;
export type GuestRole = (typeof GUEST_ROLES)[number];

export interface Participant {
  id: string;
  firstname: string;
  lastname: string;
  role: 'PATIENT' | 'DOCTOR' | 'GUEST';
  /** Guests only: the role they were invited in. */
  guestRole?: GuestRole;
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

/** The live participants of one visit (zero to four rows: doctor, patient, up to two guests). */
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
  role: 'PATIENT' | 'DOCTOR' | 'GUEST';
  /** Guests only: the role they were invited in (the audit trail's actor role is `GUEST_<role>`). */
  guestRole: GuestRole | null;
}

const departure = sql`visit_presence.appointment_id AS "appointmentId", visit_presence.user_id AS "userId",
  visit_presence.connection_id AS "connectionId", a.patient_id AS "patientId", a.doctor_id AS "doctorId",
  CASE WHEN a.patient_id = visit_presence.user_id THEN 'PATIENT' WHEN a.doctor_id = visit_presence.user_id THEN 'DOCTOR'
    ELSE 'GUEST' END AS role,
  (SELECT g.role FROM visit_guests g WHERE g.id = visit_presence.user_id) AS "guestRole"`;

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

/** Removes one participant whichever socket they joined with (a revoked guest). */
export const leaveAny = (ex: Executor, appointmentId: string, userId: string) =>
  remove(ex, sql`visit_presence.appointment_id = ${appointmentId} AND visit_presence.user_id = ${userId}`);

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

// --- The waiting room -----------------------------------------------------------------------------------------

/** The visit's patient and doctor, whoever asks (callers have checked that the asker is in the visit). */
export async function appointmentParties(
  ex: Executor,
  appointmentId: string,
): Promise<{ patientId: string; doctorId: string } | undefined> {
  const [row] = await ex
    .select({ patientId: appointments.patientId, doctorId: appointments.doctorId })
    .from(appointments)
    .where(eq(appointments.id, appointmentId))
    .limit(1);
  return row;
}

/** The participants of one visit the doctor admitted (the doctor needs no admission). */
export async function admittedIn(ex: Executor, appointmentId: string): Promise<Set<string>> {
  const rows = await ex
    .select({ userId: visitAdmissions.userId })
    .from(visitAdmissions)
    .where(eq(visitAdmissions.appointmentId, appointmentId));
  return new Set(rows.map((r) => r.userId));
}

/** Records the admission; false when the participant was already admitted. */
export async function admit(
  ex: Executor,
  row: { appointmentId: string; userId: string; admittedBy: string; admittedAt: Date },
): Promise<boolean> {
  const out = await ex.insert(visitAdmissions).values(row).onConflictDoNothing().returning({ userId: visitAdmissions.userId });
  return out.length > 0;
}

/** The doctor's fresh presence rows: in which visits the doctor is right now. */
export async function visitsOf(ex: Executor, userId: string, staleMs: number): Promise<string[]> {
  const rows = await ex
    .select({ appointmentId: visitPresence.appointmentId })
    .from(visitPresence)
    .where(and(eq(visitPresence.userId, userId), fresh(staleMs)));
  return rows.map((r) => r.appointmentId);
}

/**
 * Participants in the lobby of the doctor's visits: present, not admitted. Patients only with the waiting
 * room on (`patients`); guests always wait for the doctor.
 */
export async function waitingFor(ex: Executor, doctorId: string, staleMs: number, patients = true): Promise<PresenceRow[]> {
  const res = await ex.execute(sql`
    SELECT vp.appointment_id AS "appointmentId", vp.user_id AS "userId", vp.connection_id AS "connectionId"
    FROM visit_presence vp
    JOIN appointments a ON a.id = vp.appointment_id AND vp.user_id <> a.doctor_id
    WHERE a.doctor_id = ${doctorId}
      AND (${patients} OR vp.user_id <> a.patient_id)
      AND vp.heartbeat_at > now() - make_interval(secs => ${staleMs / 1000})
      AND NOT EXISTS (SELECT 1 FROM visit_admissions va WHERE va.appointment_id = vp.appointment_id AND va.user_id = vp.user_id)`);
  return (res as unknown as { rows: PresenceRow[] }).rows;
}

export interface RunningLate {
  minutes: number;
  setAt: Date;
  expiresAt: Date;
}

/** The doctor's "running late" status if set and not expired at `now`. */
export async function runningLate(ex: Executor, doctorId: string, now: Date): Promise<RunningLate | null> {
  const [row] = await ex
    .select({ minutes: doctorRunningLate.minutes, setAt: doctorRunningLate.setAt, expiresAt: doctorRunningLate.expiresAt })
    .from(doctorRunningLate)
    .where(and(eq(doctorRunningLate.doctorId, doctorId), gt(doctorRunningLate.expiresAt, now)))
    .limit(1);
  return row ?? null;
}

export async function setRunningLate(ex: Executor, doctorId: string, late: RunningLate | null): Promise<void> {
  if (!late) {
    await ex.delete(doctorRunningLate).where(eq(doctorRunningLate.doctorId, doctorId));
    return;
  }
  await ex
    .insert(doctorRunningLate)
    .values({ doctorId, ...late })
    .onConflictDoUpdate({ target: doctorRunningLate.doctorId, set: late });
}

// --- Screen sharing -------------------------------------------------------------------------------------------

export async function patientMayShare(ex: Executor, appointmentId: string): Promise<boolean> {
  const rows = await ex
    .select({ id: visitScreenShare.appointmentId })
    .from(visitScreenShare)
    .where(eq(visitScreenShare.appointmentId, appointmentId));
  return rows.length > 0;
}

export async function setPatientMayShare(ex: Executor, appointmentId: string, by: string, at: Date, allowed: boolean): Promise<void> {
  if (!allowed) {
    await ex.delete(visitScreenShare).where(eq(visitScreenShare.appointmentId, appointmentId));
    return;
  }
  await ex
    .insert(visitScreenShare)
    .values({ appointmentId, allowedBy: by, allowedAt: at })
    .onConflictDoUpdate({ target: visitScreenShare.appointmentId, set: { allowedBy: by, allowedAt: at } });
}

// --- Guests ---------------------------------------------------------------------------------------------------

export type GuestRow = typeof visitGuests.$inferSelect;

/**
 * Who can be in the visit, by id: its doctor and patient (users) and its guests who redeemed their link
 * and were not revoked. The names the other participants see.
 */
export async function participantsOf(ex: Executor, appointmentId: string): Promise<Map<string, Participant>> {
  const res = await ex.execute(sql`
    SELECT u.id, u.firstname, u.lastname, CASE WHEN u.id = a.patient_id THEN 'PATIENT' ELSE 'DOCTOR' END AS role, NULL AS "guestRole"
    FROM appointments a JOIN users u ON u.id IN (a.patient_id, a.doctor_id)
    WHERE a.id = ${appointmentId}
    UNION ALL
    SELECT g.id, g.display_name, '', 'GUEST', g.role
    FROM visit_guests g
    WHERE g.appointment_id = ${appointmentId} AND g.redeemed_at IS NOT NULL AND g.revoked_at IS NULL`);
  const out = new Map<string, Participant>();
  for (const r of (res as unknown as { rows: (Participant & { guestRole: GuestRole | null })[] }).rows) {
    const { guestRole, ...person } = r;
    out.set(r.id, guestRole ? { ...person, guestRole } : person);
  }
  return out;
}

/** Invites that still hold a place (not revoked): at most two per visit. */
export async function activeGuestCount(ex: Executor, appointmentId: string): Promise<number> {
  const rows = await ex
    .select({ id: visitGuests.id })
    .from(visitGuests)
    .where(and(eq(visitGuests.appointmentId, appointmentId), isNull(visitGuests.revokedAt)));
  return rows.length;
}

export async function insertGuest(ex: Executor, row: typeof visitGuests.$inferInsert): Promise<GuestRow> {
  const [out] = await ex.insert(visitGuests).values(row).returning();
  return out;
}

export async function guestsOf(ex: Executor, appointmentId: string): Promise<GuestRow[]> {
  return ex.select().from(visitGuests).where(eq(visitGuests.appointmentId, appointmentId)).orderBy(visitGuests.createdAt, visitGuests.id);
}

export async function findGuest(ex: Executor, appointmentId: string, guestId: string): Promise<GuestRow | undefined> {
  const [row] = await ex
    .select()
    .from(visitGuests)
    .where(and(eq(visitGuests.appointmentId, appointmentId), eq(visitGuests.id, guestId)))
    .limit(1);
  return row;
}

/** The invite with its visit, by the link token's hash (any state: the caller tells used, revoked and closed apart). */
export async function guestByHash(ex: Executor, column: 'invite' | 'capability', hash: string) {
  const [row] = await ex
    .select({
      guest: visitGuests,
      patientId: appointments.patientId,
      doctorId: appointments.doctorId,
      startsAt: appointments.startsAt,
      endsAt: appointments.endsAt,
      status: appointments.status,
      doctorStatus: doctors.verificationStatus,
      doctor: { firstname: users.firstname, lastname: users.lastname },
    })
    .from(visitGuests)
    .innerJoin(appointments, eq(appointments.id, visitGuests.appointmentId))
    .innerJoin(doctors, eq(doctors.id, appointments.doctorId))
    .innerJoin(users, eq(users.id, appointments.doctorId))
    .where(column === 'invite' ? eq(visitGuests.inviteHash, hash) : eq(visitGuests.capabilityHash, hash))
    .limit(1);
  return row;
}

/**
 * The first redemption binds the link: one UPDATE that only an unredeemed, unrevoked invite matches, so of
 * two redemptions at once exactly one wins (the other matches nothing once the first committed).
 */
export async function redeem(
  ex: Executor,
  id: string,
  set: { displayName: string; capabilityHash: string; redeemedAt: Date },
): Promise<boolean> {
  const out = await ex
    .update(visitGuests)
    .set(set)
    .where(and(eq(visitGuests.id, id), isNull(visitGuests.redeemedAt), isNull(visitGuests.revokedAt)))
    .returning({ id: visitGuests.id });
  return out.length > 0;
}

export async function revokeGuest(ex: Executor, id: string, by: string, at: Date): Promise<boolean> {
  const out = await ex
    .update(visitGuests)
    .set({ revokedAt: at, revokedBy: by })
    .where(and(eq(visitGuests.id, id), isNull(visitGuests.revokedAt)))
    .returning({ id: visitGuests.id });
  return out.length > 0;
}

/** The guests (by id) of these whose capability no longer holds: revoked, or their visit no longer confirmed or closed. */
export async function endedGuests(ex: Executor, ids: string[], now: Date, closesAfterMinutes: number): Promise<string[]> {
  if (!ids.length) return [];
  const rows = await ex
    .select({ id: visitGuests.id })
    .from(visitGuests)
    .innerJoin(appointments, eq(appointments.id, visitGuests.appointmentId))
    .where(
      and(
        inArray(visitGuests.id, ids),
        or(
          sql`${visitGuests.revokedAt} IS NOT NULL`,
          sql`${appointments.status} <> 'CONFIRMED'`,
          sql`${appointments.endsAt} + make_interval(mins => ${closesAfterMinutes}) <= ${now.toISOString()}::timestamptz`,
        ),
      ),
    );
  const found = new Set(rows.map((r) => r.id));
  // A guest whose row is gone (the appointment was deleted) has ended too.
  const known = await ex.select({ id: visitGuests.id }).from(visitGuests).where(inArray(visitGuests.id, ids));
  const exist = new Set(known.map((r) => r.id));
  return ids.filter((id) => found.has(id) || !exist.has(id));
}

import { and, asc, eq, gt, inArray, lt, sql, type SQL } from 'drizzle-orm';
import { integer, pgTable, smallint, text, uuid } from 'drizzle-orm/pg-core';
import { prepared, run, type Executor } from '../../platform/db/index.ts';
import { doctors, patients, ts } from '../../platform/db/tables.ts';
import { users } from '../auth/tables.ts';
import { appointments, careAppointment } from '../appointments/repo.ts';

export const availabilityRules = pgTable('availability_rules', {
  id: uuid('id').primaryKey().defaultRandom(),
  doctorId: uuid('doctor_id').notNull(),
  weekday: smallint('weekday').notNull(),
  startMinute: integer('start_minute').notNull(),
  endMinute: integer('end_minute').notNull(),
});

export const doctorTimeOff = pgTable('doctor_time_off', {
  id: uuid('id').primaryKey().defaultRandom(),
  doctorId: uuid('doctor_id').notNull(),
  startsAt: ts('starts_at').notNull(),
  endsAt: ts('ends_at').notNull(),
  reason: text('reason'),
  createdAt: ts('created_at').notNull().defaultNow(),
});

export type UserRow = typeof users.$inferSelect;
export type DoctorRow = typeof doctors.$inferSelect;
export type RuleRow = typeof availabilityRules.$inferSelect;
export type TimeOffRow = typeof doctorTimeOff.$inferSelect;

/** Bookable = credentials verified by an admin and the account not suspended. */
export const bookable = and(eq(doctors.verificationStatus, 'VERIFIED'), eq(users.accountStatus, 'ACTIVE'));

export async function findDoctorWithUser(ex: Executor, id: string, onlyBookable = false, lock = false) {
  const q = ex
    .select({ user: users, doctor: doctors })
    .from(doctors)
    .innerJoin(users, eq(users.id, doctors.id))
    .where(onlyBookable ? and(eq(doctors.id, id), bookable) : eq(doctors.id, id))
    .limit(1);
  const [row] = lock ? await q.for('update', { of: doctors }) : await q;
  return row;
}

/** The doctors row's columns as the Drizzle model names them, for the prepared hot queries. */
export const DOCTOR_COLUMNS = `d.id, d.specialization, d.license_number AS "licenseNumber", d.bio, d.timezone,
  d.slot_minutes AS "slotMinutes", d.auto_confirm AS "autoConfirm", d.min_notice_minutes AS "minNoticeMinutes",
  d.max_advance_days AS "maxAdvanceDays", d.cancellation_notice_hours AS "cancellationNoticeHours",
  d.verification_status AS "verificationStatus", d.verification_note AS "verificationNote",
  d.verified_at AS "verifiedAt", d.verified_by AS "verifiedBy", d.updated_at AS "updatedAt"`;

const DOCTOR_BY_ID = prepared<DoctorRow>('doctors_by_id', `SELECT ${DOCTOR_COLUMNS} FROM doctors d WHERE d.id = $1`);

/** The doctors row alone (GET /me has the account from the session check). */
export async function findDoctor(ex: Executor, id: string): Promise<DoctorRow | undefined> {
  const [row] = await run(ex, DOCTOR_BY_ID, [id]);
  return row;
}

const like = (s: string) => `%${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

// Directory columns kept by triggers (migration 0008), not part of the Drizzle model: they mirror users'
// names and status onto the doctors row so one partial index serves the directory's filter and order.
const dir = {
  listed: sql`${doctors}.dir_listed`,
  lastname: sql`${doctors}.dir_lastname`,
  firstname: sql`${doctors}.dir_firstname`,
  search: sql`${doctors}.dir_search`,
};

export async function listDoctors(
  ex: Executor,
  opts: {
    onlyBookable: boolean;
    verificationStatus?: DoctorRow['verificationStatus'];
    specialization?: string;
    q?: string;
    after: [string, string, string] | null;
    limit: number;
  },
) {
  const conds: (SQL | undefined)[] = [];
  // dir_listed is exactly `bookable` (verified and active), and what the directory's indexes are partial on.
  if (opts.onlyBookable) conds.push(sql`${dir.listed}`);
  if (opts.verificationStatus) conds.push(eq(doctors.verificationStatus, opts.verificationStatus));
  if (opts.specialization) conds.push(sql`lower(${doctors.specialization}) = lower(${opts.specialization})`);
  // One ILIKE over "first last", specialization and bio joined by a separator q cannot contain (trigram index).
  if (opts.q) conds.push(sql`${dir.search} ILIKE ${like(opts.q)}`);
  if (opts.after) {
    const [ln, fn, id] = opts.after;
    conds.push(sql`(${dir.lastname}, ${dir.firstname}, ${doctors.id}) > (${ln}, ${fn}, ${id}::uuid)`);
  }
  return ex
    .select({ user: users, doctor: doctors })
    .from(doctors)
    .innerJoin(users, eq(users.id, doctors.id))
    .where(and(...conds))
    .orderBy(asc(dir.lastname), asc(dir.firstname), asc(doctors.id))
    .limit(opts.limit + 1);
}

export async function updateDoctor(ex: Executor, id: string, patch: Partial<typeof doctors.$inferInsert>): Promise<void> {
  await ex
    .update(doctors)
    .set({ ...patch, updatedAt: sql`now()` })
    .where(eq(doctors.id, id));
}

export async function rulesOf(ex: Executor, doctorId: string): Promise<RuleRow[]> {
  return ex
    .select()
    .from(availabilityRules)
    .where(eq(availabilityRules.doctorId, doctorId))
    .orderBy(asc(availabilityRules.weekday), asc(availabilityRules.startMinute));
}

export async function replaceRules(ex: Executor, doctorId: string, rules: Omit<RuleRow, 'id' | 'doctorId'>[]): Promise<void> {
  await ex.delete(availabilityRules).where(eq(availabilityRules.doctorId, doctorId));
  if (rules.length) await ex.insert(availabilityRules).values(rules.map((r) => ({ ...r, doctorId })));
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

export async function insertTimeOff(ex: Executor, row: typeof doctorTimeOff.$inferInsert): Promise<TimeOffRow> {
  const [r] = await ex.insert(doctorTimeOff).values(row).returning();
  return r;
}

export async function listTimeOff(ex: Executor, doctorId: string, endingAfter: Date | null, after: [string, string] | null, limit: number) {
  return ex
    .select()
    .from(doctorTimeOff)
    .where(
      and(
        eq(doctorTimeOff.doctorId, doctorId),
        endingAfter ? gt(doctorTimeOff.endsAt, endingAfter) : undefined,
        after ? sql`(${doctorTimeOff.startsAt}, ${doctorTimeOff.id}) > (${after[0]}::timestamptz, ${after[1]}::uuid)` : undefined,
      ),
    )
    .orderBy(asc(doctorTimeOff.startsAt), asc(doctorTimeOff.id))
    .limit(limit + 1);
}

/** The removed period (the waitlist offers the time it freed), or undefined when there was none. */
export async function deleteTimeOff(ex: Executor, doctorId: string, id: string): Promise<{ startsAt: Date; endsAt: Date } | undefined> {
  const [row] = await ex
    .delete(doctorTimeOff)
    .where(and(eq(doctorTimeOff.id, id), eq(doctorTimeOff.doctorId, doctorId)))
    .returning({ startsAt: doctorTimeOff.startsAt, endsAt: doctorTimeOff.endsAt });
  return row;
}

/** Patients with at least one appointment that makes a care relationship with this doctor. */
export async function carePatients(
  ex: Executor,
  doctorId: string,
  careDays: number,
  after: [string, string, string] | null,
  limit: number,
) {
  const related = ex
    .selectDistinct({ id: appointments.patientId })
    .from(appointments)
    .where(and(eq(appointments.doctorId, doctorId), careAppointment(careDays)));
  return ex
    .select({ user: users, patient: patients })
    .from(patients)
    .innerJoin(users, eq(users.id, patients.id))
    .where(
      and(
        inArray(patients.id, related),
        after ? sql`(${users.lastname}, ${users.firstname}, ${patients.id}) > (${after[0]}, ${after[1]}, ${after[2]}::uuid)` : undefined,
      ),
    )
    .orderBy(asc(users.lastname), asc(users.firstname), asc(patients.id))
    .limit(limit + 1);
}

/** Late cancellations and no-shows of each listed patient with this doctor (the agenda's reliability counts). */
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

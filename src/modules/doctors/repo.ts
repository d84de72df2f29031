import { and, asc, eq, gt, sql, type SQL } from 'drizzle-orm';
import { integer, pgTable, smallint, text, uuid } from 'drizzle-orm/pg-core';
import { prepared, run, type Executor } from '../../platform/db/index.ts';
import { ts } from '../../platform/db/tables.ts';
import { doctors, doctorDirectory } from './tables.ts';
import { users } from '../auth/index.ts';

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

export async function insertDoctor(ex: Executor, d: typeof doctors.$inferInsert): Promise<DoctorRow> {
  const [row] = await ex.insert(doctors).values(d).returning();
  return row;
}

/** The doctors row's columns as the Drizzle model names them, for the prepared hot queries. */
export const DOCTOR_COLUMNS = `d.id, d.specialization, d.license_number AS "licenseNumber", d.bio, d.timezone,
  d.slot_minutes AS "slotMinutes", d.auto_confirm AS "autoConfirm", d.min_notice_minutes AS "minNoticeMinutes",
  d.max_advance_days AS "maxAdvanceDays", d.cancellation_notice_hours AS "cancellationNoticeHours",
  d.verification_status AS "verificationStatus", d.verification_note AS "verificationNote",
  d.verified_at AS "verifiedAt", d.verified_by AS "verifiedBy", d.updated_at AS "updatedAt",
  d.intake_questionnaire_id AS "intakeQuestionnaireId"`;

const DOCTOR_BY_ID = prepared<DoctorRow>('doctors_by_id', `SELECT ${DOCTOR_COLUMNS} FROM doctors d WHERE d.id = $1`);

/** The doctors row alone (GET /me has the account from the session check). */
export async function findDoctor(ex: Executor, id: string): Promise<DoctorRow | undefined> {
  const [row] = await run(ex, DOCTOR_BY_ID, [id]);
  return row;
}

/** Bookable = verified and active: the same condition as `bookable`, for raw SQL over doctors d JOIN users u. */
export const BOOKABLE_SQL = `d.verification_status = 'VERIFIED' AND u.account_status = 'ACTIVE'`;

/** A directory row: the doctor and the names shown beside them. */
export interface DirectoryRow {
  doctor: DoctorRow;
  user: { firstname: string; lastname: string };
}

// The public directory, prepared: one statement text per combination of filters (eight at most), so
// each keeps a plan that uses the partial and trigram indexes of migration 0008.
const directoryQueries = new Map<string, ReturnType<typeof prepared<DoctorRow & { firstname: string; lastname: string }>>>();
export function directoryQuery(spec: boolean, q: boolean, after: boolean) {
  const key = `${+spec}${+q}${+after}`;
  let query = directoryQueries.get(key);
  if (!query) {
    const conds = ['d.dir_listed'];
    if (spec) conds.push('lower(d.specialization) = lower($2)');
    if (q) conds.push('d.dir_search ILIKE $3');
    if (after) conds.push('(d.dir_lastname, d.dir_firstname, d.id) > ($4, $5, $6::uuid)');
    // Unused parameters still need a type; this keeps one parameter list for all eight texts.
    const unused = [
      !spec && '$2::text IS NULL',
      !q && '$3::text IS NULL',
      !after && '$4::text IS NULL AND $5::text IS NULL AND $6::text IS NULL',
    ]
      .filter(Boolean)
      .join(' AND ');
    query = prepared(
      `doctors_directory_${key}`,
      `SELECT ${DOCTOR_COLUMNS}, u.firstname, u.lastname
         FROM doctors d JOIN users u ON u.id = d.id
        WHERE ${conds.join(' AND ')}${unused ? ` AND (${unused} OR true)` : ''}
        ORDER BY d.dir_lastname, d.dir_firstname, d.id
        LIMIT $1`,
    );
    directoryQueries.set(key, query);
  }
  return query;
}

/** The public directory (bookable doctors), filtered and paged as listDoctors does with onlyBookable. */
export async function listDirectory(
  ex: Executor,
  opts: { specialization?: string; q?: string; after: [string, string, string] | null; limit: number },
): Promise<DirectoryRow[]> {
  const query = directoryQuery(!!opts.specialization, !!opts.q, !!opts.after);
  const rows = await run(ex, query, [
    opts.limit + 1,
    opts.specialization ?? null,
    opts.q ? like(opts.q) : null,
    opts.after?.[0] ?? null,
    opts.after?.[1] ?? null,
    opts.after?.[2] ?? null,
  ]);
  return rows.map(({ firstname, lastname, ...doctor }) => ({ doctor, user: { firstname, lastname } }));
}

const like = (s: string) => `%${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

// Directory columns kept by triggers (migration 0008): they mirror users' names and status onto the
// doctors row so one partial index serves the directory's filter and order.
const dir = doctorDirectory;

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

/** Active admins, oldest first, at most `limit`: whom a doctor's registration is announced to. */
export async function activeAdmins(ex: Executor, limit: number) {
  return ex
    .select({ id: users.id, email: users.email, firstname: users.firstname, lastname: users.lastname, locale: users.locale })
    .from(users)
    .where(and(eq(users.role, 'ADMIN'), eq(users.accountStatus, 'ACTIVE')))
    .orderBy(asc(users.createdAt))
    .limit(limit);
}

/** Doctors awaiting verification, counted from doctors_verification_idx (the admins' badge). */
export async function pendingCount(ex: Executor): Promise<number> {
  const [r] = await ex
    .select({ n: sql<number>`count(*)::int` })
    .from(doctors)
    .where(eq(doctors.verificationStatus, 'PENDING'));
  return Number(r?.n ?? 0);
}

import { and, asc, eq, inArray, lte, ne, sql, type SQL } from 'drizzle-orm';
import { alias, bigserial, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import type { Executor } from '../../platform/db/index.ts';
import { ts } from '../../platform/db/tables.ts';
import { doctors } from '../doctors/index.ts';
import { users } from '../auth/index.ts';

export type EntryStatus = 'WAITING' | 'OFFERED' | 'BOOKED' | 'REMOVED';
export type OfferStatus = 'OFFERED' | 'ACCEPTED' | 'DECLINED' | 'EXPIRED' | 'WITHDRAWN';

export const waitlistEntries = pgTable('waitlist_entries', {
  id: uuid('id').primaryKey().defaultRandom(),
  seq: bigserial('seq', { mode: 'number' }).notNull(),
  patientId: uuid('patient_id').notNull(),
  doctorId: uuid('doctor_id').notNull(),
  fromAt: ts('from_at').notNull(),
  toAt: ts('to_at').notNull(),
  status: text('status').$type<EntryStatus>().notNull(),
  createdAt: ts('created_at').notNull().defaultNow(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
});

export const waitlistOffers = pgTable('waitlist_offers', {
  id: uuid('id').primaryKey().defaultRandom(),
  entryId: uuid('entry_id').notNull(),
  patientId: uuid('patient_id').notNull(),
  doctorId: uuid('doctor_id').notNull(),
  holdId: uuid('hold_id'),
  startsAt: ts('starts_at').notNull(),
  endsAt: ts('ends_at').notNull(),
  expiresAt: ts('expires_at').notNull(),
  status: text('status').$type<OfferStatus>().notNull(),
  notifiedAt: ts('notified_at'),
  createdAt: ts('created_at').notNull().defaultNow(),
  resolvedAt: ts('resolved_at'),
});

export type EntryRow = typeof waitlistEntries.$inferSelect;
export type OfferRow = typeof waitlistOffers.$inferSelect;
export interface Person {
  id: string;
  firstname: string;
  lastname: string;
}
export interface EntryView extends EntryRow {
  doctor: Person;
  patient: Person;
  offer: OfferRow | null;
}

const doctorUser = alias(users, 'doctor_user');
const patientUser = alias(users, 'patient_user');

export async function insertEntry(
  ex: Executor,
  values: { patientId: string; doctorId: string; fromAt: Date; toAt: Date },
): Promise<string> {
  const [row] = await ex
    .insert(waitlistEntries)
    .values({ ...values, status: 'WAITING' })
    .returning({ id: waitlistEntries.id });
  return row.id;
}

/**
 * Serialises one patient's joins (held to the end of the transaction), so two concurrent joins cannot both
 * pass the limit check. An advisory lock: the waitlist owns no row of the patient's to lock.
 */
export async function lockPatientJoins(ex: Executor, patientId: string): Promise<void> {
  await ex.execute(sql`SELECT pg_advisory_xact_lock(hashtextextended(${`waitlist:${patientId}`}, 0))`);
}

/** The patient's live entries (waiting or offered, window not over), in all and with one doctor. */
export async function countLive(ex: Executor, patientId: string, doctorId: string, now: Date) {
  const [row] = await ex
    .select({
      total: sql<number>`count(*)::int`,
      withDoctor: sql<number>`(count(*) FILTER (WHERE ${waitlistEntries.doctorId} = ${doctorId}))::int`,
    })
    .from(waitlistEntries)
    .where(
      and(
        eq(waitlistEntries.patientId, patientId),
        inArray(waitlistEntries.status, ['WAITING', 'OFFERED']),
        sql`${waitlistEntries.toAt} > ${now.toISOString()}::timestamptz`,
      ),
    );
  return { total: Number(row.total), withDoctor: Number(row.withDoctor) };
}

/** Entries with their people and live offer; `where` decides whose (the service puts the caller in it). */
async function selectViews(ex: Executor, where: SQL | undefined, limit: number): Promise<EntryView[]> {
  const rows = await ex
    .select({
      e: waitlistEntries,
      d: { id: doctorUser.id, firstname: doctorUser.firstname, lastname: doctorUser.lastname },
      p: { id: patientUser.id, firstname: patientUser.firstname, lastname: patientUser.lastname },
      o: waitlistOffers,
    })
    .from(waitlistEntries)
    .innerJoin(doctorUser, eq(doctorUser.id, waitlistEntries.doctorId))
    .innerJoin(patientUser, eq(patientUser.id, waitlistEntries.patientId))
    .leftJoin(waitlistOffers, and(eq(waitlistOffers.entryId, waitlistEntries.id), eq(waitlistOffers.status, 'OFFERED')))
    .where(where)
    .orderBy(asc(waitlistEntries.seq))
    .limit(limit);
  return rows.map((r) => ({ ...r.e, doctor: r.d, patient: r.p, offer: r.o }));
}

export async function findView(ex: Executor, id: string): Promise<EntryView> {
  const [v] = await selectViews(ex, eq(waitlistEntries.id, id), 1);
  return v;
}

/** A patient's own entries, or the entries waiting for a doctor, in line order (keyset on seq). */
export async function listVisible(
  ex: Executor,
  actor: { userId: string; role: string },
  f: { status?: EntryStatus; afterSeq: number | null; limit: number },
): Promise<EntryView[]> {
  const owner = actor.role === 'DOCTOR' ? eq(waitlistEntries.doctorId, actor.userId) : eq(waitlistEntries.patientId, actor.userId);
  return selectViews(
    ex,
    and(
      owner,
      ne(waitlistEntries.status, 'REMOVED'),
      f.status ? eq(waitlistEntries.status, f.status) : undefined,
      f.afterSeq !== null ? sql`${waitlistEntries.seq} > ${f.afterSeq}` : undefined,
    ),
    f.limit + 1,
  );
}

export async function lockOwnEntry(ex: Executor, id: string, patientId: string): Promise<EntryRow | undefined> {
  const [row] = await ex
    .select()
    .from(waitlistEntries)
    .where(and(eq(waitlistEntries.id, id), eq(waitlistEntries.patientId, patientId), ne(waitlistEntries.status, 'REMOVED')))
    .limit(1)
    .for('update');
  return row;
}

export async function setEntryStatus(ex: Executor, id: string, status: EntryStatus, onlyFrom?: EntryStatus): Promise<void> {
  await ex
    .update(waitlistEntries)
    .set({ status, updatedAt: sql`now()` })
    .where(and(eq(waitlistEntries.id, id), onlyFrom ? eq(waitlistEntries.status, onlyFrom) : undefined));
}

/**
 * The earliest entry in line that waits for this doctor with a window containing [start, end), whose
 * patient is not suspended and not at a booking limit (open appointments and live holds counted: a hold
 * they could not accept would only block the slot), was never offered this slot before (by any entry:
 * a declined or expired slot never returns to the one who let it go), holds no other live offer of this
 * doctor and has no appointment or hold at that time. The KNN scan of waitlist_entries_line_idx yields candidates in seq order, so this is
 * O(log n) in the number waiting. Locked, so two transactions never offer one entry two slots; a
 * candidate changed by a concurrent transaction is re-checked and passed over.
 */
export async function nextInLine(
  ex: Executor,
  doctorId: string,
  start: Date,
  end: Date,
  skip: string[],
  limits: { now: Date; maxOpen: number; maxOpenPerDoctor: number },
): Promise<{ id: string; patientId: string } | undefined> {
  const s = start.toISOString();
  const e = end.toISOString();
  const now = sql`${limits.now.toISOString()}::timestamptz`;
  const rows = await ex.execute(sql`
    SELECT w.id, w.patient_id FROM waitlist_entries w
    WHERE w.status = 'WAITING' AND w.doctor_id = ${doctorId}
      AND tstzrange(w.from_at, w.to_at, '[]') @> tstzrange(${s}::timestamptz, ${e}::timestamptz, '[]')
      AND EXISTS (SELECT 1 FROM users u WHERE u.id = w.patient_id AND u.account_status = 'ACTIVE')
      AND NOT EXISTS (SELECT 1 FROM waitlist_offers o WHERE o.patient_id = w.patient_id AND o.doctor_id = ${doctorId} AND o.starts_at = ${s}::timestamptz)
      AND NOT EXISTS (SELECT 1 FROM waitlist_offers o WHERE o.patient_id = w.patient_id AND o.doctor_id = ${doctorId} AND o.status = 'OFFERED')
      AND NOT EXISTS (SELECT 1 FROM appointments a WHERE a.patient_id = w.patient_id AND a.status IN ('PENDING', 'CONFIRMED', 'HELD')
                        AND a.starts_at < ${e}::timestamptz AND a.ends_at > ${s}::timestamptz)
      AND (SELECT count(*) FILTER (WHERE a.status = 'HELD' OR a.starts_at > ${now})
                < ${limits.maxOpen}
             AND count(*) FILTER (WHERE a.doctor_id = ${doctorId} AND (a.status = 'HELD' OR a.starts_at > ${now}))
                < ${limits.maxOpenPerDoctor}
             FROM appointments a WHERE a.patient_id = w.patient_id AND a.status IN ('PENDING', 'CONFIRMED', 'HELD'))
      ${
        skip.length
          ? sql`AND w.id NOT IN (${sql.join(
              skip.map((id) => sql`${id}::uuid`),
              sql`, `,
            )})`
          : sql``
      }
    ORDER BY w.seq <-> 0::bigint
    LIMIT 1
    FOR UPDATE OF w`);
  const row = (rows as unknown as { rows: { id: string; patient_id: string }[] }).rows[0];
  return row && { id: row.id, patientId: row.patient_id };
}

/** Merged windows of the doctor's waiting entries overlapping [from, to): narrows a large freed range. */
export async function waitingWindows(ex: Executor, doctorId: string, from: Date, to: Date): Promise<{ start: number; end: number }[]> {
  const res = await ex.execute(sql`
    SELECT lower(r) AS lo, upper(r) AS hi FROM unnest((
      SELECT range_agg(tstzrange(from_at, to_at, '[]')) FROM waitlist_entries
      WHERE doctor_id = ${doctorId} AND status = 'WAITING' AND from_at < ${to.toISOString()}::timestamptz AND to_at > ${from.toISOString()}::timestamptz
    )) AS r`);
  return (res as unknown as { rows: { lo: string | Date; hi: string | Date }[] }).rows.map((r) => ({
    start: new Date(r.lo).getTime(),
    end: new Date(r.hi).getTime(),
  }));
}

/** The span of the doctor's waiting windows: bounds the search after an availability change. */
export async function waitingExtent(ex: Executor, doctorId: string): Promise<{ from: Date; to: Date } | null> {
  const [row] = await ex
    .select({ from: sql<string | null>`min(${waitlistEntries.fromAt})`, to: sql<string | null>`max(${waitlistEntries.toAt})` })
    .from(waitlistEntries)
    .where(and(eq(waitlistEntries.doctorId, doctorId), eq(waitlistEntries.status, 'WAITING')));
  return row?.from && row.to ? { from: new Date(row.from), to: new Date(row.to) } : null;
}

export async function insertOffer(ex: Executor, o: Omit<typeof waitlistOffers.$inferInsert, 'status'>): Promise<OfferRow> {
  const [row] = await ex
    .insert(waitlistOffers)
    .values({ ...o, status: 'OFFERED' })
    .returning();
  return row;
}

export async function lockOwnOffer(ex: Executor, id: string, patientId: string): Promise<OfferRow | undefined> {
  const [row] = await ex
    .select()
    .from(waitlistOffers)
    .where(and(eq(waitlistOffers.id, id), eq(waitlistOffers.patientId, patientId)))
    .limit(1)
    .for('update');
  return row;
}

export async function lockLiveOfferOfEntry(ex: Executor, entryId: string): Promise<OfferRow | undefined> {
  const [row] = await ex
    .select()
    .from(waitlistOffers)
    .where(and(eq(waitlistOffers.entryId, entryId), eq(waitlistOffers.status, 'OFFERED')))
    .limit(1)
    .for('update');
  return row;
}

export async function resolveOffer(ex: Executor, id: string, status: Exclude<OfferStatus, 'OFFERED'>): Promise<void> {
  await ex
    .update(waitlistOffers)
    .set({ status, resolvedAt: sql`now()` })
    .where(eq(waitlistOffers.id, id));
}

/** Live offers whose hold has run out, locked; another instance's sweeper skips them (SKIP LOCKED). */
export async function lockDueOffers(ex: Executor, now: Date, limit: number): Promise<OfferRow[]> {
  return ex
    .select()
    .from(waitlistOffers)
    .where(and(eq(waitlistOffers.status, 'OFFERED'), lte(waitlistOffers.expiresAt, now)))
    .orderBy(asc(waitlistOffers.expiresAt))
    .limit(limit)
    .for('update', { skipLocked: true });
}

/** Claims live offers whose event has not gone out yet; each is claimed by exactly one instance. */
export async function claimUnsent(ex: Executor, limit: number): Promise<OfferRow[]> {
  const unsent = ex
    .select({ id: waitlistOffers.id })
    .from(waitlistOffers)
    .where(and(eq(waitlistOffers.status, 'OFFERED'), sql`${waitlistOffers.notifiedAt} IS NULL`))
    .orderBy(asc(waitlistOffers.createdAt))
    .limit(limit)
    .for('update', { skipLocked: true });
  return ex
    .update(waitlistOffers)
    .set({ notifiedAt: sql`now()` })
    .where(inArray(waitlistOffers.id, unsent))
    .returning();
}

export async function nextExpiry(ex: Executor): Promise<Date | null> {
  const [row] = await ex
    .select({ at: sql<string | null>`min(${waitlistOffers.expiresAt})` })
    .from(waitlistOffers)
    .where(eq(waitlistOffers.status, 'OFFERED'));
  return row?.at ? new Date(row.at) : null;
}

/** What the offer mail needs: the patient's address, language and time zone, the doctor's name. */
export async function mailFacts(ex: Executor, patientId: string, doctorId: string) {
  const [row] = await ex
    .select({
      email: patientUser.email,
      locale: patientUser.locale,
      timeZone: patientUser.timeZone,
      firstname: doctorUser.firstname,
      lastname: doctorUser.lastname,
    })
    .from(patientUser)
    .innerJoin(doctorUser, eq(doctorUser.id, doctorId))
    .innerJoin(doctors, eq(doctors.id, doctorId))
    .where(eq(patientUser.id, patientId))
    .limit(1);
  return row;
}

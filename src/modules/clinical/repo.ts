import { and, desc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import { date, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import type { Executor } from '../../platform/db/index.ts';
import { ts } from '../../platform/db/tables.ts';
import { appointments, type ClinicalGrant } from '../appointments/index.ts';

const stamp = (name: string) =>
  ts(name)
    .notNull()
    .default(sql`date_trunc('milliseconds', now())`);

/** The columns every entry of the record's lists has: its patient, who recorded and changed it, and when; entered-in-error's who and when. */
const entryColumns = () => ({
  id: uuid('id').primaryKey().defaultRandom(),
  patientId: uuid('patient_id').notNull(),
  recordedBy: uuid('recorded_by').notNull(),
  recordedAt: stamp('recorded_at'),
  updatedBy: uuid('updated_by').notNull(),
  updatedAt: stamp('updated_at'),
  enteredInErrorBy: uuid('entered_in_error_by'),
  enteredInErrorAt: ts('entered_in_error_at'),
  /** The intake answer the entry was copied from (migrations/0033): the response's id (its appointment's) and the item. */
  sourceResponseId: uuid('source_response_id'),
  sourceLinkId: text('source_link_id'),
});

/** A self-reportable entry's verification and who confirmed it. */
const verificationColumns = () => ({
  verification: text('verification').$type<'confirmed' | 'unconfirmed'>().notNull(),
  confirmedBy: uuid('confirmed_by'),
});

export const allergies = pgTable('clinical_allergies', {
  ...entryColumns(),
  ...verificationColumns(),
  substanceSystem: text('substance_system'),
  substanceCode: text('substance_code'),
  substanceDisplay: text('substance_display').notNull(),
  category: text('category').$type<'medication' | 'food' | 'environment' | 'other'>().notNull(),
  criticality: text('criticality').$type<'low' | 'high' | 'unable-to-assess'>().notNull(),
  reaction: text('reaction'),
  status: text('status').$type<'active' | 'inactive' | 'entered-in-error'>().notNull(),
});

export const medications = pgTable('clinical_medications', {
  ...entryColumns(),
  ...verificationColumns(),
  medicationSystem: text('medication_system'),
  medicationCode: text('medication_code'),
  medicationDisplay: text('medication_display').notNull(),
  dosage: text('dosage'),
  status: text('status').$type<'active' | 'stopped' | 'entered-in-error'>().notNull(),
  since: date('since', { mode: 'string' }),
});

export const problems = pgTable('clinical_problems', {
  ...entryColumns(),
  conditionSystem: text('condition_system'),
  conditionCode: text('condition_code'),
  conditionDisplay: text('condition_display').notNull(),
  clinicalStatus: text('clinical_status').$type<'active' | 'resolved' | 'entered-in-error'>().notNull(),
  onset: date('onset', { mode: 'string' }),
  note: text('note'),
});

export const visitNotes = pgTable('visit_notes', {
  appointmentId: uuid('appointment_id').primaryKey(),
  patientId: uuid('patient_id').notNull(),
  doctorId: uuid('doctor_id').notNull(),
  status: text('status').$type<'DRAFT' | 'SIGNED'>().notNull(),
  subjective: text('subjective'),
  objective: text('objective'),
  assessment: text('assessment'),
  plan: text('plan'),
  /** Where the patient stated they were for the visit, frozen at signing (migrations/0033). */
  locationCountry: text('location_country'),
  locationRegion: text('location_region'),
  locationCity: text('location_city'),
  locationStatedAt: ts('location_stated_at'),
  signedAt: ts('signed_at'),
  createdAt: stamp('created_at'),
  updatedAt: stamp('updated_at'),
});

export const addenda = pgTable('visit_note_addenda', {
  id: uuid('id').primaryKey().defaultRandom(),
  appointmentId: uuid('appointment_id').notNull(),
  doctorId: uuid('doctor_id').notNull(),
  text: text('text').notNull(),
  createdAt: stamp('created_at'),
});

export type AllergyRow = typeof allergies.$inferSelect;
export type MedicationRow = typeof medications.$inferSelect;
export type ProblemRow = typeof problems.$inferSelect;
export type NoteRow = typeof visitNotes.$inferSelect;
export type AddendumRow = typeof addenda.$inferSelect;

/**
 * The per-patient lock of the allergy set: every allergy write and the prescribing check take it in
 * their transaction, so an allergy recorded while a prescription is checked waits for (or is seen by)
 * that check, never slipping between the check and the insert. Released at commit or rollback.
 */
export async function lockAllergySet(ex: Executor, patientId: string): Promise<void> {
  await ex.execute(sql`SELECT pg_advisory_xact_lock(hashtextextended(${'clinical.allergies:' + patientId}, 0))`);
}

/**
 * Whether the grant covers its named patient's record: the grant's own condition, evaluated on the patient
 * id (no row of the record needed, so it also answers for a record still empty and before an insert).
 */
export async function covers(ex: Executor, grant: ClinicalGrant): Promise<boolean> {
  if (grant.patientId === null) return false;
  const res = await ex.execute(sql`SELECT (${grant.where({ patientId: sql`${grant.patientId}::uuid` })}) AS ok`);
  return (res as unknown as { rows: { ok: boolean }[] }).rows[0]?.ok === true;
}

/** The grant's named patient's active allergies (none where the grant covers nothing). */
export async function activeAllergies(ex: Executor, grant: ClinicalGrant): Promise<AllergyRow[]> {
  return ex
    .select()
    .from(allergies)
    .where(and(eq(allergies.status, 'active'), grant.where({ patientId: allergies.patientId })))
    .orderBy(allergies.recordedAt, allergies.id);
}

export type EntryTable = typeof allergies | typeof medications | typeof problems;

/** Newest first; the record of one patient is small, so lists are keyset pages over (recorded_at, id). */
export async function listEntries<T extends EntryTable>(
  ex: Executor,
  table: T,
  grant: ClinicalGrant,
  after: { at: string; id: string } | null,
  limit: number,
  /** A further condition on the rows (a FHIR date search's), in the same query. */
  filter?: SQL,
) {
  const where: SQL[] = [grant.where({ patientId: table.patientId })];
  if (filter) where.push(filter);
  if (after) where.push(sql`(${table.recordedAt}, ${table.id}) < (${after.at}::timestamptz, ${after.id}::uuid)`);
  return ex
    .select()
    .from(table as typeof allergies)
    .where(and(...where))
    .orderBy(desc(table.recordedAt), desc(table.id))
    .limit(limit + 1) as unknown as Promise<T['$inferSelect'][]>;
}

/** Records a new entry (the caller checked the grant covers its patient). */
export async function insertEntry<T extends EntryTable>(ex: Executor, table: T, values: Record<string, unknown>) {
  const [row] = await (ex
    .insert(table as typeof allergies)
    .values(values as typeof allergies.$inferInsert)
    .returning() as unknown as Promise<T['$inferSelect'][]>);
  return row;
}

/** One entry the grant covers (locked, for a change). */
export async function findEntry<T extends EntryTable>(ex: Executor, table: T, grant: ClinicalGrant, id: string, lock = true) {
  const q = ex
    .select()
    .from(table as typeof allergies)
    .where(and(eq(table.id, id), grant.where({ patientId: table.patientId })))
    .limit(1);
  const [row] = await ((lock ? q.for('update') : q) as unknown as Promise<T['$inferSelect'][]>);
  return row;
}

/** Changes one entry of the grant's patient; undefined where the grant does not cover it. */
export async function updateEntry<T extends EntryTable>(
  ex: Executor,
  table: T,
  grant: ClinicalGrant,
  id: string,
  set: Record<string, unknown>,
) {
  const [row] = await (ex
    .update(table as typeof allergies)
    .set(set)
    .where(and(eq(table.id, id), grant.where({ patientId: table.patientId })))
    .returning() as unknown as Promise<T['$inferSelect'][]>);
  return row;
}

/** The note of an appointment, where the grant covers its patient and `visible` (who sees which notes) holds. */
export async function findNote(
  ex: Executor,
  grant: ClinicalGrant,
  appointmentId: string,
  visible?: SQL,
  lock = false,
): Promise<NoteRow | undefined> {
  const q = ex
    .select()
    .from(visitNotes)
    .where(and(eq(visitNotes.appointmentId, appointmentId), grant.where({ patientId: visitNotes.patientId }), visible))
    .limit(1);
  const [row] = lock ? await q.for('update') : await q;
  return row;
}

/** Changes a note of the grant's patient (the database itself refuses any change of a signed one). */
export async function updateNote(
  ex: Executor,
  grant: ClinicalGrant,
  appointmentId: string,
  set: { [K in keyof typeof visitNotes.$inferInsert]?: (typeof visitNotes.$inferInsert)[K] | SQL },
) {
  const [row] = await ex
    .update(visitNotes)
    .set(set)
    .where(and(eq(visitNotes.appointmentId, appointmentId), grant.where({ patientId: visitNotes.patientId })))
    .returning();
  return row;
}

/** The visit of each note the caller was given (its appointment's times and reason), for the FHIR Encounter. */
export async function noteVisits(
  ex: Executor,
  grant: ClinicalGrant,
  appointmentIds: string[],
): Promise<Map<string, { startsAt: Date; endsAt: Date; reason: string | null }>> {
  if (!appointmentIds.length) return new Map();
  const rows = await ex
    .select({ id: appointments.id, startsAt: appointments.startsAt, endsAt: appointments.endsAt, reason: appointments.reason })
    .from(appointments)
    .where(and(inArray(appointments.id, appointmentIds), grant.where({ patientId: appointments.patientId })));
  return new Map(rows.map((r) => [r.id, r]));
}

export async function noteAddenda(ex: Executor, appointmentIds: string[]): Promise<Map<string, AddendumRow[]>> {
  const out = new Map<string, AddendumRow[]>();
  if (!appointmentIds.length) return out;
  const rows = await ex
    .select()
    .from(addenda)
    .where(
      sql`${addenda.appointmentId} IN (${sql.join(
        appointmentIds.map((id) => sql`${id}::uuid`),
        sql`, `,
      )})`,
    )
    .orderBy(addenda.createdAt, addenda.id);
  for (const r of rows) out.set(r.appointmentId, [...(out.get(r.appointmentId) ?? []), r]);
  return out;
}

export async function listNotes(
  ex: Executor,
  grant: ClinicalGrant,
  visible: SQL,
  after: { at: string; id: string } | null,
  limit: number,
): Promise<NoteRow[]> {
  const where: SQL[] = [grant.where({ patientId: visitNotes.patientId }), visible];
  if (after) where.push(sql`(${visitNotes.createdAt}, ${visitNotes.appointmentId}) < (${after.at}::timestamptz, ${after.id}::uuid)`);
  return ex
    .select()
    .from(visitNotes)
    .where(and(...where))
    .orderBy(desc(visitNotes.createdAt), desc(visitNotes.appointmentId))
    .limit(limit + 1);
}

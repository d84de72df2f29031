// SQL of the intake module, no rules: questionnaires and their versions, answers, consent, location.
import { and, asc, desc, eq, gt, ne, or, sql, type SQLWrapper } from 'drizzle-orm';
import type { Executor } from '../../platform/db/index.ts';
import { appointments, type AppointmentStatus, type ClinicalGrant } from '../appointments/index.ts';
import { doctors } from '../doctors/index.ts';
import {
  consentAcceptances,
  consentHeads,
  consentVersions,
  intakeResponses,
  questionnaireVersions,
  questionnaires,
  visitLocations,
  type AnswerValue,
  type QuestionnaireItem,
} from './tables.ts';

export const TELEHEALTH = 'telehealth';

export interface VersionRow {
  id: string;
  doctorId: string;
  version: number;
  title: string;
  items: QuestionnaireItem[];
  createdAt: Date;
}

const versionColumns = {
  id: questionnaires.id,
  doctorId: questionnaires.doctorId,
  version: questionnaireVersions.version,
  title: questionnaireVersions.title,
  items: questionnaireVersions.items,
  createdAt: questionnaireVersions.createdAt,
};

/** The doctor's questionnaires, each at its newest version, oldest first. */
export async function listCurrent(ex: Executor, doctorId: string): Promise<VersionRow[]> {
  return ex
    .select(versionColumns)
    .from(questionnaires)
    .innerJoin(
      questionnaireVersions,
      and(eq(questionnaireVersions.questionnaireId, questionnaires.id), eq(questionnaireVersions.version, questionnaires.currentVersion)),
    )
    .where(eq(questionnaires.doctorId, doctorId))
    .orderBy(questionnaires.createdAt, questionnaires.id);
}

/** One version; `version` null: the newest. */
export async function versionOf(ex: Executor, id: string, version: number | null): Promise<VersionRow | undefined> {
  const [row] = await ex
    .select(versionColumns)
    .from(questionnaires)
    .innerJoin(
      questionnaireVersions,
      and(
        eq(questionnaireVersions.questionnaireId, questionnaires.id),
        eq(questionnaireVersions.version, version ?? questionnaires.currentVersion),
      ),
    )
    .where(eq(questionnaires.id, id))
    .limit(1);
  return row;
}

export async function createQuestionnaire(ex: Executor, doctorId: string, title: string, items: QuestionnaireItem[]): Promise<string> {
  const [q] = await ex.insert(questionnaires).values({ doctorId }).returning({ id: questionnaires.id });
  await ex.insert(questionnaireVersions).values({ questionnaireId: q.id, version: 1, title, items });
  return q.id;
}

/** Adds the next version of the doctor's questionnaire; undefined when it is not theirs. The head row's lock orders concurrent edits. */
export async function addVersion(
  ex: Executor,
  doctorId: string,
  id: string,
  title: string,
  items: QuestionnaireItem[],
): Promise<number | undefined> {
  const [q] = await ex
    .update(questionnaires)
    .set({ currentVersion: sql`${questionnaires.currentVersion} + 1`, updatedAt: sql`now()` })
    .where(and(eq(questionnaires.id, id), eq(questionnaires.doctorId, doctorId)))
    .returning({ version: questionnaires.currentVersion });
  if (!q) return undefined;
  await ex.insert(questionnaireVersions).values({ questionnaireId: id, version: q.version, title, items });
  return q.version;
}

/** The doctor's default questionnaire (PATCH /doctors/me), at its newest version. */
export async function defaultOf(ex: Executor, doctorId: string): Promise<VersionRow | undefined> {
  const [d] = await ex.select({ q: doctors.intakeQuestionnaireId }).from(doctors).where(eq(doctors.id, doctorId)).limit(1);
  return d?.q ? versionOf(ex, d.q, null) : undefined;
}

// ---------- answers ----------

export interface AppointmentRef {
  id: string;
  patientId: string;
  doctorId: string;
  status: AppointmentStatus;
}

/** The appointment if the grant covers it and the caller is its patient or its doctor (admins and others: nothing). */
export async function partyAppointment(ex: Executor, grant: ClinicalGrant, appointmentId: string): Promise<AppointmentRef | undefined> {
  const [row] = await ex
    .select({ id: appointments.id, patientId: appointments.patientId, doctorId: appointments.doctorId, status: appointments.status })
    .from(appointments)
    .where(
      and(
        eq(appointments.id, appointmentId),
        or(eq(appointments.patientId, grant.userId), eq(appointments.doctorId, grant.userId)),
        grant.where({ patientId: appointments.patientId, doctorId: appointments.doctorId }),
      ),
    )
    .limit(1);
  return row as AppointmentRef | undefined;
}

export type ResponseRow = typeof intakeResponses.$inferSelect;

export async function responseOf(ex: Executor, appointmentId: string): Promise<ResponseRow | undefined> {
  const [row] = await ex.select().from(intakeResponses).where(eq(intakeResponses.appointmentId, appointmentId)).limit(1);
  return row;
}

/**
 * Saves the answers of an in-progress response (creating it pinned to that questionnaire version); undefined
 * when it is completed or pinned to another version meanwhile (the row lock orders it after a submit).
 */
export async function saveResponse(
  ex: Executor,
  row: { appointmentId: string; patientId: string; doctorId: string; questionnaireId: string; questionnaireVersion: number },
  answers: Record<string, AnswerValue>,
  complete: boolean,
): Promise<ResponseRow | undefined> {
  const status = complete ? ('completed' as const) : ('in-progress' as const);
  const submittedAt = complete ? sql`date_trunc('milliseconds', now())` : null;
  const [saved] = await ex
    .insert(intakeResponses)
    .values({ ...row, answers, status, submittedAt })
    .onConflictDoUpdate({
      target: intakeResponses.appointmentId,
      set: { answers, status, submittedAt, updatedAt: sql`date_trunc('milliseconds', now())` },
      setWhere: sql`${intakeResponses.status} = 'in-progress' AND ${intakeResponses.questionnaireId} = ${row.questionnaireId} AND ${intakeResponses.questionnaireVersion} = ${row.questionnaireVersion}`,
    })
    .returning();
  return saved;
}

/** The saved answers a grant covers: a patient's own; a doctor's, only of their own appointments with patients in care. */
const responsesCovered = (grant: ClinicalGrant) =>
  and(
    or(eq(intakeResponses.patientId, grant.userId), eq(intakeResponses.doctorId, grant.userId)),
    grant.where({ patientId: intakeResponses.patientId, doctorId: intakeResponses.doctorId }),
  );

/** Saved answers the grant covers, by appointment id (the keyset), each with the questionnaire version it was given to. */
export async function responsesPage(
  ex: Executor,
  grant: ClinicalGrant,
  afterAppointmentId: string | null,
  limit: number,
): Promise<Array<{ r: ResponseRow; q: VersionRow }>> {
  const rows = await ex
    .select()
    .from(intakeResponses)
    .where(and(responsesCovered(grant), afterAppointmentId ? gt(intakeResponses.appointmentId, afterAppointmentId) : undefined))
    .orderBy(asc(intakeResponses.appointmentId))
    .limit(limit);
  const out: Array<{ r: ResponseRow; q: VersionRow }> = [];
  for (const r of rows) out.push({ r, q: (await versionOf(ex, r.questionnaireId, r.questionnaireVersion))! });
  return out;
}

/** The patient's answers in their other intakes, newest first (for prefilling the same linkIds). */
export async function earlierAnswers(ex: Executor, patientId: string, exceptAppointmentId: string): Promise<Record<string, AnswerValue>[]> {
  const rows = await ex
    .select({ answers: intakeResponses.answers })
    .from(intakeResponses)
    .where(and(eq(intakeResponses.patientId, patientId), ne(intakeResponses.appointmentId, exceptAppointmentId)))
    .orderBy(desc(intakeResponses.updatedAt))
    .limit(50);
  return rows.map((r) => r.answers);
}

// ---------- telehealth consent ----------

/**
 * The current version number (0: none published). `share` holds the head row until the transaction ends, so
 * a publication waits for the visit join that checked it; `update` is the publication's own lock.
 */
export async function consentHead(ex: Executor, lock: 'share' | 'update' | null): Promise<number> {
  const q = ex.select({ version: consentHeads.version }).from(consentHeads).where(eq(consentHeads.type, TELEHEALTH));
  const [row] = await (lock ? q.for(lock) : q);
  return row?.version ?? 0;
}

export async function publishConsent(ex: Executor, text: string, adminId: string): Promise<typeof consentVersions.$inferSelect> {
  const [head] = await ex
    .update(consentHeads)
    .set({ version: sql`${consentHeads.version} + 1` })
    .where(eq(consentHeads.type, TELEHEALTH))
    .returning({ version: consentHeads.version });
  const [row] = await ex
    .insert(consentVersions)
    .values({ type: TELEHEALTH, version: head.version, text, publishedBy: adminId })
    .returning();
  return row;
}

export async function consentVersion(ex: Executor, version: number): Promise<typeof consentVersions.$inferSelect | undefined> {
  const [row] = await ex
    .select()
    .from(consentVersions)
    .where(and(eq(consentVersions.type, TELEHEALTH), eq(consentVersions.version, version)))
    .limit(1);
  return row;
}

export type AcceptanceRow = typeof consentAcceptances.$inferSelect;

/** Records the acceptance once; a repeated acceptance of the same version answers the first one (created false). */
export async function accept(
  ex: Executor,
  patientId: string,
  version: number,
  requestId: string,
): Promise<{ row: AcceptanceRow; created: boolean }> {
  const [row] = await ex
    .insert(consentAcceptances)
    .values({ patientId, type: TELEHEALTH, version, requestId })
    .onConflictDoNothing()
    .returning();
  if (row) return { row, created: true };
  return { row: (await acceptanceOf(ex, patientId, version))!, created: false };
}

export async function acceptanceOf(ex: Executor, patientId: string, version: number): Promise<AcceptanceRow | undefined> {
  const [row] = await ex
    .select()
    .from(consentAcceptances)
    .where(
      and(eq(consentAcceptances.patientId, patientId), eq(consentAcceptances.type, TELEHEALTH), eq(consentAcceptances.version, version)),
    )
    .limit(1);
  return row;
}

/** Acceptances the grant covers (its patient's; a doctor's patients in care), by id (the keyset). */
export async function acceptancesPage(
  ex: Executor,
  grant: ClinicalGrant,
  afterId: string | null,
  limit: number,
  onlyId?: string,
): Promise<AcceptanceRow[]> {
  return ex
    .select()
    .from(consentAcceptances)
    .where(
      and(
        grant.where({ patientId: consentAcceptances.patientId }),
        afterId ? gt(consentAcceptances.id, afterId) : undefined,
        onlyId ? eq(consentAcceptances.id, onlyId) : undefined,
      ),
    )
    .orderBy(asc(consentAcceptances.id))
    .limit(limit);
}

export async function acceptancesOf(ex: Executor, patientId: string): Promise<AcceptanceRow[]> {
  return ex
    .select()
    .from(consentAcceptances)
    .where(eq(consentAcceptances.patientId, patientId))
    .orderBy(desc(consentAcceptances.acceptedAt), desc(consentAcceptances.version));
}

// ---------- where the patient is ----------

export type LocationRow = typeof visitLocations.$inferSelect;

export async function stateLocation(ex: Executor, row: typeof visitLocations.$inferInsert): Promise<LocationRow> {
  const [saved] = await ex.insert(visitLocations).values(row).returning();
  return saved;
}

export async function latestLocation(ex: Executor, appointmentId: string): Promise<LocationRow | undefined> {
  const [row] = await ex
    .select()
    .from(visitLocations)
    .where(eq(visitLocations.appointmentId, appointmentId))
    .orderBy(desc(visitLocations.statedAt), desc(visitLocations.id))
    .limit(1);
  return row;
}

/** The response of an appointment, locked until the transaction ends (copies of its answers are ordered by it). */
export async function lockResponse(ex: Executor, appointmentId: string): Promise<ResponseRow | undefined> {
  const [row] = await ex.select().from(intakeResponses).where(eq(intakeResponses.appointmentId, appointmentId)).limit(1).for('update');
  return row;
}

// ---------- keyset pages for $everything and the export (the caller holds the grant and audits) ----------

/** A keyset position: (a timestamp, an id), newest first. */
export type PageKey = [string, string];

const before = (at: SQLWrapper, id: SQLWrapper, key: PageKey | null) =>
  key ? sql`(${at}, ${id}) < (${key[0]}::timestamptz, ${key[1]}::uuid)` : undefined;

/** Up to `limit + 1` saved responses the grant covers (as responsesPage), newest first by (created_at, appointment). */
export async function responsesNewestFirst(
  ex: Executor,
  grant: ClinicalGrant,
  key: PageKey | null,
  limit: number,
): Promise<Array<{ key: PageKey; r: ResponseRow; q: VersionRow }>> {
  const rows = await ex
    .select()
    .from(intakeResponses)
    .where(and(responsesCovered(grant), before(intakeResponses.createdAt, intakeResponses.appointmentId, key)))
    .orderBy(desc(intakeResponses.createdAt), desc(intakeResponses.appointmentId))
    .limit(limit + 1);
  const out: Array<{ key: PageKey; r: ResponseRow; q: VersionRow }> = [];
  for (const r of rows)
    out.push({
      key: [r.createdAt.toISOString(), r.appointmentId],
      r,
      q: (await versionOf(ex, r.questionnaireId, r.questionnaireVersion))!,
    });
  return out;
}

/** Up to `limit + 1` consent acceptances the grant covers, newest first by (accepted_at, id). */
export async function acceptancesNewestFirst(
  ex: Executor,
  grant: ClinicalGrant,
  key: PageKey | null,
  limit: number,
): Promise<Array<{ key: PageKey; row: AcceptanceRow }>> {
  const rows = await ex
    .select()
    .from(consentAcceptances)
    .where(and(grant.where({ patientId: consentAcceptances.patientId }), before(consentAcceptances.acceptedAt, consentAcceptances.id, key)))
    .orderBy(desc(consentAcceptances.acceptedAt), desc(consentAcceptances.id))
    .limit(limit + 1);
  return rows.map((row) => ({ key: [row.acceptedAt.toISOString(), row.id] as PageKey, row }));
}

/** Up to `limit + 1` location statements the grant covers, newest first by (stated_at, id). */
export async function locationsNewestFirst(
  ex: Executor,
  grant: ClinicalGrant,
  key: PageKey | null,
  limit: number,
): Promise<Array<{ key: PageKey; row: LocationRow }>> {
  // stated_at is clock_timestamp() (microseconds); keys carry milliseconds, so order and compare on those.
  const at = sql`date_trunc('milliseconds', ${visitLocations.statedAt})`;
  const rows = await ex
    .select({
      row: visitLocations,
      keyAt: sql<string>`to_char(${at} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`,
    })
    .from(visitLocations)
    .where(and(grant.where({ patientId: visitLocations.patientId }), before(at, visitLocations.id, key)))
    .orderBy(desc(at), desc(visitLocations.id))
    .limit(limit + 1);
  return rows.map(({ row, keyAt }) => ({ key: [keyAt, row.id] as PageKey, row }));
}

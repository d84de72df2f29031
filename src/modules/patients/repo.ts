import { and, asc, eq, sql } from 'drizzle-orm';
import { prepared, run, type Executor } from '../../platform/db/index.ts';
import { auditEventPart } from '../../platform/audit.ts';
import { patients } from './tables.ts';
import { users } from '../auth/index.ts';
import type { ClinicalGrant } from '../appointments/index.ts';

/** The profile of the grant's named patient (or the calling patient's own), if the grant covers it. */
export async function findPatientWithUser(ex: Executor, grant: ClinicalGrant) {
  const id = grant.patientId ?? grant.userId;
  const [row] = await ex
    .select({ user: users, patient: patients })
    .from(patients)
    .innerJoin(users, eq(users.id, patients.id))
    .where(and(eq(patients.id, id), grant.where({ patientId: patients.id })))
    .limit(1);
  return row;
}

/** Changes the calling patient's own profile: only a patient's grant covers a write of it. */
export async function updatePatient(ex: Executor, grant: ClinicalGrant, patch: Partial<typeof patients.$inferInsert>): Promise<void> {
  await ex
    .update(patients)
    .set({ ...patch, updatedAt: sql`now()` })
    .where(and(eq(patients.id, grant.userId), grant.subject.role === 'PATIENT' ? grant.where({ patientId: patients.id }) : sql`false`));
}

export type PatientRow = typeof patients.$inferSelect;

export async function insertPatient(ex: Executor, p: typeof patients.$inferInsert): Promise<PatientRow> {
  const [row] = await ex.insert(patients).values(p).returning();
  return row;
}

const PATIENT_COLUMNS = `p.id, p.date_of_birth::text AS "dateOfBirth", p.gender, p.medical_history AS "medicalHistory", p.updated_at AS "updatedAt"`;

const OWN_PATIENT = prepared<PatientRow>('patients_own', `SELECT ${PATIENT_COLUMNS} FROM patients p WHERE p.id = $1`);

// GET /me of a patient: the read and its patient.read event in one statement (a data-modifying CTE is
// atomic on its own), instead of BEGIN, SELECT, INSERT, COMMIT; the event's part is audit's. No row, no event, as before.
export const OWN_PATIENT_AUDITED = prepared<PatientRow>(
  'patients_own_audited',
  `WITH p AS (SELECT ${PATIENT_COLUMNS} FROM patients p WHERE p.id = $1),
        a AS (${auditEventPart.text('p', 2)})
   SELECT * FROM p`,
);

/**
 * The calling patient's own row, with the audit event `auditValues` (AUDIT_COLUMNS order) written in the same
 * statement. A prepared statement (GET /me is a hot path): the grant's condition for a patient is `id = $1`
 * with $1 the patient themself, which is what it binds; any other grant reads nothing.
 */
export async function findPatientAudited(
  ex: Executor,
  grant: ClinicalGrant,
  auditValues: unknown[] | null,
): Promise<PatientRow | undefined> {
  if (grant.subject.role !== 'PATIENT' || (grant.patientId !== null && grant.patientId !== grant.userId)) return undefined;
  const id = grant.userId;
  const [row] = auditValues
    ? await run(ex, OWN_PATIENT_AUDITED, [id, ...auditEventPart.values(auditValues)])
    : await run(ex, OWN_PATIENT, [id]);
  return row;
}

/** The patients a doctor's profile grant covers (the care relationship), by name, one page. */
export async function carePatients(ex: Executor, grant: ClinicalGrant, after: [string, string, string] | null, limit: number) {
  return ex
    .select({ user: users, patient: patients })
    .from(patients)
    .innerJoin(users, eq(users.id, patients.id))
    .where(
      and(
        grant.where({ patientId: patients.id }),
        after ? sql`(${users.lastname}, ${users.firstname}, ${patients.id}) > (${after[0]}, ${after[1]}, ${after[2]}::uuid)` : undefined,
      ),
    )
    .orderBy(asc(users.lastname), asc(users.firstname), asc(patients.id))
    .limit(limit + 1);
}

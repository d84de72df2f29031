import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { prepared, run, type Executor } from '../../platform/db/index.ts';
import { auditEventPart } from '../../platform/audit.ts';
import { patients } from './tables.ts';
import { users } from '../auth/index.ts';
import { carePatientIds } from '../appointments/index.ts';

export async function findPatientWithUser(ex: Executor, id: string) {
  const [row] = await ex
    .select({ user: users, patient: patients })
    .from(patients)
    .innerJoin(users, eq(users.id, patients.id))
    .where(eq(patients.id, id))
    .limit(1);
  return row;
}

export async function updatePatient(ex: Executor, id: string, patch: Partial<typeof patients.$inferInsert>): Promise<void> {
  await ex
    .update(patients)
    .set({ ...patch, updatedAt: sql`now()` })
    .where(eq(patients.id, id));
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

/** The patient row, with the audit event `auditValues` (platform/audit.ts) written in the same statement. */
export async function findPatientAudited(ex: Executor, id: string, auditValues: unknown[] | null): Promise<PatientRow | undefined> {
  const [row] = auditValues
    ? await run(ex, OWN_PATIENT_AUDITED, [id, ...auditEventPart.values(auditValues)])
    : await run(ex, OWN_PATIENT, [id]);
  return row;
}

/** A doctor's patients (the care relationship of appointments/repo.ts), by name, one page. */
export async function carePatients(
  ex: Executor,
  doctorId: string,
  careDays: number,
  now: Date,
  after: [string, string, string] | null,
  limit: number,
) {
  return ex
    .select({ user: users, patient: patients })
    .from(patients)
    .innerJoin(users, eq(users.id, patients.id))
    .where(
      and(
        inArray(patients.id, carePatientIds(ex, doctorId, careDays, now)),
        after ? sql`(${users.lastname}, ${users.firstname}, ${patients.id}) > (${after[0]}, ${after[1]}, ${after[2]}::uuid)` : undefined,
      ),
    )
    .orderBy(asc(users.lastname), asc(users.firstname), asc(patients.id))
    .limit(limit + 1);
}

import { and, desc, eq, sql, type SQL } from 'drizzle-orm';
import { jsonb, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import type { Executor } from '../../platform/db/index.ts';
import { ts } from '../../platform/db/tables.ts';
import { patients } from '../patients/index.ts';
import { doctors } from '../doctors/index.ts';
import { users } from '../auth/index.ts';
import type { ClinicalGrant } from '../appointments/index.ts';
import type { PrescriptionItem } from './schemas.ts';

export const prescriptions = pgTable('prescriptions', {
  id: uuid('id').primaryKey().defaultRandom(),
  doctorId: uuid('doctor_id').notNull(),
  patientId: uuid('patient_id').notNull(),
  appointmentId: uuid('appointment_id').notNull(),
  items: jsonb('items').$type<PrescriptionItem[]>().notNull(),
  notes: text('notes'),
  status: text('status').$type<'ACTIVE' | 'REVOKED'>().notNull().default('ACTIVE'),
  issuedAt: ts('issued_at')
    .notNull()
    .default(sql`date_trunc('milliseconds', now())`),
  revokedAt: ts('revoked_at'),
  revocationReason: text('revocation_reason'),
  allergyOverrideReason: text('allergy_override_reason'),
  verificationCode: text('verification_code').notNull(),
});

export type PrescriptionRow = typeof prescriptions.$inferSelect;

export async function countForAppointment(ex: Executor, appointmentId: string): Promise<number> {
  const [row] = await ex
    .select({ n: sql<number>`count(*)::int` })
    .from(prescriptions)
    .where(eq(prescriptions.appointmentId, appointmentId));
  return Number(row.n);
}

export async function insertPrescription(ex: Executor, v: typeof prescriptions.$inferInsert): Promise<PrescriptionRow> {
  const [row] = await ex.insert(prescriptions).values(v).returning();
  return row;
}

/** The grant's condition on prescriptions: its patient, the doctor who issued it, admins (access.ts). */
const covered = (grant: ClinicalGrant) => grant.where({ patientId: prescriptions.patientId, doctorId: prescriptions.doctorId });

/** One prescription, if the grant covers it. */
export async function findPrescription(ex: Executor, grant: ClinicalGrant, id: string, lock = false): Promise<PrescriptionRow | undefined> {
  const q = ex
    .select()
    .from(prescriptions)
    .where(and(eq(prescriptions.id, id), covered(grant)))
    .limit(1);
  const [row] = lock ? await q.for('update') : await q;
  return row;
}

export async function revokePrescription(ex: Executor, id: string, reason: string): Promise<PrescriptionRow> {
  const [row] = await ex
    .update(prescriptions)
    .set({ status: 'REVOKED', revokedAt: sql`date_trunc('milliseconds', now())`, revocationReason: reason })
    .where(eq(prescriptions.id, id))
    .returning();
  return row;
}

/** One keyset page of what the grant covers (of its named patient, if any), newest first; `filters` narrow it. */
export async function listPrescriptions(
  ex: Executor,
  grant: ClinicalGrant,
  filters: SQL[],
  after: { issuedAt: string; id: string } | null,
  limit: number,
): Promise<PrescriptionRow[]> {
  const where = [covered(grant), ...filters];
  if (after) where.push(sql`(${prescriptions.issuedAt}, ${prescriptions.id}) < (${after.issuedAt}::timestamptz, ${after.id}::uuid)`);
  return ex
    .select()
    .from(prescriptions)
    .where(and(...where))
    .orderBy(desc(prescriptions.issuedAt), desc(prescriptions.id))
    .limit(limit + 1);
}

/** The prescription a verification code names (any code, any status). */
export async function byVerificationCode(ex: Executor, code: string): Promise<PrescriptionRow | undefined> {
  const [row] = await ex.select().from(prescriptions).where(eq(prescriptions.verificationCode, code)).limit(1);
  return row;
}

/** Everything the printed prescription shows about the two people, and the language and zone it is printed in. */
export async function pdfParties(ex: Executor, doctorId: string, patientId: string) {
  const [doctor] = await ex
    .select({
      firstname: users.firstname,
      lastname: users.lastname,
      timeZone: users.timeZone,
      specialization: doctors.specialization,
      licenseNumber: doctors.licenseNumber,
    })
    .from(doctors)
    .innerJoin(users, eq(users.id, doctors.id))
    .where(eq(doctors.id, doctorId))
    .limit(1);
  const [patient] = await ex
    .select({
      firstname: users.firstname,
      lastname: users.lastname,
      dateOfBirth: patients.dateOfBirth,
      locale: users.locale,
      timeZone: users.timeZone,
    })
    .from(patients)
    .innerJoin(users, eq(users.id, patients.id))
    .where(eq(patients.id, patientId))
    .limit(1);
  return { doctor, patient };
}

import { and, eq, inArray } from 'drizzle-orm';
import { pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import type { Executor } from '../../platform/db/index.ts';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export type AppointmentStatus = 'PENDING' | 'CONFIRMED' | 'CANCELLED' | 'COMPLETED' | 'NO_SHOW';

export const appointments = pgTable('appointments', {
  id: uuid('id').primaryKey().defaultRandom(),
  patientId: uuid('patient_id').notNull(),
  doctorId: uuid('doctor_id').notNull(),
  startsAt: ts('starts_at').notNull(),
  endsAt: ts('ends_at').notNull(),
  status: text('status').$type<AppointmentStatus>().notNull(),
  reason: text('reason'),
  cancellationReason: text('cancellation_reason'),
  cancelledBy: uuid('cancelled_by'),
  createdAt: ts('created_at').notNull().defaultNow(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
});

/** Statuses that make a doctor and a patient related (contract: "Roles and the care relationship"). */
export const CARE_STATUSES: AppointmentStatus[] = ['PENDING', 'CONFIRMED', 'COMPLETED', 'NO_SHOW'];

export async function careRelationshipExists(ex: Executor, doctorId: string, patientId: string): Promise<boolean> {
  const rows = await ex
    .select({ id: appointments.id })
    .from(appointments)
    .where(and(eq(appointments.doctorId, doctorId), eq(appointments.patientId, patientId), inArray(appointments.status, CARE_STATUSES)))
    .limit(1);
  return rows.length > 0;
}

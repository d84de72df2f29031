// The patients table (migrations/ are the source of truth): the patient's half of a PATIENT user row.
import { date, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { ts } from '../../platform/db/tables.ts';

export const patients = pgTable('patients', {
  id: uuid('id').primaryKey(),
  dateOfBirth: date('date_of_birth', { mode: 'string' }).notNull(),
  gender: text('gender').$type<'female' | 'male' | 'other' | 'unknown'>().notNull(),
  medicalHistory: text('medical_history').notNull().default(''),
  updatedAt: ts('updated_at').notNull().defaultNow(),
});

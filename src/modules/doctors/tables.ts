// The doctors table (migrations/ are the source of truth): the doctor's half of a DOCTOR user row, with
// booking settings, credential verification and the directory's trigger-maintained columns.
import { boolean, integer, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { ts } from '../../platform/db/tables.ts';

export const doctors = pgTable('doctors', {
  id: uuid('id').primaryKey(),
  specialization: text('specialization').notNull(),
  licenseNumber: text('license_number').notNull(),
  bio: text('bio').notNull().default(''),
  timezone: text('timezone').notNull(),
  slotMinutes: integer('slot_minutes').notNull().default(30),
  autoConfirm: boolean('auto_confirm').notNull().default(false),
  minNoticeMinutes: integer('min_notice_minutes').notNull().default(60),
  maxAdvanceDays: integer('max_advance_days').notNull().default(90),
  cancellationNoticeHours: integer('cancellation_notice_hours').notNull().default(0),
  verificationStatus: text('verification_status').$type<'PENDING' | 'VERIFIED' | 'REJECTED'>().notNull().default('PENDING'),
  verificationNote: text('verification_note'),
  verifiedAt: ts('verified_at'),
  verifiedBy: uuid('verified_by'),
  updatedAt: ts('updated_at').notNull().defaultNow(),
  /** The default intake questionnaire (one of the doctor's own: a composite foreign key, migrations/0023). */
  intakeQuestionnaireId: uuid('intake_questionnaire_id'),
});

/**
 * The directory's denormalised columns of the same table, kept by a trigger (migrations/0008_directory_search.sql)
 * and only ever read: listed = verified credentials and an active account; the names are the sort key; search is
 * what `q` matches. A separate view of `doctors` so that every other read of a doctor does not carry them.
 */
export const doctorDirectory = pgTable('doctors', {
  id: uuid('id').primaryKey(),
  listed: boolean('dir_listed').notNull().default(false),
  lastname: text('dir_lastname').notNull().default(''),
  firstname: text('dir_firstname').notNull().default(''),
  search: text('dir_search').notNull().default(''),
});

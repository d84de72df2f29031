// Drizzle definitions of the shared tables (migrations/ are the source of truth). The identity tables
// (users, sessions, tokens) are the auth module's: src/modules/auth/tables.ts.
import { bigserial, boolean, date, integer, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';

/** A timestamptz column read as a Date: every table's timestamps are instants in UTC. */
export const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const patients = pgTable('patients', {
  id: uuid('id').primaryKey(),
  dateOfBirth: date('date_of_birth', { mode: 'string' }).notNull(),
  gender: text('gender').$type<'female' | 'male' | 'other' | 'unknown'>().notNull(),
  medicalHistory: text('medical_history').notNull().default(''),
  updatedAt: ts('updated_at').notNull().defaultNow(),
});

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
});

export const mailOutbox = pgTable('mail_outbox', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  kind: text('kind').notNull(),
  recipient: text('recipient').notNull(),
  subject: text('subject').notNull(),
  textBody: text('text_body').notNull(),
  htmlBody: text('html_body'),
  createdAt: ts('created_at').notNull().defaultNow(),
  attempts: integer('attempts').notNull().default(0),
  nextAttemptAt: ts('next_attempt_at').notNull().defaultNow(),
  lockedUntil: ts('locked_until'),
  sentAt: ts('sent_at'),
  lastError: text('last_error'),
  attachments: jsonb('attachments').$type<MailAttachment[]>(),
});

/** A file carried by an outbox mail; `method` marks an iCalendar invitation (REQUEST, CANCEL). */
export interface MailAttachment {
  filename: string;
  contentType: string;
  content: string;
  method?: string;
}

export const auditEvents = pgTable('audit_events', {
  id: uuid('id').primaryKey().defaultRandom(),
  seq: bigserial('seq', { mode: 'number' }).notNull(),
  at: ts('at').notNull().defaultNow(),
  actorId: uuid('actor_id'),
  actorRole: text('actor_role'),
  action: text('action').notNull(),
  resourceType: text('resource_type').notNull(),
  resourceId: text('resource_id'),
  patientId: uuid('patient_id'),
  outcome: text('outcome').$type<'SUCCESS' | 'FAILURE' | 'DENIED'>().notNull(),
  ip: text('ip'),
  requestId: text('request_id'),
  // Filled by the database's chain trigger (migrations/0014_audit_chain.sql), never by the application.
  prevHash: text('prev_hash')
    .notNull()
    .default(sql`NULL`),
  hash: text('hash')
    .notNull()
    .default(sql`NULL`),
});

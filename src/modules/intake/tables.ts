// The intake module's tables (migrations/0023_intake_consent.sql is the source of truth): questionnaires and
// their immutable versions, the patient's answers per appointment, the telehealth consent's versions and
// acceptances, and where the patient states they are for a visit.
import { integer, jsonb, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { ts } from '../../platform/db/tables.ts';

export type ItemType = 'string' | 'text' | 'boolean' | 'choice' | 'date' | 'integer';
export interface QuestionnaireItem {
  linkId: string;
  text: string;
  type: ItemType;
  required: boolean;
  options?: string[];
}
export type AnswerValue = string | number | boolean;

export const questionnaires = pgTable('intake_questionnaires', {
  id: uuid('id').primaryKey().defaultRandom(),
  doctorId: uuid('doctor_id').notNull(),
  currentVersion: integer('current_version').notNull().default(1),
  createdAt: ts('created_at').notNull().defaultNow(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
});

export const questionnaireVersions = pgTable('intake_questionnaire_versions', {
  questionnaireId: uuid('questionnaire_id').notNull(),
  version: integer('version').notNull(),
  title: text('title').notNull(),
  items: jsonb('items').$type<QuestionnaireItem[]>().notNull(),
  createdAt: ts('created_at').notNull().defaultNow(),
});

export const intakeResponses = pgTable('intake_responses', {
  appointmentId: uuid('appointment_id').primaryKey(),
  patientId: uuid('patient_id').notNull(),
  doctorId: uuid('doctor_id').notNull(),
  questionnaireId: uuid('questionnaire_id').notNull(),
  questionnaireVersion: integer('questionnaire_version').notNull(),
  status: text('status').$type<'in-progress' | 'completed'>().notNull().default('in-progress'),
  answers: jsonb('answers').$type<Record<string, AnswerValue>>().notNull(),
  createdAt: ts('created_at').notNull().defaultNow(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
  submittedAt: ts('submitted_at'),
});

export const consentHeads = pgTable('consent_heads', {
  type: text('type').primaryKey(),
  version: integer('version').notNull(),
});

export const consentVersions = pgTable('consent_versions', {
  type: text('type').notNull(),
  version: integer('version').notNull(),
  text: text('text').notNull(),
  publishedAt: ts('published_at').notNull().defaultNow(),
  publishedBy: uuid('published_by').notNull(),
});

export const consentAcceptances = pgTable('consent_acceptances', {
  id: uuid('id').primaryKey().defaultRandom(),
  patientId: uuid('patient_id').notNull(),
  type: text('type').notNull(),
  version: integer('version').notNull(),
  acceptedAt: ts('accepted_at').notNull().defaultNow(),
  requestId: text('request_id').notNull(),
});

export const visitLocations = pgTable('visit_locations', {
  id: uuid('id').primaryKey().defaultRandom(),
  appointmentId: uuid('appointment_id').notNull(),
  patientId: uuid('patient_id').notNull(),
  country: text('country').notNull(),
  region: text('region').notNull(),
  city: text('city'),
  statedAt: ts('stated_at').notNull().defaultNow(),
  requestId: text('request_id').notNull(),
});

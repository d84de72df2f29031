// The inbox's tables (migrations/0028_inbox.sql is the source of truth): one row per recipient and event.
import { bigserial, integer, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { ts } from '../../platform/db/tables.ts';

export const userNotifications = pgTable('user_notifications', {
  id: uuid('id').primaryKey().defaultRandom(),
  seq: bigserial('seq', { mode: 'number' }).notNull(),
  userId: uuid('user_id').notNull(),
  kind: text('kind').notNull(),
  appointmentId: uuid('appointment_id'),
  prescriptionId: uuid('prescription_id'),
  personId: uuid('person_id'),
  count: integer('count').notNull(),
  createdAt: ts('created_at').notNull(),
  readAt: ts('read_at'),
  announcedAt: ts('announced_at'),
});

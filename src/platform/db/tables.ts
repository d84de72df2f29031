// Drizzle definitions of the platform's own tables (migrations/ are the source of truth): the mail outbox
// its worker drains, the audit trail its writer appends to (and the chain its sequencer builds), and the
// real-time bus's spill table, plus the column helper every table uses.
// Each feature's tables are defined in its module (src/modules/<feature>/tables.ts or repo.ts).
import { bigint, bigserial, boolean, integer, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';

/** A timestamptz column read as a Date: every table's timestamps are instants in UTC. */
export const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

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
  // Set by the database at insert (migrations/0020_audit_sequencer.sql), never by the application: the
  // inserting transaction's id and the event's own SHA-256; the chain links live in audit_chain.
  xid: bigint('xid', { mode: 'number' })
    .notNull()
    .default(sql`NULL`),
  contentHash: text('content_hash'),
});

/**
 * The chain's links (migrations/0020_audit_sequencer.sql): one per chained event, in chain order, written
 * after commit by the sequencer (audit_chain_batch) only. An event without a link is not chained yet.
 */
export const auditChain = pgTable('audit_chain', {
  chainSeq: bigint('chain_seq', { mode: 'number' }).primaryKey(),
  eventId: uuid('event_id').notNull(),
  prevHash: text('prev_hash').notNull(),
  hash: text('hash').notNull(),
});

/**
 * The audit chain's head: one row (id is always true), the position and hash of the last link, the
 * sequencer's cursor (last_xid, last_seq) and its horizon (every event with a smaller xid is chained).
 * Written by the sequencer only; read by the verifier and the checkpoints.
 */
export const auditChainHead = pgTable('audit_chain_head', {
  id: boolean('id').primaryKey().default(true),
  seq: bigint('seq', { mode: 'number' }).notNull(),
  hash: text('hash').notNull(),
  lastXid: bigint('last_xid', { mode: 'number' }).notNull(),
  lastSeq: bigint('last_seq', { mode: 'number' }).notNull(),
  horizon: bigint('horizon', { mode: 'number' }).notNull(),
});

/**
 * Real-time events too large for a NOTIFY payload (migrations/0006_messages.sql): the bus stores
 * `{u, e, c}` as JSON text here and notifies the row's id; rows are pruned after an hour.
 */
export const realtimeEvents = pgTable('realtime_events', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  payload: text('payload').notNull(),
  createdAt: ts('created_at').notNull().defaultNow(),
});

// The attachments module's tables (migrations/0024_attachments.sql and 0034 are the source of truth).
import { bigint, customType, integer, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core';
import { ts } from '../../platform/db/tables.ts';

/** bytea: a Buffer from node-postgres, a Uint8Array from PGlite. */
const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({ dataType: () => 'bytea' });

export const attachments = pgTable('attachments', {
  id: uuid('id').primaryKey().defaultRandom(),
  uploaderId: uuid('uploader_id').notNull(),
  /** The patient whose record the file belongs to: a patient's own upload at once, a doctor's once it is sent. */
  patientId: uuid('patient_id'),
  doctorId: uuid('doctor_id'),
  /** The message that carries it; null while only its uploader may see it (removed after the orphan TTL). */
  messageId: uuid('message_id'),
  fileName: text('file_name').notNull(),
  contentType: text('content_type').$type<AttachmentType>().notNull(),
  size: bigint('size', { mode: 'number' }).notNull(),
  sha256: text('sha256').notNull(),
  /** SHA-1, base64, as FHIR R4's Attachment.hash (migrations/0034); null for files stored before it. */
  sha1: text('sha1'),
  createdAt: ts('created_at').notNull().defaultNow(),
  referencedAt: ts('referenced_at'),
});

export const attachmentChunks = pgTable(
  'attachment_chunks',
  {
    attachmentId: uuid('attachment_id').notNull(),
    n: integer('n').notNull(),
    bytes: bytea('bytes').notNull(),
  },
  (t) => [primaryKey({ columns: [t.attachmentId, t.n] })],
);

export type AttachmentType = 'image/jpeg' | 'image/png' | 'image/webp' | 'application/pdf';
export type AttachmentRow = typeof attachments.$inferSelect;

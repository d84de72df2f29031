// SQL of the attachments module: the files' rows, their chunks, the quota and the orphan sweep.
import { and, desc, inArray, sql, type SQL } from 'drizzle-orm';
import type { ClinicalGrant } from '../appointments/index.ts';
import type { Executor } from '../../platform/db/index.ts';
import { attachmentChunks, attachments, type AttachmentRow, type AttachmentType } from './tables.ts';

/** Largest chunk stored (the CHECK of attachment_chunks.bytes): a download holds one at a time. */
export const CHUNK_BYTES = 256 * 1024;

const rowsOf = <T>(res: unknown) => (res as { rows: T[] }).rows;

/**
 * Bytes stored by `uploaderId`, serialised per uploader to the end of the transaction (advisory lock), so
 * that two concurrent uploads cannot both pass the last free space of the quota.
 */
export async function lockedUsage(ex: Executor, uploaderId: string): Promise<number> {
  await ex.execute(sql`SELECT pg_advisory_xact_lock(hashtextextended(${`attachments:${uploaderId}`}, 0))`);
  const [row] = rowsOf<{ used: string | number }>(
    await ex.execute(sql`SELECT coalesce(sum(size), 0)::bigint AS used FROM ${attachments} WHERE uploader_id = ${uploaderId}`),
  );
  return Number(row.used);
}

/** Bytes stored by `uploaderId` (unlocked: a first look before the work an upload costs). */
export async function usage(ex: Executor, uploaderId: string): Promise<number> {
  const [row] = rowsOf<{ used: string | number }>(
    await ex.execute(sql`SELECT coalesce(sum(size), 0)::bigint AS used FROM ${attachments} WHERE uploader_id = ${uploaderId}`),
  );
  return Number(row.used);
}

export async function insertAttachment(
  ex: Executor,
  v: {
    uploaderId: string;
    patientId: string | null;
    fileName: string;
    contentType: AttachmentType;
    size: number;
    sha256: string;
    sha1: string;
  },
): Promise<AttachmentRow> {
  const [row] = await ex
    .insert(attachments)
    .values({ ...v, createdAt: sql`date_trunc('milliseconds', clock_timestamp())` as unknown as Date })
    .returning();
  return row;
}

/**
 * Bytes travel as base64 text (`decode`/`encode` in SQL): the embedded engine's bytea parameters and results
 * go through a per-byte hex conversion in JavaScript that made a 15 MB file cost seconds each way; base64 is
 * converted natively by Buffer on this side and by the server on the other (measured: docs/decisions.md).
 */
export async function insertChunk(ex: Executor, attachmentId: string, n: number, bytes: Buffer): Promise<void> {
  await ex.execute(
    sql`INSERT INTO ${attachmentChunks} (attachment_id, n, bytes) VALUES (${attachmentId}, ${n}, decode(${bytes.toString('base64')}, 'base64'))`,
  );
}

/**
 * The attachment if the caller may download it: their own upload, or one a message carries whose thread the
 * caller's `messages` grant covers (the thread's two parties; nobody else, admins included).
 */
export async function findReadable(ex: Executor, grant: ClinicalGrant, id: string): Promise<AttachmentRow | null> {
  const thread = grant.where({ patientId: attachments.patientId, doctorId: attachments.doctorId });
  const rows = await ex
    .select()
    .from(attachments)
    .where(
      and(
        sql`${attachments.id} = ${id}`,
        sql`(${attachments.uploaderId} = ${grant.userId} OR (${attachments.messageId} IS NOT NULL AND ${thread}))`,
      ),
    )
    .limit(1);
  return rows[0] ?? null;
}

/** One chunk's bytes, or null past the end. */
export async function chunk(ex: Executor, attachmentId: string, n: number): Promise<Buffer | null> {
  const [row] = rowsOf<{ b64: string }>(
    await ex.execute(
      sql`SELECT encode(bytes, 'base64') AS b64 FROM ${attachmentChunks} WHERE attachment_id = ${attachmentId} AND n = ${n}`,
    ),
  );
  return row ? Buffer.from(row.b64, 'base64') : null;
}

/**
 * Ties the sender's unsent uploads to their message under the sender's `messages` grant for the thread;
 * returns the rows it tied (fewer than asked when an id is not such an upload).
 */
export async function claimForMessage(
  ex: Executor,
  grant: ClinicalGrant,
  ids: string[],
  message: { id: string; patientId: string; doctorId: string; senderId: string },
): Promise<AttachmentRow[]> {
  if (grant.purpose !== 'messages' || grant.userId !== message.senderId) {
    throw new Error('attachments are tied to a message only by its sender, under their messages grant');
  }
  if (!ids.length) return [];
  return ex
    .update(attachments)
    .set({
      messageId: message.id,
      patientId: message.patientId,
      doctorId: message.doctorId,
      referencedAt: sql`clock_timestamp()` as unknown as Date,
    })
    .where(
      and(
        inArray(attachments.id, ids),
        sql`${attachments.uploaderId} = ${message.senderId} AND ${attachments.messageId} IS NULL`,
        // A patient's upload belongs to that patient: it can only be sent in their own threads.
        sql`(${attachments.patientId} IS NULL OR ${attachments.patientId} = ${message.patientId})`,
      ),
    )
    .returning();
}

export interface Summary {
  id: string;
  messageId: string;
  fileName: string;
  contentType: AttachmentType;
  size: number;
}

/** The attachments of messages the grant covers, oldest first within a message. */
export async function summariesOf(ex: Executor, grant: ClinicalGrant, messageIds: string[]): Promise<Summary[]> {
  if (!messageIds.length) return [];
  const rows = await ex
    .select({
      id: attachments.id,
      messageId: attachments.messageId,
      fileName: attachments.fileName,
      contentType: attachments.contentType,
      size: attachments.size,
    })
    .from(attachments)
    .where(
      and(inArray(attachments.messageId, messageIds), grant.where({ patientId: attachments.patientId, doctorId: attachments.doctorId })),
    )
    .orderBy(attachments.createdAt, attachments.id);
  return rows.map((r) => ({ ...r, messageId: r.messageId!, size: Number(r.size) }));
}

/** Removes uploads no message carries that were made before `cutoff` (their chunks go with them). */
export async function deleteOrphans(ex: Executor, cutoff: Date, limit: number): Promise<number> {
  const res = await ex.execute(sql`
    DELETE FROM ${attachments} WHERE id IN (
      SELECT id FROM ${attachments} WHERE message_id IS NULL AND created_at < ${cutoff.toISOString()}::timestamptz
       ORDER BY created_at LIMIT ${limit}::int)
    RETURNING id`);
  return rowsOf(res).length;
}

/**
 * An attachment of a patient's record (one a message carries: it has its patient and doctor) whose thread
 * the grant covers; the DocumentReference of FHIR. Null for anything else, an upload no message carries yet
 * included (that one only its uploader sees, through GET /attachments/{id}).
 */
export async function findDocument(ex: Executor, grant: ClinicalGrant, id: string): Promise<AttachmentRow | null> {
  const rows = await ex
    .select()
    .from(attachments)
    .where(
      and(
        sql`${attachments.id} = ${id} AND ${attachments.messageId} IS NOT NULL`,
        grant.where({ patientId: attachments.patientId, doctorId: attachments.doctorId }),
      ),
    )
    .limit(1);
  return rows[0] ?? null;
}

/**
 * Up to `limit + 1` attachments of the records the grant covers (its named patient's, where it names one),
 * newest first after the keyset position (created_at, id), optionally narrowed by `filter` in the same query
 * (attachments_patient_idx: patient_id, created_at where a message carries it).
 */
export async function documentsPage(
  ex: Executor,
  grant: ClinicalGrant,
  after: [string, string] | null,
  limit: number,
  filter?: SQL,
): Promise<AttachmentRow[]> {
  return ex
    .select()
    .from(attachments)
    .where(
      and(
        sql`${attachments.messageId} IS NOT NULL`,
        grant.where({ patientId: attachments.patientId, doctorId: attachments.doctorId }),
        after ? sql`(${attachments.createdAt}, ${attachments.id}) < (${after[0]}::timestamptz, ${after[1]}::uuid)` : undefined,
        filter,
      ),
    )
    .orderBy(desc(attachments.createdAt), desc(attachments.id))
    .limit(limit + 1);
}

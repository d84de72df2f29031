import { bigserial, bigint, integer, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core';
import { and, sql } from 'drizzle-orm';
import type { ClinicalGrant } from '../appointments/index.ts';
import type { Database, Executor } from '../../platform/db/index.ts';
import { ts } from '../../platform/db/tables.ts';

export const messages = pgTable('messages', {
  id: uuid('id').primaryKey().defaultRandom(),
  seq: bigserial('seq', { mode: 'number' }).notNull(),
  doctorId: uuid('doctor_id').notNull(),
  patientId: uuid('patient_id').notNull(),
  senderId: uuid('sender_id').notNull(),
  recipientId: uuid('recipient_id').notNull(),
  body: text('body').notNull(),
  createdAt: ts('created_at').notNull(),
  readAt: ts('read_at'),
});

export const conversations = pgTable(
  'conversations',
  {
    doctorId: uuid('doctor_id').notNull(),
    patientId: uuid('patient_id').notNull(),
    lastMessageId: uuid('last_message_id').notNull(),
    lastSeq: bigint('last_seq', { mode: 'number' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.doctorId, t.patientId] })],
);

/**
 * Unread messages from sender to recipient, kept by triggers on messages in the transaction of every
 * insert, read mark and delete (migration 0035): the conversation list reads it by primary key instead of
 * counting the thread. No statement of this module writes it.
 */
export const messageUnread = pgTable(
  'message_unread',
  {
    recipientId: uuid('recipient_id').notNull(),
    senderId: uuid('sender_id').notNull(),
    unread: integer('unread').notNull(),
  },
  (t) => [primaryKey({ columns: [t.recipientId, t.senderId] })],
);

export type MessageRow = typeof messages.$inferSelect;

/** A doctor–patient pair, the key of a conversation. */
export interface Pair {
  doctorId: string;
  patientId: string;
}

export interface UserRef {
  id: string;
  firstname: string;
  lastname: string;
  role: 'PATIENT' | 'DOCTOR' | 'ADMIN';
  doctorStatus: 'PENDING' | 'VERIFIED' | 'REJECTED' | null;
}

export async function findUser(database: Database, ex: Executor, id: string): Promise<UserRef | null> {
  const rows = await database.rows<{
    id: string;
    firstname: string;
    lastname: string;
    role: UserRef['role'];
    doctor_status: UserRef['doctorStatus'];
  }>(
    sql`
    SELECT u.id, u.firstname, u.lastname, u.role, d.verification_status AS doctor_status
    FROM users u LEFT JOIN doctors d ON d.id = u.id WHERE u.id = ${id}`,
    ex,
  );
  const r = rows[0];
  return r ? { id: r.id, firstname: r.firstname, lastname: r.lastname, role: r.role, doctorStatus: r.doctor_status } : null;
}

export async function conversationExists(database: Database, ex: Executor, pair: Pair): Promise<boolean> {
  const rows = await database.rows(
    sql`
    SELECT 1 FROM conversations WHERE doctor_id = ${pair.doctorId} AND patient_id = ${pair.patientId}`,
    ex,
  );
  return rows.length > 0;
}

/**
 * The sender's messages of the last `windowSeconds` (database time, as created_at): how many, and in how many
 * seconds the oldest of them leaves the window. Serialised per sender (advisory lock to the end of the
 * transaction), so concurrent sends cannot all pass the last free place. At most `max` rows are read.
 */
export async function recentSends(ex: Executor, senderId: string, windowSeconds: number, max: number) {
  await ex.execute(sql`SELECT pg_advisory_xact_lock(hashtextextended(${`messages:${senderId}`}, 0))`);
  const res = await ex.execute(sql`
    SELECT count(*)::int AS n, ceil(extract(epoch FROM min(created_at) + make_interval(secs => ${windowSeconds}::int) - clock_timestamp()))::int AS wait
      FROM (SELECT created_at FROM messages
             WHERE sender_id = ${senderId} AND created_at > clock_timestamp() - make_interval(secs => ${windowSeconds}::int)
             ORDER BY created_at DESC LIMIT ${max}::int) recent`);
  const row = (res as unknown as { rows: { n: number; wait: number | null }[] }).rows[0];
  return { count: Number(row.n), retryAfterSeconds: Math.max(1, Number(row.wait ?? 1)) };
}

/** The grant's condition on a thread's rows: the conversation of its two parties only (access.ts, `messages`). */
const covered = (grant: ClinicalGrant) => grant.where({ patientId: messages.patientId, doctorId: messages.doctorId });

/** Inserts a message and moves the thread's "last message" forward (never backward under concurrent sends). */
export async function insertMessage(
  ex: Executor,
  grant: ClinicalGrant,
  pair: Pair,
  senderId: string,
  recipientId: string,
  body: string,
): Promise<MessageRow> {
  // An INSERT has no WHERE to put the grant's condition in: the sender must be the grant's holder and a party.
  const party = grant.subject.role === 'DOCTOR' ? pair.doctorId : grant.subject.role === 'PATIENT' ? pair.patientId : null;
  if (grant.purpose !== 'messages' || party !== grant.userId || senderId !== grant.userId) {
    throw new Error('a message is written only by a party of its thread, under its messages grant');
  }
  const [row] = await ex
    .insert(messages)
    .values({ ...pair, senderId, recipientId, body, createdAt: sql`clock_timestamp()` as unknown as Date })
    .returning();
  await ex
    .insert(conversations)
    .values({ ...pair, lastMessageId: row.id, lastSeq: row.seq })
    .onConflictDoUpdate({
      target: [conversations.doctorId, conversations.patientId],
      set: { lastMessageId: row.id, lastSeq: row.seq },
      setWhere: sql`${conversations.lastSeq} < ${row.seq}`,
    });
  return row;
}

/** Newest first, keyset on seq: the index (doctor_id, patient_id, seq DESC) serves every page alike. */
export async function history(
  ex: Executor,
  grant: ClinicalGrant,
  pair: Pair,
  beforeSeq: number | null,
  limit: number,
): Promise<MessageRow[]> {
  return ex
    .select()
    .from(messages)
    .where(
      and(
        covered(grant),
        sql`${messages.doctorId} = ${pair.doctorId} AND ${messages.patientId} = ${pair.patientId}${beforeSeq !== null ? sql` AND ${messages.seq} < ${beforeSeq}` : sql``}`,
      ),
    )
    .orderBy(sql`${messages.seq} DESC`)
    .limit(limit);
}

export async function findMessageInPair(ex: Executor, grant: ClinicalGrant, pair: Pair, id: string): Promise<MessageRow | null> {
  const rows = await ex
    .select()
    .from(messages)
    .where(
      and(
        covered(grant),
        sql`${messages.id} = ${id} AND ${messages.doctorId} = ${pair.doctorId} AND ${messages.patientId} = ${pair.patientId}`,
      ),
    )
    .limit(1);
  return rows[0] ?? null;
}

/** Marks what `senderId` sent to `readerId` up to seq as read; returns how many changed and when. */
export async function markRead(
  ex: Executor,
  grant: ClinicalGrant,
  senderId: string,
  upToSeq: number,
): Promise<{ count: number; readAt: Date | null }> {
  const rows = await ex
    .update(messages)
    .set({ readAt: sql`now()` as unknown as Date })
    .where(
      and(
        covered(grant),
        sql`${messages.recipientId} = ${grant.userId} AND ${messages.senderId} = ${senderId} AND ${messages.readAt} IS NULL AND ${messages.seq} <= ${upToSeq}`,
      ),
    )
    .returning({ readAt: messages.readAt });
  return { count: rows.length, readAt: rows[0]?.readAt ?? null };
}

export interface ConversationRow {
  other_id: string;
  firstname: string;
  lastname: string;
  role: 'PATIENT' | 'DOCTOR';
  doctor_id: string;
  patient_id: string;
  last_seq: string;
  id: string;
  sender_id: string;
  recipient_id: string;
  body: string;
  created_at: Date | string;
  read_at: Date | string | null;
  unread: number;
}

/**
 * The caller's threads, most recent first, with the last message and the caller's unread count: the
 * counter of message_unread, one primary-key read per thread however many messages are unread.
 */
export async function listConversations(
  database: Database,
  ex: Executor,
  grant: ClinicalGrant,
  beforeSeq: number | null,
  limit: number,
): Promise<ConversationRow[]> {
  const userId = grant.userId;
  const other = grant.subject.role === 'DOCTOR' ? sql`c.patient_id` : sql`c.doctor_id`;
  const mine = grant.where({ patientId: sql`c.patient_id`, doctorId: sql`c.doctor_id` });
  return database.rows<ConversationRow>(
    sql`
    SELECT ${other} AS other_id, u.firstname, u.lastname, u.role, c.doctor_id, c.patient_id, c.last_seq,
           m.id, m.sender_id, m.recipient_id, m.body, m.created_at, m.read_at, COALESCE(n.unread, 0) AS unread
    FROM conversations c
    JOIN users u ON u.id = ${other}
    JOIN messages m ON m.id = c.last_message_id
    LEFT JOIN message_unread n ON n.recipient_id = ${userId} AND n.sender_id = ${other}
    WHERE ${mine}${beforeSeq !== null ? sql` AND c.last_seq < ${beforeSeq}` : sql``}
    ORDER BY c.last_seq DESC
    LIMIT ${limit}`,
    ex,
  );
}

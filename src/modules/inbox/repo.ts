// The inbox's SQL. Every write of user_notifications is here (table owner: eslint.config.js TABLE_OWNERS).
import { sql } from 'drizzle-orm';
import { prepared, runWithCommit, type Database, type Executor } from '../../platform/db/index.ts';
import type { NotificationKind } from './schemas.ts';

/** At most this many entries per user: the oldest go when a new one comes (read or not). */
export const PER_USER_CAP = 200;

export interface NewNotification {
  userId: string;
  kind: NotificationKind;
  appointmentId?: string | null;
  prescriptionId?: string | null;
  personId?: string | null;
}

/**
 * One entry, with the user's cap applied, in one statement; a message from someone whose conversation has an
 * unread entry bumps that entry (count + 1, newest again, announced anew) instead of adding one. It leaves
 * with the COMMIT (runWithCommit) after the statements before it, so it may point at a row the same
 * transaction inserts in a deferred statement (a booking), and costs the hot path no round trip.
 */
const INSERT = prepared(
  'inbox_insert',
  `WITH cut AS (
     DELETE FROM user_notifications
     WHERE user_id = $1
       AND seq <= (SELECT seq FROM user_notifications WHERE user_id = $1 ORDER BY seq DESC OFFSET ${PER_USER_CAP - 1} LIMIT 1)
       AND NOT (kind = 'message.received' AND read_at IS NULL AND person_id IS NOT DISTINCT FROM $5::uuid)
   )
   INSERT INTO user_notifications (user_id, kind, appointment_id, prescription_id, person_id, created_at)
   VALUES ($1, $2, $3, $4, $5, $6)
   ON CONFLICT (user_id, person_id) WHERE kind = 'message.received' AND read_at IS NULL
   DO UPDATE SET count = LEAST(user_notifications.count + 1, 1000000),
                 seq = nextval(pg_get_serial_sequence('user_notifications', 'seq')),
                 created_at = EXCLUDED.created_at,
                 announced_at = NULL`,
);

export async function insert(ex: Executor, n: NewNotification, at: Date): Promise<void> {
  await runWithCommit(ex, INSERT, [n.userId, n.kind, n.appointmentId ?? null, n.prescriptionId ?? null, n.personId ?? null, at]);
}

export interface NotificationRow {
  id: string;
  seq: number;
  user_id: string;
  kind: NotificationKind;
  created_at: Date;
  read_at: Date | null;
  count: number;
  appointment_id: string | null;
  prescription_id: string | null;
  person_id: string | null;
  firstname: string | null;
  lastname: string | null;
  role: 'PATIENT' | 'DOCTOR' | 'ADMIN' | null;
}

const COLUMNS = sql`n.id, n.seq::float8 AS seq, n.user_id, n.kind, n.created_at, n.read_at, n.count, n.appointment_id, n.prescription_id,
  n.person_id, u.firstname, u.lastname, u.role`;

/** One page of a user's entries, newest first (keyset on seq): an index range scan of user_notifications_user_seq_idx. */
export async function page(
  database: Database,
  ex: Executor,
  userId: string,
  q: { unread: boolean; before: number | null; limit: number },
): Promise<NotificationRow[]> {
  return database.rows<NotificationRow>(
    sql`SELECT ${COLUMNS}
        FROM user_notifications n LEFT JOIN users u ON u.id = n.person_id
        WHERE n.user_id = ${userId}
          ${q.unread ? sql`AND n.read_at IS NULL` : sql``}
          ${q.before !== null ? sql`AND n.seq < ${q.before}` : sql``}
        ORDER BY n.seq DESC
        LIMIT ${q.limit}`,
    ex,
  );
}

/** The unread badge: counted from the partial index of unread entries (at most PER_USER_CAP of them). */
export async function unreadCount(database: Database, ex: Executor, userId: string): Promise<number> {
  const rows = await database.rows<{ n: number }>(
    sql`SELECT count(*)::int AS n FROM user_notifications WHERE user_id = ${userId} AND read_at IS NULL`,
    ex,
  );
  return Number(rows[0]?.n ?? 0);
}

/** Marks one of the user's entries read; false when the user has no entry of that id. */
export async function markRead(database: Database, ex: Executor, userId: string, id: string, at: Date): Promise<boolean> {
  const rows = await database.rows<{ id: string }>(
    sql`UPDATE user_notifications SET read_at = COALESCE(read_at, ${at})
        WHERE id = ${id} AND user_id = ${userId} RETURNING id`,
    ex,
  );
  return rows.length > 0;
}

export async function markAllRead(database: Database, ex: Executor, userId: string, at: Date): Promise<number> {
  const rows = await database.rows<{ n: number }>(
    sql`WITH r AS (UPDATE user_notifications SET read_at = ${at} WHERE user_id = ${userId} AND read_at IS NULL RETURNING 1)
        SELECT count(*)::int AS n FROM r`,
    ex,
  );
  return Number(rows[0]?.n ?? 0);
}

/** The unread "new messages from `personId`" entry of `userId` is read (they read the conversation). */
export async function markConversationRead(database: Database, ex: Executor, userId: string, personId: string, at: Date): Promise<void> {
  await database.rows(
    sql`UPDATE user_notifications SET read_at = ${at}
        WHERE user_id = ${userId} AND person_id = ${personId} AND kind = 'message.received' AND read_at IS NULL`,
    ex,
  );
}

/** Entries not yet announced over the WebSocket, claimed (SKIP LOCKED) and stamped in the caller's transaction. */
export async function claimUnannounced(database: Database, ex: Executor, limit: number, at: Date): Promise<NotificationRow[]> {
  return database.rows<NotificationRow>(
    sql`WITH c AS (
          SELECT id FROM user_notifications WHERE announced_at IS NULL ORDER BY seq LIMIT ${limit} FOR UPDATE SKIP LOCKED
        ), s AS (
          UPDATE user_notifications n SET announced_at = ${at} FROM c WHERE n.id = c.id RETURNING n.*
        )
        SELECT ${COLUMNS} FROM s n LEFT JOIN users u ON u.id = n.person_id ORDER BY n.seq`,
    ex,
  );
}

// The reads the other modules have no lookup for: one message by id, a search over the caller's messages (one audit event by id is the audit module's).
import { and, desc, eq, gte, lt, or } from 'drizzle-orm';
import type { Executor } from '../../platform/db/index.ts';
import { findEvent } from '../audit/index.ts';
import { messages, type MessageRow } from '../messages/index.ts';

/** A message the user sent or received; undefined for anyone else's. */
export async function findOwnMessage(ex: Executor, id: string, userId: string): Promise<MessageRow | undefined> {
  const [row] = await ex
    .select()
    .from(messages)
    .where(and(eq(messages.id, id), or(eq(messages.senderId, userId), eq(messages.recipientId, userId))))
    .limit(1);
  return row;
}

export async function findAuditEvent(ex: Executor, id: string) {
  return findEvent(ex, id);
}

/**
 * Messages of the threads `actor` takes part in (a patient: their own; a doctor: those with their
 * patients), optionally of one patient and a creation-time range, newest first, keyset on seq.
 * Fetches `limit + 1` rows so the caller can tell whether another page exists.
 */
export async function searchMessages(
  ex: Executor,
  actor: { userId: string; role: 'DOCTOR' | 'PATIENT' },
  f: { patientId?: string; from?: Date; to?: Date; beforeSeq: number | null; limit: number },
): Promise<MessageRow[]> {
  return ex
    .select()
    .from(messages)
    .where(
      and(
        actor.role === 'DOCTOR' ? eq(messages.doctorId, actor.userId) : eq(messages.patientId, actor.userId),
        f.patientId ? eq(messages.patientId, f.patientId) : undefined,
        f.from ? gte(messages.createdAt, f.from) : undefined,
        f.to ? lt(messages.createdAt, f.to) : undefined,
        f.beforeSeq !== null ? lt(messages.seq, f.beforeSeq) : undefined,
      ),
    )
    .orderBy(desc(messages.seq))
    .limit(f.limit + 1);
}

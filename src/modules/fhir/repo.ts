// The reads the other modules have no lookup for: one message by id, a search over the caller's messages (one audit event by id is the audit module's).
import { and, desc, eq, gte, lt } from 'drizzle-orm';
import type { Executor } from '../../platform/db/index.ts';
import { findEvent } from '../audit/index.ts';
import { messages, type MessageRow } from '../messages/index.ts';
import type { ClinicalGrant } from '../appointments/index.ts';

/** The grant's condition on messages: the threads of its holder, as a party (access.ts, `messages`). */
const covered = (grant: ClinicalGrant) => grant.where({ patientId: messages.patientId, doctorId: messages.doctorId });

/** A message of a thread the grant covers; undefined for anyone else's. */
export async function findOwnMessage(ex: Executor, grant: ClinicalGrant, id: string): Promise<MessageRow | undefined> {
  const [row] = await ex
    .select()
    .from(messages)
    .where(and(eq(messages.id, id), covered(grant)))
    .limit(1);
  return row;
}

export async function findAuditEvent(ex: Executor, id: string) {
  return findEvent(ex, id);
}

/**
 * Messages of the threads the grant covers (a patient: their own; a verified doctor: those with their
 * patients), of its named patient if any, optionally in a creation-time range, newest first, keyset on seq.
 * Fetches `limit + 1` rows so the caller can tell whether another page exists.
 */
export async function searchMessages(
  ex: Executor,
  grant: ClinicalGrant,
  f: { from?: Date; to?: Date; beforeSeq: number | null; limit: number },
): Promise<MessageRow[]> {
  return ex
    .select()
    .from(messages)
    .where(
      and(
        covered(grant),
        f.from ? gte(messages.createdAt, f.from) : undefined,
        f.to ? lt(messages.createdAt, f.to) : undefined,
        f.beforeSeq !== null ? lt(messages.seq, f.beforeSeq) : undefined,
      ),
    )
    .orderBy(desc(messages.seq))
    .limit(f.limit + 1);
}

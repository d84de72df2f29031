// The two reads the other modules have no lookup for: one message by id, one audit event by id.
import { and, eq, or } from 'drizzle-orm';
import type { Executor } from '../../platform/db/index.ts';
import { auditEvents } from '../../platform/db/tables.ts';
import { users } from '../auth/tables.ts';
import { messages, type MessageRow } from '../messages/repo.ts';

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
  const [row] = await ex
    .select({ event: auditEvents, firstname: users.firstname, lastname: users.lastname })
    .from(auditEvents)
    .leftJoin(users, eq(users.id, auditEvents.actorId))
    .where(eq(auditEvents.id, id))
    .limit(1);
  return row;
}

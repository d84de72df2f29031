import { and, desc, eq, getTableColumns, gte, like, lt, type SQL } from 'drizzle-orm';
import type { Executor } from '../../platform/db/index.ts';
import { auditChain, auditEvents } from '../../platform/db/tables.ts';
import { users } from '../auth/index.ts';

/** An event with its chain link; prevHash and hash are null until the sequencer has chained it. */
export type AuditRow = typeof auditEvents.$inferSelect & { prevHash: string | null; hash: string | null };

/** The event's columns and its link's hashes (a left join: the link may not exist yet). */
export const eventWithLink = { ...getTableColumns(auditEvents), prevHash: auditChain.prevHash, hash: auditChain.hash };
const linkOf = eq(auditChain.eventId, auditEvents.id);

export interface EventFilter {
  actorId?: string;
  patientId?: string;
  /** Exact action, or a prefix when `actionPrefix` is set. */
  action?: string;
  actionPrefix?: boolean;
  from?: Date;
  to?: Date;
  beforeSeq?: number;
  limit: number;
}

function where(f: EventFilter): SQL | undefined {
  return and(
    f.actorId ? eq(auditEvents.actorId, f.actorId) : undefined,
    f.patientId ? eq(auditEvents.patientId, f.patientId) : undefined,
    f.action
      ? f.actionPrefix
        ? like(auditEvents.action, `${f.action.replace(/_/g, '\\_')}.%`)
        : eq(auditEvents.action, f.action)
      : undefined,
    f.from ? gte(auditEvents.at, f.from) : undefined,
    f.to ? lt(auditEvents.at, f.to) : undefined,
    f.beforeSeq !== undefined ? lt(auditEvents.seq, f.beforeSeq) : undefined,
  );
}

/** Newest first by the append sequence (unique, so the keyset never skips or repeats); limit + 1 rows. */
export async function listEvents(ex: Executor, f: EventFilter): Promise<AuditRow[]> {
  return ex
    .select(eventWithLink)
    .from(auditEvents)
    .leftJoin(auditChain, linkOf)
    .where(where(f))
    .orderBy(desc(auditEvents.seq))
    .limit(f.limit + 1);
}

/** Events about one patient with the actor's current name. */
export async function listPatientEvents(
  ex: Executor,
  f: EventFilter & { patientId: string },
): Promise<{ event: AuditRow; firstname: string | null; lastname: string | null }[]> {
  const rows = await ex
    .select({ ...eventWithLink, firstname: users.firstname, lastname: users.lastname })
    .from(auditEvents)
    .leftJoin(auditChain, linkOf)
    .leftJoin(users, eq(users.id, auditEvents.actorId))
    .where(where(f))
    .orderBy(desc(auditEvents.seq))
    .limit(f.limit + 1);
  return rows.map(({ firstname, lastname, ...event }) => ({ event, firstname, lastname }));
}

/** One event by id, with its link and the actor's current name. */
export async function findEvent(ex: Executor, id: string) {
  const [row] = await ex
    .select({ ...eventWithLink, firstname: users.firstname, lastname: users.lastname })
    .from(auditEvents)
    .leftJoin(auditChain, linkOf)
    .leftJoin(users, eq(users.id, auditEvents.actorId))
    .where(eq(auditEvents.id, id))
    .limit(1);
  if (!row) return undefined;
  const { firstname, lastname, ...event } = row;
  return { event, firstname, lastname };
}

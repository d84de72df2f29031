import { and, desc, eq, gte, like, lt, type SQL } from 'drizzle-orm';
import type { Executor } from '../../platform/db/index.ts';
import { auditEvents } from '../../platform/db/tables.ts';
import { users } from '../auth/index.ts';

export type AuditRow = typeof auditEvents.$inferSelect;

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
    .select()
    .from(auditEvents)
    .where(where(f))
    .orderBy(desc(auditEvents.seq))
    .limit(f.limit + 1);
}

/** Events about one patient with the actor's current name. */
export async function listPatientEvents(ex: Executor, f: EventFilter & { patientId: string }) {
  return ex
    .select({ event: auditEvents, firstname: users.firstname, lastname: users.lastname })
    .from(auditEvents)
    .leftJoin(users, eq(users.id, auditEvents.actorId))
    .where(where(f))
    .orderBy(desc(auditEvents.seq))
    .limit(f.limit + 1);
}

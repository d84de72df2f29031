import type { Executor } from './db/index.ts';
import { auditEvents } from './db/tables.ts';
import type { RequestMeta } from './guards.ts';

export type AuditOutcome = 'SUCCESS' | 'FAILURE' | 'DENIED';

export interface AuditEntry {
  action: string;
  resourceType: string;
  resourceId?: string | null;
  patientId?: string | null;
  outcome?: AuditOutcome;
  /** Overrides the actor of the request, e.g. a failed login names the account it targeted. */
  actorId?: string | null;
  actorRole?: string | null;
}

let skipReads = false;

/** Actions are `<resource>.<verb>`; reads end in `.read` or `.list` (e.g. `patient.read`, `message.list`). */
export const isRead = (action: string) => /\.(read|list)$/.test(action);

/** Benchmark switch only (bench/ turns it on to measure audit overhead); production never calls it. */
export function setAuditReadsSkippedForBenchmark(on: boolean): void {
  skipReads = on;
}

/**
 * Appends one audit event. Call it with the transaction that makes the change, so a change without
 * its event cannot commit.
 */
export async function audit(ex: Executor, meta: RequestMeta, entry: AuditEntry): Promise<void> {
  if (skipReads && isRead(entry.action)) return;
  await ex.insert(auditEvents).values({
    actorId: entry.actorId !== undefined ? entry.actorId : (meta.actor?.userId ?? null),
    actorRole: entry.actorRole !== undefined ? entry.actorRole : (meta.actor?.role ?? null),
    action: entry.action,
    resourceType: entry.resourceType,
    resourceId: entry.resourceId ?? null,
    patientId: entry.patientId ?? null,
    outcome: entry.outcome ?? 'SUCCESS',
    ip: meta.ip,
    requestId: meta.requestId,
  });
}

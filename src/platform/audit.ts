import type { Executor, StatementPart } from './db/index.ts';
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
  await ex.insert(auditEvents).values(auditRow(meta, entry));
}

/**
 * The columns of the audit_events row `audit` would insert, as `auditEventPart` reads them: for a hot query
 * that inserts its event in the same statement (a data-modifying CTE) instead of a second round trip. Null
 * when the event is not recorded (the benchmark switch).
 */
export function auditValues(meta: RequestMeta, entry: AuditEntry): unknown[] | null {
  if (skipReads && isRead(entry.action)) return null;
  const r = auditRow(meta, entry);
  return [r.actorId, r.actorRole, r.action, r.resourceType, r.resourceId, r.patientId, r.outcome, r.ip, r.requestId];
}

/** audit_events columns matching auditValues. */
const AUDIT_COLUMNS = 'actor_id, actor_role, action, resource_type, resource_id, patient_id, outcome, ip, request_id';

/**
 * The audit event's part of another module's combined statement (the booking's INSERT, the patient read):
 * one event per row of `from`, its columns the parameters auditValues gives.
 */
export const auditEventPart: StatementPart<unknown[]> = {
  params: 9,
  text: (from, first) =>
    `INSERT INTO audit_events (${AUDIT_COLUMNS}) SELECT ${Array.from({ length: 9 }, (_, i) => `$${first + i}`).join(', ')} FROM ${from}`,
  values: (v) => v,
};

function auditRow(meta: RequestMeta, entry: AuditEntry) {
  return {
    actorId: entry.actorId !== undefined ? entry.actorId : (meta.actor?.userId ?? null),
    actorRole: entry.actorRole !== undefined ? entry.actorRole : (meta.actor?.role ?? null),
    action: entry.action,
    resourceType: entry.resourceType,
    resourceId: entry.resourceId ?? null,
    patientId: entry.patientId ?? null,
    outcome: entry.outcome ?? 'SUCCESS',
    ip: meta.ip,
    requestId: meta.requestId,
  };
}

import { audit } from '../../platform/audit.ts';
import { validation } from '../../platform/errors.ts';
import { optionalInstant } from '../../platform/instant.ts';
import type { Platform } from '../../platform/platform.ts';
import type { Actor, RequestMeta } from '../auth/index.ts';
import { cursorCodec, DEFAULT_LIMIT, toPage } from '../../platform/pagination.ts';
import * as repo from './repo.ts';
import { toAuditEvent, type AccessLogEntry, type AccessLogQuery, type AuditEventsQuery } from './schemas.ts';

type Meta = RequestMeta & { actor: Actor };

function range(q: { from?: string; to?: string }) {
  const from = optionalInstant(q.from);
  const to = optionalInstant(q.to);
  if (from && to && from.getTime() > to.getTime()) throw validation('/to', 'must not be before from');
  return { from, to };
}

const SEQ_CURSOR = cursorCodec('int');

function page(q: { limit?: number; cursor?: string }) {
  const limit = q.limit ?? DEFAULT_LIMIT;
  const cursor = SEQ_CURSOR.decode(q.cursor);
  if (cursor && cursor[0] < 1) throw validation('/cursor', 'is not a cursor from this list');
  return { limit, beforeSeq: cursor ? cursor[0] : undefined };
}

/** The whole trail, for admins. Reading it is itself recorded. */
export async function listAuditEvents(p: Platform, meta: Meta, q: AuditEventsQuery) {
  const { limit, beforeSeq } = page(q);
  const prefix = q.action?.endsWith('.*') ?? false;
  const filter = {
    actorId: q.actorId,
    patientId: q.patientId,
    action: prefix ? q.action!.slice(0, -2) : q.action,
    actionPrefix: prefix,
    ...range(q),
    beforeSeq,
    limit,
  };
  return p.db.transaction(async (tx) => {
    const rows = await repo.listEvents(tx, filter);
    // Against the patient only when events about them were actually shown.
    const disclosed = q.patientId && rows.length > 0 ? q.patientId : null;
    await audit(tx, meta, { action: 'audit_event.list', resourceType: 'audit_event', patientId: disclosed });
    return toPage(rows, limit, (r) => [r.seq], toAuditEvent);
  });
}

/**
 * The patient's own access log: every recorded read or change of their data, by whom (name and role
 * at the time) and when, including their own actions. Reading the log is recorded without a
 * patientId, so that looking at the log does not add to it.
 */
export async function accessLog(p: Platform, meta: Meta, q: AccessLogQuery) {
  const { limit, beforeSeq } = page(q);
  const patientId = meta.actor.userId;
  return p.db.transaction(async (tx) => {
    const rows = await repo.listPatientEvents(tx, { patientId, ...range(q), beforeSeq, limit });
    await audit(tx, meta, { action: 'access_log.list', resourceType: 'patient', resourceId: patientId });
    return toPage(
      rows,
      limit,
      (r) => [r.event.seq],
      (r): AccessLogEntry => ({
        id: r.event.id,
        at: r.event.at.toISOString(),
        action: r.event.action,
        resourceType: r.event.resourceType,
        resourceId: r.event.resourceId,
        outcome: r.event.outcome,
        actor:
          r.event.actorId === null && r.event.actorRole === null
            ? null
            : { id: r.event.actorId, firstname: r.firstname, lastname: r.lastname, role: r.event.actorRole },
      }),
    );
  });
}

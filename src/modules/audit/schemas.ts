import { Type, type Static } from 'typebox';
import { pageQueryProperties } from '../../platform/pagination.ts';
import { Nullable, Timestamp, Uuid } from '../../platform/schema.ts';
import type { AuditRow } from './repo.ts';

const Outcome = Type.Union([Type.Literal('SUCCESS'), Type.Literal('FAILURE'), Type.Literal('DENIED')]);
const range = {
  from: Type.Optional(Timestamp('Only events at or after this instant')),
  to: Type.Optional(Timestamp('Only events before this instant (exclusive)')),
};

export const AuditEventsQuery = Type.Object(
  {
    actorId: Type.Optional(Uuid('Only events by this user')),
    patientId: Type.Optional(Uuid("Only events about this patient's data")),
    action: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 100,
        pattern: '^[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)*(\\.\\*)?$',
        description: 'Exact action (`patient.read`), or a prefix ending in `.*` (`auth.*`)',
      }),
    ),
    ...range,
    ...pageQueryProperties,
  },
  { additionalProperties: false },
);
export type AuditEventsQuery = Static<typeof AuditEventsQuery>;

export const AccessLogQuery = Type.Object({ ...range, ...pageQueryProperties }, { additionalProperties: false });
export type AccessLogQuery = Static<typeof AccessLogQuery>;

export const AuditEventSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  at: Timestamp(),
  actorId: Nullable(Type.String({ format: 'uuid' })),
  actorRole: Nullable(Type.String({ description: 'PATIENT, DOCTOR, ADMIN, SYSTEM (command line) or null (anonymous)' })),
  action: Type.String({ description: '`<resource>.<verb>`; reads end in `.read` or `.list`' }),
  resourceType: Type.String(),
  resourceId: Nullable(Type.String()),
  patientId: Nullable(Type.String({ format: 'uuid' })),
  outcome: Outcome,
  ip: Nullable(Type.String()),
  requestId: Nullable(Type.String()),
  prevHash: Nullable(
    Type.String({
      pattern: '^[0-9a-f]{64}$',
      description: 'Hash of the previous event in the chain (64 zeros for the first); null until the event is chained',
    }),
  ),
  hash: Nullable(
    Type.String({
      pattern: '^[0-9a-f]{64}$',
      description:
        "SHA-256 over this event's content hash, its chain position and prevHash, computed by the database's sequencer " +
        'after the event commits (within AUDIT_CHAIN_INTERVAL_MS, 1 s by default, unless a writing transaction runs longer); null until then',
    }),
  ),
});
export type AuditEvent = Static<typeof AuditEventSchema>;

export function toAuditEvent(e: AuditRow): AuditEvent {
  return {
    id: e.id,
    at: e.at.toISOString(),
    actorId: e.actorId,
    actorRole: e.actorRole,
    action: e.action,
    resourceType: e.resourceType,
    resourceId: e.resourceId,
    patientId: e.patientId,
    outcome: e.outcome,
    ip: e.ip,
    requestId: e.requestId,
    prevHash: e.prevHash,
    hash: e.hash,
  };
}

/** What a patient sees of an event about their data: who, in which role, did what, when. No IPs. */
export const AccessLogEntrySchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  at: Timestamp(),
  action: Type.String({ description: 'e.g. `patient.read`, `appointment.create`, `prescription.pdf.read`' }),
  resourceType: Type.String(),
  resourceId: Nullable(Type.String()),
  outcome: Outcome,
  actor: Nullable(
    Type.Object(
      {
        id: Nullable(Type.String({ format: 'uuid' })),
        firstname: Nullable(Type.String()),
        lastname: Nullable(Type.String()),
        role: Nullable(Type.String({ description: 'The role the actor had at the time; SYSTEM for the command line' })),
      },
      { description: 'Null when nobody was signed in (e.g. a request made with a mailed link)' },
    ),
  ),
});
export type AccessLogEntry = Static<typeof AccessLogEntrySchema>;

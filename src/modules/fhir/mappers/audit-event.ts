import type { AuditEvent } from '@medplum/fhirtypes';
import { personRef, SYSTEM } from './common.ts';

export interface AuditFacts {
  id: string;
  at: string;
  actorId: string | null;
  actorRole: string | null;
  actorName?: string;
  action: string;
  resourceType: string;
  resourceId: string | null;
  patientId: string | null;
  outcome: 'SUCCESS' | 'FAILURE' | 'DENIED';
  /** Omitted for patients, as in their access log. */
  ip?: string | null;
  /** Null until the event is chained. */
  prevHash?: string | null;
  hash?: string | null;
}

function actionCode(action: string): AuditEvent['action'] {
  if (/\.(read|list)$/.test(action)) return 'R';
  if (/\.(create|register|send)$/.test(action)) return 'C';
  if (/\.(update|confirm|cancel|reschedule|complete|no_show|revoke)$/.test(action)) return 'U';
  if (/\.delete$/.test(action)) return 'D';
  return 'E';
}

/** An event of the audit trail → FHIR AuditEvent; the chain hashes ride along as an extension. */
export function toFhirAuditEvent(e: AuditFacts): AuditEvent {
  return {
    resourceType: 'AuditEvent',
    id: e.id,
    type: { system: 'http://terminology.hl7.org/CodeSystem/audit-event-type', code: 'rest', display: 'RESTful Operation' },
    subtype: [{ system: SYSTEM.auditAction, code: e.action }],
    action: actionCode(e.action),
    recorded: e.at,
    outcome: e.outcome === 'SUCCESS' ? '0' : e.outcome === 'FAILURE' ? '4' : '8',
    outcomeDesc: e.outcome,
    agent: [
      {
        who: personRef(e.actorId, e.actorRole, e.actorName),
        ...(e.actorRole ? { role: [{ text: e.actorRole }] } : {}),
        requestor: true,
        ...(e.ip ? { network: { address: e.ip, type: '2' as const } } : {}),
      },
    ],
    source: { observer: { display: 'Telecare API' } },
    entity: [
      ...(e.patientId
        ? [
            {
              what: { reference: `Patient/${e.patientId}` },
              role: { system: 'http://terminology.hl7.org/CodeSystem/object-role', code: '1', display: 'Patient' },
            },
          ]
        : []),
      ...(e.resourceId ? [{ what: { identifier: { system: `urn:telecare:${e.resourceType}`, value: e.resourceId } } }] : []),
    ],
    ...(e.hash
      ? {
          extension: [
            {
              url: SYSTEM.auditHash,
              extension: [
                { url: 'prevHash', valueString: e.prevHash ?? undefined },
                { url: 'hash', valueString: e.hash },
              ],
            },
          ],
        }
      : {}),
  };
}

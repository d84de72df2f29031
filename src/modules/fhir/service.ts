// FHIR R4 reads on top of the REST modules' services: the same visibility rules (a resource the caller
// may not see is 404) and the same audit events; this file only translates parameters and results.
import { now } from '../../platform/clock.ts';
import type { Bundle, BundleLink, CapabilityStatement, CapabilityStatementRestResource, Resource } from '@medplum/fhirtypes';
import { audit } from '../../platform/audit.ts';
import { AppError, notFound } from '../../platform/errors.ts';
import type { Actor, RequestMeta } from '../auth/index.ts';
import type { Platform } from '../../platform/platform.ts';
import { DEFAULT_LIMIT, cursorCodec, toPage } from '../../platform/pagination.ts';
import { service as patients } from '../patients/index.ts';
import { service as doctors } from '../doctors/index.ts';
import { clinicalAccess, service as appointments } from '../appointments/index.ts';
import { service as prescriptions } from '../prescriptions/index.ts';
import { service as auditService, toAuditEvent } from '../audit/index.ts';
import { toFhirPatient } from './mappers/patient.ts';
import { toFhirPractitioner } from './mappers/practitioner.ts';
import { toFhirAppointment } from './mappers/appointment.ts';
import { parseMedicationRequestId, toFhirMedicationRequests } from './mappers/medication-request.ts';
import { toFhirCommunication } from './mappers/communication.ts';
import { toFhirAuditEvent } from './mappers/audit-event.ts';
import { fullName } from './mappers/common.ts';
import * as repo from './repo.ts';
import type { SearchQuery } from './schemas.ts';
import {
  CLINICAL_DATE_PARAMS,
  CLINICAL_TYPES,
  isClinicalType,
  readClinical,
  refuseDateParams,
  searchClinical,
  type ClinicalType,
} from './clinical.ts';
import { INTAKE_TYPES, isIntakeType, readIntake, searchIntake, type IntakeType } from './intake.ts';
import { readDocumentReference, searchDocumentReferences } from './documents.ts';

type Meta = RequestMeta & { actor: Actor };
/** AuditEvent search pages: older than the last sequence number shown. */
const AUDIT_CURSOR = cursorCodec('int');
export type SearchType =
  | 'Patient'
  | 'Practitioner'
  | 'Appointment'
  | 'MedicationRequest'
  | 'Communication'
  | 'AuditEvent'
  | 'DocumentReference'
  | ClinicalType
  | IntakeType;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const uuidOr404 = (id: string, what: string) => {
  if (!UUID.test(id)) throw notFound(what);
  return id;
};

/** A date search parameter with every R4 prefix and precision (date-search.ts), on the element it searches. */
const fhirDateParam = (name: string, element: string) => ({
  name,
  type: 'date' as const,
  documentation:
    `${element}. Prefixes eq (default), ne, gt, lt, ge, le, sa, eb; a value stands for its whole range (a year, month, ` +
    'day, minute, second); a date without a time is its UTC day; repeated parameters are AND-ed.',
});

export function capabilityStatement(base: string): CapabilityStatement {
  const search = [
    { name: 'patient', type: 'reference' as const },
    { name: 'date', type: 'date' as const, documentation: '`ge` and `lt` prefixes' },
    { name: '_count', type: 'number' as const },
  ];
  const resource = (type: CapabilityStatementRestResource['type'], params: typeof search): CapabilityStatementRestResource => ({
    type,
    interaction: [{ code: 'read' as const }, { code: 'search-type' as const }],
    searchParam: params,
  });
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: '2026-11-25',
    kind: 'instance',
    software: { name: 'Telecare' },
    implementation: { description: 'Telecare FHIR R4 read API', url: base },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json'],
    rest: [
      {
        mode: 'server',
        security: {
          description: 'Authorization: Bearer <accessToken> from POST /api/v1/auth/login; the same visibility rules as /api/v1.',
        },
        resource: [
          {
            ...resource('Patient', [search[2]]),
            operation: [{ name: 'everything', definition: 'http://hl7.org/fhir/OperationDefinition/Patient-everything' }],
          },
          resource('Practitioner', [search[2]]),
          resource('Appointment', search),
          resource('MedicationRequest', [search[0], search[2]]),
          resource('Communication', search),
          resource('AuditEvent', search),
          // The clinical record (clinical.ts): by id, by patient and by each type's R4 date parameters.
          ...CLINICAL_TYPES.map((t) =>
            resource(t, [
              search[0],
              ...Object.entries(CLINICAL_DATE_PARAMS[t]).map(([name, element]) => fhirDateParam(name, element)),
              search[2],
            ]),
          ),
          // Intake answers and telehealth consent (intake.ts): by id and by patient.
          ...INTAKE_TYPES.map((t) => resource(t, [search[0], search[2]])),
          // Attachments of the record (documents.ts): the file's DocumentReference, its bytes as Binary (read only).
          resource('DocumentReference', [
            search[0],
            fhirDateParam('date', 'DocumentReference.date (when the file was uploaded)'),
            search[2],
          ]),
          {
            type: 'Binary',
            interaction: [{ code: 'read' }],
            documentation:
              'The bytes of an attachment, with its stored content type, as GET /api/v1/attachments/{id} serves them; with ' +
              'Accept: application/fhir+json (or application/json) a Binary resource whose data is the base64 of the bytes.',
          },
        ],
      },
    ],
  };
}

// ---------- read ----------

export async function read(p: Platform, meta: Meta, type: string, id: string): Promise<Resource> {
  switch (type) {
    case 'Patient':
      return toFhirPatient(await patients.getOne(p, meta, uuidOr404(id, 'patient')));
    case 'Practitioner':
      return toFhirPractitioner(await doctors.getPublic(p, uuidOr404(id, 'practitioner')));
    case 'Appointment':
      return toFhirAppointment(await appointments.getOne(p, meta, uuidOr404(id, 'appointment')));
    case 'MedicationRequest': {
      const ref = parseMedicationRequestId(id);
      if (!ref) throw notFound('medication request');
      const rx = await prescriptions.read(p, meta, ref.prescriptionId);
      const item = toFhirMedicationRequests(rx)[ref.index];
      if (!item) throw notFound('medication request');
      return item;
    }
    case 'Communication': {
      uuidOr404(id, 'communication');
      const grant = clinicalAccess(p, meta.actor, 'messages');
      return p.db.transaction(async (tx) => {
        const m = await repo.findOwnMessage(tx, grant, id);
        if (!m) throw notFound('communication');
        await audit(tx, meta, { action: 'message.read', resourceType: 'message', resourceId: m.id, patientId: m.patientId });
        return toFhirCommunication(m);
      });
    }
    case 'AuditEvent': {
      uuidOr404(id, 'audit event');
      return p.db.transaction(async (tx) => {
        const row = await repo.findAuditEvent(tx, id);
        const { actor } = meta;
        // Admins read the whole trail; a patient reads the events about their own data (their access log).
        const visible = row && (actor.role === 'ADMIN' || (actor.role === 'PATIENT' && row.event.patientId === actor.userId));
        if (!row || !visible) throw notFound('audit event');
        await audit(tx, meta, { action: 'audit_event.read', resourceType: 'audit_event', resourceId: id, patientId: row.event.patientId });
        return toFhirAuditEvent({
          ...toAuditEvent(row.event),
          actorName:
            row.firstname !== null && row.lastname !== null ? fullName({ firstname: row.firstname, lastname: row.lastname }) : undefined,
          ip: actor.role === 'ADMIN' ? row.event.ip : undefined,
        });
      });
    }
    case 'DocumentReference':
      return readDocumentReference(p, meta, id);
    default:
      if (isClinicalType(type)) return readClinical(p, meta, type, id);
      if (isIntakeType(type)) return readIntake(p, meta, type, id);
      throw notFound('resource type');
  }
}

// ---------- search ----------

/** Appointment, Communication and AuditEvent keep their first date search: `ge` and `lt`, a day or an instant. */
const LEGACY_DATE = /^(ge|lt)\d{4}-\d{2}-\d{2}(T[0-9:.]+(Z|[+-]\d{2}:\d{2}))?$/;

function dateRange(q: SearchQuery): { from?: string; to?: string } {
  const out: { from?: string; to?: string } = {};
  const values = q.date === undefined ? [] : Array.isArray(q.date) ? q.date : [q.date];
  if (values.length > 2)
    throw new AppError('VALIDATION_FAILED', 'This type searches date with at most two values (ge and lt)', [
      { path: '/date', message: 'takes at most two values' },
    ]);
  for (const d of values) {
    if (!LEGACY_DATE.test(d))
      throw new AppError('VALIDATION_FAILED', 'This type searches date with ge or lt and a date or an instant', [
        { path: '/date', message: 'takes ge<date or instant> or lt<date or instant>' },
      ]);
    const value = d.slice(2);
    const instant = /T/.test(value) ? value : `${value}T00:00:00.000Z`;
    // Date.parse rolls 2026-02-30 over into March, and PostgreSQL has no year 0: both are refused here.
    const [y, m, day] = value.slice(0, 10).split('-').map(Number);
    const calendar = new Date(Date.UTC(y, m - 1, day));
    if (Number.isNaN(Date.parse(instant)) || y < 1 || calendar.getUTCMonth() !== m - 1 || calendar.getUTCDate() !== day)
      throw new AppError('VALIDATION_FAILED', 'Invalid date', [{ path: '/date', message: 'is not a date' }]);
    const iso = new Date(instant).toISOString();
    if (d.startsWith('ge')) out.from = iso;
    else out.to = iso;
  }
  return out;
}

const patientOf = (q: SearchQuery) => q.patient?.replace(/^Patient\//, '');

interface Page {
  resources: Resource[];
  nextCursor: string | null;
}

async function searchPage(p: Platform, meta: Meta, type: SearchType, q: SearchQuery): Promise<Page> {
  const limit = q._count ?? DEFAULT_LIMIT;
  const cursor = q._cursor;
  const { actor } = meta;
  // Date parameters a type has no search for are 400 (the clinical and intake types check their own).
  if (['Appointment', 'Communication', 'AuditEvent'].includes(type)) refuseDateParams(type, q, ['date']);
  else if (['Patient', 'Practitioner', 'MedicationRequest'].includes(type)) refuseDateParams(type, q);
  const unsupported = (param: string) =>
    new AppError('VALIDATION_FAILED', `${type} does not support the search parameter ${param}`, [
      { path: `/${param}`, message: 'is not supported for this resource type' },
    ]);
  switch (type) {
    case 'Appointment': {
      const page = await appointments.list(p, meta, { ...dateRange(q), patientId: patientOf(q), limit, cursor });
      return { resources: page.items.map(toFhirAppointment), nextCursor: page.nextCursor };
    }
    case 'MedicationRequest': {
      if (q.date) throw unsupported('date');
      const page = await prescriptions.list(p, meta, { patientId: patientOf(q), limit, cursor });
      return { resources: page.items.flatMap(toFhirMedicationRequests), nextCursor: page.nextCursor };
    }
    case 'AuditEvent': {
      if (actor.role === 'ADMIN') {
        const page = await auditService.listAuditEvents(p, meta, { ...dateRange(q), patientId: patientOf(q), limit, cursor });
        return { resources: page.items.map(toFhirAuditEvent), nextCursor: page.nextCursor };
      }
      if (actor.role === 'PATIENT') {
        const wanted = patientOf(q);
        if (wanted && wanted !== actor.userId) return { resources: [], nextCursor: null };
        const page = await auditService.accessLog(p, meta, { ...dateRange(q), limit, cursor });
        return {
          resources: page.items.map((e) =>
            toFhirAuditEvent({
              ...e,
              patientId: actor.userId,
              actorId: e.actor?.id ?? null,
              actorRole: e.actor?.role ?? null,
              actorName:
                e.actor?.firstname && e.actor.lastname ? fullName({ firstname: e.actor.firstname, lastname: e.actor.lastname }) : undefined,
            }),
          ),
          nextCursor: page.nextCursor,
        };
      }
      return { resources: [], nextCursor: null };
    }
    case 'Patient': {
      if (q.date) throw unsupported('date');
      if (actor.role === 'PATIENT') {
        if (cursor || (patientOf(q) && patientOf(q) !== actor.userId)) return { resources: [], nextCursor: null };
        return { resources: [toFhirPatient(await patients.getMe(p, meta))], nextCursor: null };
      }
      if (actor.role === 'DOCTOR') {
        const page = await patients.myPatients(p, meta, { limit, cursor });
        return {
          resources: page.items.map((r) => ({
            resourceType: 'Patient' as const,
            id: r.id,
            name: [{ use: 'official' as const, family: r.lastname, given: [r.firstname] }],
            gender: r.gender as 'female',
            birthDate: r.dateOfBirth,
          })),
          nextCursor: page.nextCursor,
        };
      }
      return { resources: [], nextCursor: null };
    }
    case 'Communication':
      return searchCommunications(p, meta, q, limit);
    case 'AllergyIntolerance':
    case 'MedicationStatement':
    case 'Condition':
    case 'Encounter':
    case 'Composition':
      return searchClinical(p, meta, type, q, limit);
    case 'QuestionnaireResponse':
    case 'Consent':
      return searchIntake(p, meta, type, q, limit);
    case 'DocumentReference':
      return searchDocumentReferences(p, meta, q, limit);
    case 'Practitioner': {
      if (q.date) throw unsupported('date');
      if (q.patient) throw unsupported('patient');
      const page = await doctors.listPublic(p, { limit, cursor });
      return { resources: page.items.map(toFhirPractitioner), nextCursor: page.nextCursor };
    }
  }
}

/**
 * Communication search, with the REST message history's rules: a patient sees their own threads, a
 * doctor the threads with their patients (a thread that has messages is visible to both of its
 * parties, as GET /conversations/{id}/messages allows), an admin none. Newest first, keyset on the
 * message seq as the history is. Audited as the history is: one `message.list` per thread shown, or
 * one against no patient when nothing was shown.
 */
async function searchCommunications(p: Platform, meta: Meta, q: SearchQuery, limit: number): Promise<Page> {
  const { actor } = meta;
  const before = AUDIT_CURSOR.decode(q._cursor, '/_cursor');
  const { from, to } = dateRange(q);
  const grant = clinicalAccess(p, actor, 'messages', patientOf(q) ?? null);
  return p.db.transaction(async (tx) => {
    const rows = await repo.searchMessages(tx, grant, {
      from: from ? new Date(from) : undefined,
      to: to ? new Date(to) : undefined,
      beforeSeq: before ? (before[0] as number) : null,
      limit,
    });
    const page = toPage(
      rows,
      limit,
      (r) => [r.seq],
      (r) => r,
    );
    const threads = new Map(page.items.map((m) => [`${m.doctorId}/${m.patientId}`, m]));
    if (!threads.size) await audit(tx, meta, { action: 'message.list', resourceType: 'conversation' });
    for (const m of threads.values()) {
      const other = actor.userId === m.doctorId ? m.patientId : m.doctorId;
      await audit(tx, meta, { action: 'message.list', resourceType: 'conversation', resourceId: other, patientId: m.patientId });
    }
    return { resources: page.items.map((m) => toFhirCommunication(m)), nextCursor: page.nextCursor };
  });
}

export async function search(p: Platform, meta: Meta, type: SearchType, q: SearchQuery, base: string): Promise<Bundle> {
  const page = await searchPage(p, meta, type, q);
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    if (k === '_cursor' || v === undefined) continue;
    for (const one of Array.isArray(v) ? v : [v]) params.append(k, String(one));
  }
  const url = (extra: Record<string, string>) => {
    const u = new URLSearchParams(params);
    for (const [k, v] of Object.entries(extra)) u.set(k, v);
    const s = u.toString();
    return `${base}/${type}${s ? `?${s}` : ''}`;
  };
  const link: BundleLink[] = [{ relation: 'self', url: url(q._cursor ? { _cursor: q._cursor } : {}) }];
  if (page.nextCursor) link.push({ relation: 'next', url: url({ _cursor: page.nextCursor }) });
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    timestamp: now(p).toISOString(),
    link,
    entry: page.resources.map((resource) => ({
      fullUrl: `${base}/${resource.resourceType}/${resource.id}`,
      resource,
      search: { mode: 'match' },
    })),
  };
}

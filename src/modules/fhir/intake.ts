// Intake answers and telehealth consent in FHIR R4 (issue 27): QuestionnaireResponse (id: the appointment's; the
// Questionnaire version it answers is contained in it) and Consent, read by id and searched by patient. The intake
// module's reads apply the central access point (purpose `clinical`) and the audit, as for the clinical record.
import type { Resource } from '@medplum/fhirtypes';
import { notFound } from '../../platform/errors.ts';
import { refuseDateParams, searchedPatient, UUID } from './clinical.ts';
import type { Platform } from '../../platform/platform.ts';
import type { Actor, RequestMeta } from '../auth/index.ts';
import {
  acceptancesNewestFirst,
  locationsNewestFirst,
  readAcceptance,
  readSavedIntake,
  responsesNewestFirst,
  searchAcceptances,
  searchSavedIntakes,
  type PageKey,
  type SavedIntake,
} from '../intake/index.ts';
import type { Executor } from '../../platform/db/index.ts';
import { clinicalAccess } from '../appointments/index.ts';
import { toFhirVisitLocation } from './mappers/visit-location.ts';
import { toFhirQuestionnaire, toFhirQuestionnaireResponse } from './mappers/questionnaire.ts';
import { toFhirConsent } from './mappers/consent.ts';
import type { SearchQuery } from './schemas.ts';

type Meta = RequestMeta & { actor: Actor };

export const INTAKE_TYPES = ['QuestionnaireResponse', 'Consent'] as const;
export type IntakeType = (typeof INTAKE_TYPES)[number];
export const isIntakeType = (t: string): t is IntakeType => (INTAKE_TYPES as readonly string[]).includes(t);

/** The response, with the exact questionnaire version it answers contained (a reader needs its items' texts). */
export function toFhirSavedIntake({ response: r, questionnaire: q }: SavedIntake): Resource {
  const items = q.items.map((it) => ({ ...it, type: it.type as 'string' }));
  const questionnaire = toFhirQuestionnaire({
    id: q.id,
    doctorId: q.doctorId,
    title: q.title,
    version: q.version,
    createdAt: q.createdAt,
    items,
  });
  const response = toFhirQuestionnaireResponse({
    appointmentId: r.appointmentId,
    patientId: r.patientId,
    doctorId: r.doctorId,
    questionnaireId: r.questionnaireId,
    questionnaireVersion: r.questionnaireVersion,
    status: r.status,
    answers: r.answers,
    items,
    updatedAt: r.updatedAt,
    submittedAt: r.submittedAt,
  });
  return { ...response, questionnaire: `#${questionnaire.id}`, contained: [questionnaire] };
}

/** An acceptance as its Consent, its policy URL under the server's public address. */
export const toFhirAcceptance = (a: Parameters<typeof toFhirConsent>[0], publicUrl: string) => toFhirConsent(a, publicUrl);

export async function readIntake(p: Platform, meta: Meta, type: IntakeType, id: string): Promise<Resource> {
  if (!UUID.test(id)) throw notFound(type);
  if (type === 'QuestionnaireResponse') return toFhirSavedIntake(await readSavedIntake(p, meta, id));
  return toFhirConsent(await readAcceptance(p, meta, id), p.config.publicUrl);
}

/** By patient: a patient's own by default; a doctor names the patient (400 without). No `date` search. */
export async function searchIntake(
  p: Platform,
  meta: Meta,
  type: IntakeType,
  q: SearchQuery,
  limit: number,
): Promise<{ resources: Resource[]; nextCursor: string | null }> {
  refuseDateParams(type, q);
  const patientId = searchedPatient(meta, type, q);
  const query = { limit, cursor: q._cursor };
  if (type === 'QuestionnaireResponse') {
    const page = await searchSavedIntakes(p, meta, patientId, query);
    return { resources: page.items.map(toFhirSavedIntake), nextCursor: page.nextCursor };
  }
  const page = await searchAcceptances(p, meta, patientId, query);
  return { resources: page.items.map((a) => toFhirConsent(a, p.config.publicUrl)), nextCursor: page.nextCursor };
}

interface Section {
  read(tx: Executor, key: PageKey | null, limit: number): Promise<{ resources: Resource[]; more: boolean; last: PageKey | null }>;
}

/**
 * $everything's sections of what the patient gave before their visits, under the caller's grant on the patient's
 * record (purpose `clinical`, as the record itself): Q intake responses (the patient's own; a doctor's, of their
 * own appointments), each with the Questionnaire version it answers contained; K consent acceptances; W location
 * statements (Basic). Newest first, each on its own keyset; not audited here ($everything records its page).
 */
export function intakeSections(p: Platform, actor: Actor, patientId: string): Record<'Q' | 'K' | 'W', Section> {
  const grant = clinicalAccess(p, actor, 'clinical', patientId);
  const section = <T>(
    page: (tx: Executor, key: PageKey | null, limit: number) => Promise<T[]>,
    keyOf: (t: T) => PageKey,
    map: (t: T) => Resource,
  ): Section => ({
    read: async (tx, key, limit) => {
      const rows = await page(tx, key, limit);
      const shown = rows.slice(0, limit);
      return { resources: shown.map(map), more: rows.length > limit, last: shown.length ? keyOf(shown[shown.length - 1]) : null };
    },
  });
  return {
    Q: section(
      (tx, key, limit) => responsesNewestFirst(tx, grant, key, limit),
      (x) => x.key,
      (x) => toFhirSavedIntake({ response: x.r, questionnaire: x.q }),
    ),
    K: section(
      (tx, key, limit) => acceptancesNewestFirst(tx, grant, key, limit),
      (x) => x.key,
      (x) => toFhirConsent(x.row, p.config.publicUrl),
    ),
    W: section(
      (tx, key, limit) => locationsNewestFirst(tx, grant, key, limit),
      (x) => x.key,
      (x) => toFhirVisitLocation(x.row),
    ),
  };
}

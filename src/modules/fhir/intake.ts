// Intake answers and telehealth consent in FHIR R4 (issue 27): QuestionnaireResponse (id: the appointment's; the
// Questionnaire version it answers is contained in it) and Consent, read by id and searched by patient. The intake
// module's reads apply the central access point (purpose `clinical`) and the audit, as for the clinical record.
import type { Resource } from '@medplum/fhirtypes';
import { notFound } from '../../platform/errors.ts';
import { searchedPatient, UUID } from './clinical.ts';
import type { Platform } from '../../platform/platform.ts';
import type { Actor, RequestMeta } from '../auth/index.ts';
import { readAcceptance, readSavedIntake, searchAcceptances, searchSavedIntakes, type SavedIntake } from '../intake/index.ts';
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
  const patientId = searchedPatient(meta, type, q);
  const query = { limit, cursor: q._cursor };
  if (type === 'QuestionnaireResponse') {
    const page = await searchSavedIntakes(p, meta, patientId, query);
    return { resources: page.items.map(toFhirSavedIntake), nextCursor: page.nextCursor };
  }
  const page = await searchAcceptances(p, meta, patientId, query);
  return { resources: page.items.map((a) => toFhirConsent(a, p.config.publicUrl)), nextCursor: page.nextCursor };
}

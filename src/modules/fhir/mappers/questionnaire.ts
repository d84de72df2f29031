// Intake questionnaires (issue 27) → FHIR R4 Questionnaire and QuestionnaireResponse, and the telehealth consent
// acceptance → Consent. Pure mappers over the intake module's facts; served by id, search and $everything
// (fhir/intake.ts) and in the export.
import type { Questionnaire, QuestionnaireItem, QuestionnaireResponse, QuestionnaireResponseItemAnswer } from '@medplum/fhirtypes';

export interface QuestionnaireFacts {
  id: string;
  doctorId: string;
  title: string;
  version: number;
  createdAt: Date;
  items: {
    linkId: string;
    text: string;
    type: 'string' | 'text' | 'boolean' | 'choice' | 'date' | 'integer';
    required: boolean;
    options?: string[];
  }[];
}

/** Our item types are FHIR's own item type codes (http://hl7.org/fhir/item-type), one to one. */
export function toFhirQuestionnaire(q: QuestionnaireFacts): Questionnaire {
  return {
    resourceType: 'Questionnaire',
    // One resource per version: the stable questionnaire id with the version, as a QuestionnaireResponse cites it.
    id: `${q.id}-${q.version}`,
    url: `urn:uuid:${q.id}`,
    version: String(q.version),
    title: q.title,
    status: 'active',
    date: q.createdAt.toISOString(),
    publisher: `Practitioner/${q.doctorId}`,
    subjectType: ['Patient'],
    item: q.items.map((it): QuestionnaireItem => ({
      linkId: it.linkId,
      text: it.text,
      type: it.type,
      required: it.required,
      ...(it.options ? { answerOption: it.options.map((o) => ({ valueString: o })) } : {}),
    })),
  };
}

export interface ResponseFacts {
  appointmentId: string;
  patientId: string;
  doctorId: string;
  questionnaireId: string;
  questionnaireVersion: number;
  status: 'in-progress' | 'completed';
  answers: Record<string, string | number | boolean>;
  items: QuestionnaireFacts['items'];
  updatedAt: Date;
  submittedAt: Date | null;
}

function answerOf(type: QuestionnaireFacts['items'][number]['type'], v: string | number | boolean): QuestionnaireResponseItemAnswer {
  switch (type) {
    case 'boolean':
      return { valueBoolean: v as boolean };
    case 'integer':
      return { valueInteger: v as number };
    case 'date':
      return { valueDate: v as string };
    case 'choice':
    case 'string':
    case 'text':
      return { valueString: String(v) };
  }
}

/** The patient's answers to the intake of one appointment (its id is the appointment's). */
export function toFhirQuestionnaireResponse(r: ResponseFacts): QuestionnaireResponse {
  return {
    resourceType: 'QuestionnaireResponse',
    id: r.appointmentId,
    questionnaire: `urn:uuid:${r.questionnaireId}|${r.questionnaireVersion}`,
    status: r.status,
    subject: { reference: `Patient/${r.patientId}` },
    author: { reference: `Patient/${r.patientId}` },
    source: { reference: `Patient/${r.patientId}` },
    authored: (r.submittedAt ?? r.updatedAt).toISOString(),
    item: r.items
      .filter((it) => Object.hasOwn(r.answers, it.linkId))
      .map((it) => ({ linkId: it.linkId, text: it.text, answer: [answerOf(it.type, r.answers[it.linkId])] })),
  };
}

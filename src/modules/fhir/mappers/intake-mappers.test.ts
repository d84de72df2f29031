// The intake mappers' resources are valid FHIR R4 (the official schema, test/fixtures/fhir.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { assertValidFhir } from '../../../../test/fixtures/fhir.ts';
import { toFhirQuestionnaire, toFhirQuestionnaireResponse, type QuestionnaireFacts } from './questionnaire.ts';
import { toFhirConsent } from './consent.ts';

const items: QuestionnaireFacts['items'] = [
  { linkId: 'reason', text: 'Why?', type: 'string', required: true },
  { linkId: 'history', text: 'History', type: 'text', required: false },
  { linkId: 'smoker', text: 'Smoker?', type: 'boolean', required: true },
  { linkId: 'pain', text: 'Pain?', type: 'choice', required: false, options: ['Head', 'Back'] },
  { linkId: 'since', text: 'Since?', type: 'date', required: false },
  { linkId: 'weight', text: 'Weight', type: 'integer', required: false },
];

test('Questionnaire, QuestionnaireResponse and Consent from the intake module are valid FHIR R4', () => {
  const id = randomUUID();
  const q = toFhirQuestionnaire({ id, doctorId: randomUUID(), title: 'Intake', version: 2, createdAt: new Date(), items });
  assertValidFhir(q as any);
  assert.equal(q.item?.length, 6);
  assert.deepEqual(q.item?.[3].answerOption, [{ valueString: 'Head' }, { valueString: 'Back' }]);
  const r = toFhirQuestionnaireResponse({
    appointmentId: randomUUID(),
    patientId: randomUUID(),
    doctorId: randomUUID(),
    questionnaireId: id,
    questionnaireVersion: 2,
    status: 'completed',
    answers: { reason: 'Cough', history: 'a\nb', smoker: false, pain: 'Head', since: '2026-01-02', weight: 70 },
    items,
    updatedAt: new Date(),
    submittedAt: new Date(),
  });
  assertValidFhir(r as any);
  assert.deepEqual(
    r.item?.map((i) => Object.keys(i.answer![0])[0]),
    ['valueString', 'valueString', 'valueBoolean', 'valueString', 'valueDate', 'valueInteger'],
  );
  const c = toFhirConsent({ id: randomUUID(), patientId: randomUUID(), version: 3, acceptedAt: new Date(), requestId: 'req-1' });
  assertValidFhir(c as any);
});

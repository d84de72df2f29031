import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { bearerSecurity, problems } from '../../platform/http.ts';
import { actorOf } from '../auth/index.ts';
import * as intake from './service.ts';
import * as consent from './consent.ts';
import {
  AcceptanceSchema,
  AcceptConsentBody,
  AnswerParams,
  AppointmentParams,
  CopiedSchema,
  CopyAnswerBody,
  ConsentVersionSchema,
  IntakePutBody,
  IntakeSchema,
  LocationBody,
  LocationSchema,
  PublishConsentBody,
  QuestionnaireBody,
  QuestionnaireParams,
  QuestionnaireSchema,
} from './schemas.ts';

const security = bearerSecurity;
const INTAKE_ACCESS =
  "Its patient and its doctor (a verified doctor; anyone else, admins included, 404). Every read and change is audited and appears in the patient's access log.";

export default async function intakeRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const p = app.platform;
  const patient = app.guard({ roles: ['PATIENT'] });
  const doctor = app.guard({ roles: ['DOCTOR'] });

  // ---------- telehealth consent ----------

  app.get(
    '/consents/telehealth',
    {
      schema: {
        operationId: 'getTelehealthConsent',
        tags: ['consents'],
        summary: 'The current telehealth consent version',
        description: 'Anyone. 404 while no version is published (then no visit is gated on consent).',
        response: { 200: ConsentVersionSchema, ...problems(404) },
      },
    },
    async () => consent.currentConsent(p),
  );

  app.post(
    '/admin/consents/telehealth',
    {
      onRequest: app.guard({ roles: ['ADMIN'] }),
      schema: {
        operationId: 'publishTelehealthConsent',
        tags: ['consents'],
        summary: 'Publish a new telehealth consent version',
        description:
          'Admins. The version number is the next one; published versions never change. From the first version on, a patient ' +
          'gets and joins a video visit only after accepting the current version and stating where they are (409 CONSENT_REQUIRED / LOCATION_REQUIRED).',
        security,
        body: PublishConsentBody,
        response: { 201: ConsentVersionSchema, ...problems(400, 401, 403) },
      },
    },
    async (req, reply) => reply.code(201).send(await consent.publishConsent(p, actorOf(req), req.body.text)),
  );

  app.post(
    '/me/consents',
    {
      onRequest: patient,
      schema: {
        operationId: 'acceptConsent',
        tags: ['consents'],
        summary: 'Accept the current telehealth consent version',
        description:
          'Patients. Recorded immutably with its version, time and request id, and audited. `version` must be the current one: an older ' +
          'one answers 409 CONSENT_REQUIRED, one not published 400. Accepting the same version again answers 200 with the first acceptance.',
        security,
        body: AcceptConsentBody,
        response: { 200: AcceptanceSchema, 201: AcceptanceSchema, ...problems(400, 401, 403, 409) },
      },
    },
    async (req, reply) => {
      const { acceptance, created } = await consent.acceptConsent(p, actorOf(req), req.body);
      return reply.code(created ? 201 : 200).send(acceptance);
    },
  );

  app.get(
    '/me/consents',
    {
      onRequest: patient,
      schema: {
        operationId: 'listMyConsents',
        tags: ['consents'],
        summary: "The calling patient's consent acceptances, newest first",
        security,
        response: { 200: Type.Array(AcceptanceSchema), ...problems(401, 403) },
      },
    },
    async (req) => consent.listConsents(p, actorOf(req)),
  );

  app.post(
    '/appointments/:id/visit/location',
    {
      onRequest: patient,
      schema: {
        operationId: 'stateVisitLocation',
        tags: ['visits'],
        summary: 'State where the patient is for this video visit',
        description:
          'Its patient only (anyone else 404). ISO 3166-1 alpha-2 `country` and an ISO 3166-2 `region` of that country (else 400); a PENDING or ' +
          'CONFIRMED appointment (else 409 INVALID_TRANSITION). Each statement is kept; the latest counts, and the doctor sees it in the visit. Audited.',
        security,
        params: AppointmentParams,
        body: LocationBody,
        response: { 201: LocationSchema, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (req, reply) => reply.code(201).send(await consent.stateLocation(p, actorOf(req), req.params.id, req.body)),
  );

  // ---------- questionnaires ----------

  app.get(
    '/doctors/me/questionnaires',
    {
      onRequest: doctor,
      schema: {
        operationId: 'listMyQuestionnaires',
        tags: ['intake'],
        summary: "The calling doctor's intake questionnaires, each at its newest version",
        security,
        response: { 200: Type.Array(QuestionnaireSchema), ...problems(401, 403) },
      },
    },
    async (req) => intake.listQuestionnaires(p, actorOf(req)),
  );

  const QUESTIONNAIRE =
    'Items: string (one line), text, boolean, choice (with distinct `options`), date, integer; `required` defaults to false; at most 100 items, linkIds unique (else 400).';

  app.post(
    '/doctors/me/questionnaires',
    {
      onRequest: doctor,
      schema: {
        operationId: 'createQuestionnaire',
        tags: ['intake'],
        summary: 'Create an intake questionnaire (version 1)',
        description: `${QUESTIONNAIRE} Name it the default for new intakes with PATCH /doctors/me {intakeQuestionnaireId}.`,
        security,
        body: QuestionnaireBody,
        response: { 201: QuestionnaireSchema, ...problems(400, 401, 403) },
      },
    },
    async (req, reply) => reply.code(201).send(await intake.createQuestionnaire(p, actorOf(req), req.body)),
  );

  app.put(
    '/doctors/me/questionnaires/:id',
    {
      onRequest: doctor,
      schema: {
        operationId: 'reviseQuestionnaire',
        tags: ['intake'],
        summary: 'Make a new version of one of your questionnaires',
        description: `${QUESTIONNAIRE} Earlier versions never change: intakes started on one keep it. Another doctor's or an unknown questionnaire: 404.`,
        security,
        params: QuestionnaireParams,
        body: QuestionnaireBody,
        response: { 200: QuestionnaireSchema, ...problems(400, 401, 403, 404) },
      },
    },
    async (req) => intake.reviseQuestionnaire(p, actorOf(req), req.params.id, req.body),
  );

  // ---------- the intake of an appointment ----------

  app.get(
    '/appointments/:id/intake',
    {
      onRequest: app.guard({ roles: ['PATIENT', 'DOCTOR'] }),
      schema: {
        operationId: 'getIntake',
        tags: ['intake'],
        summary: "The appointment's intake questionnaire and the patient's answers",
        description:
          `${INTAKE_ACCESS} The questionnaire is the version the answers were started on, else the doctor's default at its newest version ` +
          "(404 when the doctor has named none). To the patient, while the intake is open, items not answered yet carry the patient's " +
          'earlier answers to the same linkId (listed in `prefilled`; saved with the next PUT).',
        security,
        params: AppointmentParams,
        response: { 200: IntakeSchema, ...problems(400, 401, 403, 404) },
      },
    },
    async (req) => intake.getIntake(p, actorOf(req), req.params.id),
  );

  app.put(
    '/appointments/:id/intake',
    {
      onRequest: patient,
      schema: {
        operationId: 'putIntake',
        tags: ['intake'],
        summary: 'Save the answers so far',
        description:
          'Its patient only (anyone else 404). Each answer is checked against its item (400 naming it); required items may still be missing. ' +
          'After submission, or when the appointment is no longer PENDING or CONFIRMED: 409 INVALID_TRANSITION. Audited.',
        security,
        params: AppointmentParams,
        body: IntakePutBody,
        response: { 200: IntakeSchema, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (req) => intake.putIntake(p, actorOf(req), req.params.id, req.body),
  );

  app.post(
    '/appointments/:id/intake/submit',
    {
      onRequest: patient,
      schema: {
        operationId: 'submitIntake',
        tags: ['intake'],
        summary: 'Submit the saved answers (once)',
        description:
          'Its patient only (anyone else 404). 400 naming every required item without a saved answer; a second submission 409 INVALID_TRANSITION. Audited.',
        security,
        params: AppointmentParams,
        response: { 200: IntakeSchema, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (req) => intake.submitIntake(p, actorOf(req), req.params.id),
  );

  app.post(
    '/appointments/:id/intake/answers/:linkId/copy',
    {
      onRequest: doctor,
      schema: {
        operationId: 'copyIntakeAnswer',
        tags: ['intake'],
        summary: "Copy one answer of the submitted intake into the patient's clinical record",
        description:
          'Its doctor, explicitly, one entry per request (nothing is ever copied silently). `into` names the list (allergy, medication, problem) ' +
          "and the body carries that entry's fields as POST /patients/{patientId}/<list> does; the coded value is the one the doctor picked " +
          'from the shipped terminology (GET /terminology/substances; an unknown code 400), or, omitted, the answer itself as free text. ' +
          'The entry records its source (`source: {responseId, linkId}`; FHIR: MedicationStatement.derivedFrom, Condition.evidence) and is ' +
          "audited as `<kind>.create` and `intake.copy`. Another doctor's appointment, or a patient no longer in the doctor's care: 404; " +
          'a doctor whose credentials are not verified 403 DOCTOR_NOT_VERIFIED; a patient 403; an intake not submitted 409 INVALID_TRANSITION; ' +
          'a linkId the questionnaire lacks or the patient left unanswered 404. The same answer copied into the same list again is refused: ' +
          '409 INVALID_TRANSITION with `entryId`, the entry the first copy made (change that one with PATCH).',
        security,
        params: AnswerParams,
        body: CopyAnswerBody,
        response: { 201: CopiedSchema, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (req, reply) => reply.code(201).send(await intake.copyAnswer(p, actorOf(req), req.params.id, req.params.linkId, req.body)),
  );
}

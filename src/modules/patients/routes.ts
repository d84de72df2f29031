import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { problems, bearerSecurity } from '../../platform/http.ts';
import { actorOf, metaOf, RegisterPatientBody, RegisteredPatient } from '../auth/index.ts';
import * as patients from './service.ts';
import { CarePatientSchema, PatientIdParams, PatientPatchBody } from './schemas.ts';
import { Page, pageQueryProperties } from '../../platform/pagination.ts';

const tags = ['patients'];
const security = bearerSecurity;

export default async function patientRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const p = app.platform;
  const patientOnly = app.guard({ roles: ['PATIENT'] });

  app.get(
    '/patients/me',
    {
      onRequest: patientOnly,
      schema: {
        operationId: 'getMyPatientProfile',
        tags,
        summary: "The calling patient's profile (audited as patient.read)",
        security,
        response: { 200: Type.Ref('Patient'), ...problems(401, 403) },
      },
    },
    async (req) => patients.getMe(p, actorOf(req)),
  );

  app.patch(
    '/patients/me',
    {
      onRequest: patientOnly,
      schema: {
        operationId: 'updateMyPatientProfile',
        tags,
        summary: "Update the calling patient's profile",
        description: 'Allowed before the email is verified. `dateOfBirth` must be a real calendar date in the past, not before 1900.',
        security,
        body: PatientPatchBody,
        response: { 200: Type.Ref('Patient'), ...problems(400, 401, 403) },
      },
    },
    async (req) => patients.patchMe(p, actorOf(req), req.body),
  );

  app.get(
    '/patients/:patientId',
    {
      // A doctor reads patients only with credentials an admin verified (403 DOCTOR_NOT_VERIFIED otherwise).
      onRequest: app.guard({ verifiedDoctor: true }),
      schema: {
        operationId: 'getPatient',
        tags,
        summary: "A patient's profile with medical history",
        description:
          'For the patient and for a doctor in a care relationship with them; everyone else (admins included) gets 404 as for an unknown id. Every read is audited.',
        security,
        params: PatientIdParams,
        response: { 200: Type.Ref('Patient'), ...problems(400, 401, 403, 404) },
      },
    },
    async (req) => patients.getOne(p, actorOf(req), req.params.patientId),
  );

  // A doctor's patient list: the patients' data, so it is this module's (under the doctor's URL).
  app.get(
    '/doctors/me/patients',
    {
      onRequest: app.guard({ roles: ['DOCTOR'], verifiedDoctor: true }),
      schema: {
        operationId: 'listMyPatients',
        tags: ['doctors'],
        summary: 'Patients in a care relationship with the calling doctor',
        description:
          'A patient appears while an appointment between them is PENDING, CONFIRMED, COMPLETED or NO_SHOW. Summaries only; GET /patients/{patientId} gives the full profile.',
        security,
        querystring: Type.Object(pageQueryProperties, { additionalProperties: false }),
        response: { 200: Page(CarePatientSchema), ...problems(400, 401, 403) },
      },
    },
    async (req) => patients.myPatients(p, actorOf(req), req.query),
  );

  // Registration: the account is identity's (auth.registerUser), the profile this module's.
  app.post(
    '/auth/register/patient',
    {
      onRequest: app.hashingRateLimit,
      schema: {
        operationId: 'registerPatient',
        tags: ['auth'],
        summary: 'Register a patient; sends a verification mail',
        body: RegisterPatientBody,
        response: { 201: RegisteredPatient, ...problems(400, 409, 429, 503) },
      },
    },
    async (req, reply) => reply.code(201).send(await patients.register(p, metaOf(req), req.body)),
  );
}

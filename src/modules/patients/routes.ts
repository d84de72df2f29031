import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { problems, bearerSecurity } from '../../platform/http.ts';
import { actorOf } from '../auth/index.ts';
import * as patients from './service.ts';
import { PatientIdParams, PatientPatchBody } from './schemas.ts';

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
}

import { now } from '../../platform/clock.ts';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { bearerSecurity, problems } from '../../platform/http.ts';
import { actorOf } from '../auth/index.ts';
import { exportOwnData } from './service.ts';
import { ExportQuery } from './schemas.ts';

export default async function exportRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const p = app.platform;

  app.get(
    '/me/export',
    {
      onRequest: app.guard({}),
      schema: {
        operationId: 'exportMyData',
        tags: ['me'],
        security: bearerSecurity,
        summary: 'Export all of my own data',
        description:
          "The caller's own data as one document: profile, appointments, prescriptions, messages, a patient's clinical " +
          'record (allergies, medications, problems, signed visit notes; in FHIR AllergyIntolerance, MedicationStatement, ' +
          'Condition, Encounter and Composition), what the patient gave before their visits (`intake`: answers with the questionnaire ' +
          'version asked; `consents`: telehealth consent acceptances; `visitLocations`: every statement of where they were; in FHIR ' +
          'QuestionnaireResponse with the Questionnaire contained, Consent and Basic), posts (doctors) and ' +
          'the access log (patients: every recorded read or change of their data; doctors and admins: the events they ' +
          'caused). Streamed, so any size exports in bounded memory. Recorded in the audit trail as `export.read`. ' +
          'One export of a user runs at a time and at most EXPORTS_PER_HOUR (default 6) start per hour, counted over every instance: ' +
          'more answer 429 RATE_LIMITED with Retry-After. ' +
          "A doctor's export holds their patients' appointments, prescriptions and messages, so a doctor whose credentials " +
          'are not verified (pending, or rejected/withdrawn by an admin) gets 403 DOCTOR_NOT_VERIFIED and no document; their ' +
          'own profile stays readable at GET /me and GET /doctors/me.',
        querystring: ExportQuery,
        response: {
          200: {
            description: 'The export, as an attachment',
            content: {
              'application/json': { schema: Type.Object({}, { additionalProperties: true }) },
              'application/fhir+json': { schema: Type.Object({ resourceType: Type.Literal('Bundle') }, { additionalProperties: true }) },
            },
          },
          ...problems(400, 401, 403, 429),
        },
      },
    },
    async (req, reply) => {
      const format = req.query.format ?? 'json';
      // fullUrls from PUBLIC_URL, never from the request's Host header.
      const base = `${p.config.publicUrl}/fhir/R4`;
      const stream = await exportOwnData(p, actorOf(req), format, base);
      const day = now(p).toISOString().slice(0, 10);
      return reply
        .type(format === 'fhir' ? 'application/fhir+json; charset=utf-8' : 'application/json; charset=utf-8')
        .header('cache-control', 'no-store')
        .header('content-disposition', `attachment; filename="telecare-export-${day}${format === 'fhir' ? '-fhir' : ''}.json"`)
        .send(stream);
    },
  );
}

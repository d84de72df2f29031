import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { OperationOutcome } from '@medplum/fhirtypes';
import { bearerSecurity, sendProblem, type ProblemBody } from '../../platform/http.ts';
import { actorOf } from '../auth/index.ts';
import * as service from './service.ts';
import { everything } from './everything.ts';
import { CLINICAL_TYPES } from './clinical.ts';
import { INTAKE_TYPES } from './intake.ts';
import { EverythingQuery, FhirResource, IdParams, SearchQuery } from './schemas.ts';
import { binaryJson, readBinary } from './documents.ts';
import { downloadHeaders } from '../attachments/index.ts';
import type { Readable } from 'node:stream';
import { Type } from 'typebox';

const FHIR_JSON = 'application/fhir+json; charset=utf-8';
/** Where app.ts mounts this plugin. */
const PREFIX = '/fhir/R4';
/**
 * Absolute links (fullUrl, paging) start at PUBLIC_URL, never at the request's Host header: a client
 * that sends another Host must not make the server hand out links to the host of its choosing.
 */
const base = (req: FastifyRequest) => `${req.server.platform.config.publicUrl}${PREFIX}`;

/**
 * Whether a Binary read asks for the FHIR resource rather than the bytes: an Accept header naming FHIR JSON
 * (application/fhir+json, the older application/json+fhir) or plain application/json, as R4's http page
 * lets a server read it. A browser's `*\/*`, an image or PDF type, or none gets the bytes.
 */
function wantsFhirJson(accept: string | undefined): boolean {
  if (!accept) return false;
  return accept
    .split(',')
    .map((part) => part.split(';')[0].trim().toLowerCase())
    .some((t) => t === 'application/fhir+json' || t === 'application/json+fhir' || t === 'application/json');
}

/** The API's problem documents, re-expressed as the OperationOutcome a FHIR client expects. */
function outcome(status: number, code: string, detail: string): OperationOutcome {
  const issueCode =
    status === 404
      ? 'not-found'
      : status === 401
        ? 'login'
        : status === 403
          ? 'forbidden'
          : status === 400
            ? 'invalid'
            : status === 405
              ? 'not-supported'
              : status === 429
                ? 'throttled'
                : 'exception';
  return {
    resourceType: 'OperationOutcome',
    issue: [{ severity: 'error', code: issueCode, details: { coding: [{ system: 'urn:telecare:error-code', code }], text: detail } }],
  };
}

/**
 * The FHIR API answers as the REST API does (the same services and the same clinical access point): a
 * resource the caller may not see is 404 `not-found`, as for an unknown id; a doctor whose credentials are
 * not verified gets 403 `forbidden` (code DOCTOR_NOT_VERIFIED) on every patient-data interaction.
 */
const FHIR_ACCESS =
  "Visibility is the REST API's: a resource the caller may not see is 404 (OperationOutcome `not-found`), as an unknown id. " +
  'A doctor whose credentials are not verified (pending, or rejected/withdrawn by an admin) gets 403 (OperationOutcome ' +
  '`forbidden`, code DOCTOR_NOT_VERIFIED) on Patient, Appointment, MedicationRequest, Communication and the clinical ' +
  'record (AllergyIntolerance, MedicationStatement, Condition, Encounter, Composition), intake answers and consent ' +
  "(QuestionnaireResponse, Consent), as on /api/v1. These types are searched by `patient` (a patient's own by default; " +
  "a doctor names the patient). A QuestionnaireResponse's id is its appointment's; it contains the Questionnaire version it answers.";

const responses = (ok: string) => ({
  200: { description: ok, content: { 'application/fhir+json': { schema: FhirResource } } },
  '4xx': { description: 'An OperationOutcome', content: { 'application/fhir+json': { schema: FhirResource } } },
});

/**
 * FHIR R4 read API, mounted at /fhir/R4 beside /api/v1. Authentication, guards, services, visibility
 * and audit are the REST API's; errors leave the shared handler as problem documents and are turned
 * into OperationOutcomes here, so the status codes stay the contract's.
 */
export default async function fhirRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const p = app.platform;

  // Errors everywhere under /fhir/R4 (the router's too) leave as OperationOutcomes: see ProblemDialect.
  if (!fastify.problemDialects.some((d) => d.prefix === PREFIX)) {
    fastify.problemDialects.push({
      prefix: PREFIX,
      contentType: FHIR_JSON,
      schema: { ...FhirResource },
      render: (problem: ProblemBody) => {
        const detail = [problem.detail ?? problem.title ?? problem.code, ...(problem.errors ?? []).map((e) => `${e.path} ${e.message}`)];
        return outcome(problem.status, problem.code, detail.join('; '));
      },
    });
  }
  app.setNotFoundHandler((req, reply) => {
    // A known path under another method is 405 with Allow, as on the REST API (rendered as an OperationOutcome).
    const allowed = app.allowedMethods(req.url);
    if (allowed.length && !allowed.includes(req.method)) {
      return sendProblem(reply, 'METHOD_NOT_ALLOWED', `${req.method} is not allowed here; use ${allowed.join(', ')}`, undefined, {
        allow: allowed.join(', '),
      });
    }
    return sendProblem(reply, 'NOT_FOUND', 'No such FHIR route or resource type');
  });

  app.get(
    '/metadata',
    {
      schema: {
        operationId: 'fhirCapabilities',
        tags: ['fhir'],
        summary: 'FHIR CapabilityStatement (anonymous)',
        response: responses('CapabilityStatement'),
      },
    },
    async (req, reply) => reply.type(FHIR_JSON).send(service.capabilityStatement(base(req))),
  );

  const guard = app.guard({});
  const types = [
    'Patient',
    'Practitioner',
    'Appointment',
    'MedicationRequest',
    'Communication',
    'AuditEvent',
    ...CLINICAL_TYPES,
    ...INTAKE_TYPES,
    'DocumentReference',
  ] as const;
  for (const type of types) {
    app.get(
      `/${type}/:id`,
      {
        onRequest: guard,
        schema: {
          operationId: `fhirRead${type}`,
          tags: ['fhir'],
          security: bearerSecurity,
          summary: `Read one ${type}`,
          description: FHIR_ACCESS,
          params: IdParams,
          response: responses(type),
        },
      },
      async (req, reply) => {
        reply.header('cache-control', 'no-store');
        return reply.type(FHIR_JSON).send(await service.read(p, actorOf(req), type, req.params.id));
      },
    );
    app.get(
      `/${type}`,
      {
        onRequest: guard,
        schema: {
          operationId: `fhirSearch${type}`,
          tags: ['fhir'],
          security: bearerSecurity,
          summary: `Search ${type} (searchset Bundle, paged by Bundle.link next)`,
          description: FHIR_ACCESS,
          querystring: SearchQuery,
          response: responses('searchset Bundle'),
        },
      },
      async (req, reply) => {
        reply.header('cache-control', 'no-store');
        return reply.type(FHIR_JSON).send(await service.search(p, actorOf(req), type, req.query, base(req)));
      },
    );
  }

  app.get(
    '/Binary/:id',
    {
      onRequest: guard,
      schema: {
        operationId: 'fhirReadBinary',
        tags: ['fhir'],
        security: bearerSecurity,
        summary: "The bytes of an attachment (a DocumentReference's content.attachment.url)",
        description:
          'The same bytes, access rule and audit as GET /api/v1/attachments/{id}: its uploader and the two parties of the ' +
          "conversation that carries it (a doctor while verified; admins never), every read audited as attachment.read in the patient's " +
          'access log; anyone else 404. Without a FHIR JSON Accept header the raw bytes are served with their stored content type, ' +
          '`Content-Disposition` (attachment unless an image), `Cache-Control: no-store`, `X-Content-Type-Options: nosniff` and ' +
          '`Content-Security-Policy: sandbox`. With `Accept: application/fhir+json` (or `application/json`) the answer is a FHIR ' +
          'Binary resource (`contentType`, `securityContext` its DocumentReference, `data` the base64 of the bytes), streamed from ' +
          'the stored chunks one at a time, so memory stays bounded by one chunk (256 KiB) whatever the size; its size is bounded ' +
          'by the upload limit (ATTACHMENT_MAX_BYTES, 15 MiB by default, about 20 MiB as base64). ' +
          FHIR_ACCESS,
        params: IdParams,
        produces: ['image/jpeg', 'image/png', 'image/webp', 'application/pdf', 'application/fhir+json'],
        response: {
          200: {
            description: 'The bytes, or a Binary resource for a FHIR JSON Accept header',
            content: {
              'application/octet-stream': { schema: Type.Unsafe<Readable>({ type: 'string', format: 'binary' }) },
              'application/fhir+json': { schema: FhirResource },
            },
          },
          '4xx': { description: 'An OperationOutcome', content: { 'application/fhir+json': { schema: FhirResource } } },
        },
      },
    },
    async (req, reply) => {
      const { attachment, body } = await readBinary(p, actorOf(req), req.params.id);
      const headers = downloadHeaders(attachment);
      if (wantsFhirJson(req.headers.accept)) {
        return reply
          .type(FHIR_JSON)
          .header('cache-control', headers['cache-control'])
          .header('content-security-policy', headers['content-security-policy'])
          .send(binaryJson(attachment, body));
      }
      return reply.headers(headers).send(body);
    },
  );

  app.get(
    '/Patient/:id/$everything',
    {
      onRequest: guard,
      schema: {
        operationId: 'fhirPatientEverything',
        tags: ['fhir'],
        security: bearerSecurity,
        summary: "The patient's record as far as the caller may see it (searchset Bundle, paged by Bundle.link next)",
        description:
          'The Patient, then the Appointments, MedicationRequests, AllergyIntolerances, MedicationStatements, Conditions, ' +
          'Encounters with their Compositions (signed visit notes; the Encounter carries where the patient stated they were), ' +
          'QuestionnaireResponses (intake answers, each with the Questionnaire version it answers contained; a doctor sees those of ' +
          'their own appointments), Consents (telehealth consent acceptances), Basic resources (location statements, extension ' +
          "https://telecare.dev/fhir/StructureDefinition/visit-location), DocumentReferences (attachments the caller's conversations " +
          'with the patient carry; the bytes at Binary/{id}) and Communications the caller may see, in that order, ' +
          '`_count` records a page (default 100, at most 1,000; a prescription with n items gives n MedicationRequests). ' +
          'Further pages are reached through `Bundle.link` `next`, so a record of any size is answered in bounded ' +
          'responses. Each page re-checks that the caller may see the patient and is audited. ' +
          FHIR_ACCESS,
        params: IdParams,
        querystring: EverythingQuery,
        response: responses('searchset Bundle'),
      },
    },
    async (req, reply) => {
      reply.header('cache-control', 'no-store');
      return reply.type(FHIR_JSON).send(await everything(p, actorOf(req), req.params.id, req.query, base(req)));
    },
  );
}

import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { problems, bearerSecurity } from '../../platform/http.ts';
import { actorOf, metaOf } from '../auth/index.ts';
import { routeRateLimit } from '../../platform/rate-limit.ts';
import { IdParams } from '../../platform/schema.ts';
import { Page } from '../../platform/pagination.ts';
import * as service from './service.ts';
import {
  CreatePrescriptionBody,
  Prescription,
  PrescriptionListQuery,
  PrescriptionVerification,
  RevokeBody,
  VerifyParams,
} from './schemas.ts';

/** Verifications per address and rate-limit window: a pharmacy checks a few papers, a guesser needs billions. */
export const VERIFY_RATE_LIMIT_MAX = 30;

const tags = ['prescriptions'];
const security = bearerSecurity;

export default async function prescriptionRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const p = app.platform;

  app.post(
    '/prescriptions',
    {
      onRequest: app.guard({ roles: ['DOCTOR'], verifiedEmail: true, verifiedDoctor: true }),
      schema: {
        operationId: 'issuePrescription',
        tags,
        security,
        summary: "Issue a prescription on one of the caller's appointments",
        description:
          "Verified doctors with a verified email only. The appointment must be the caller's own: another doctor's " +
          'appointment answers 404 NOT_FOUND. It must be CONFIRMED or COMPLETED: a PENDING, CANCELLED or NO_SHOW ' +
          "appointment answers 409 INVALID_TRANSITION (the named appointment's status does not allow prescribing). " +
          'At most 10 prescriptions per appointment (revoked ones count): one more answers 409 PRESCRIPTION_LIMIT_REACHED, ' +
          "a code of this API beside the contract's table (no contract code names this situation), also under concurrency. " +
          'A doctor whose credentials are not verified gets 403 DOCTOR_NOT_VERIFIED. ' +
          '1–20 items. Optional item fields absent from the request are absent from the response; `notes`, ' +
          '`revokedAt` and `revocationReason` are null when unset.',
        body: CreatePrescriptionBody,
        response: { 201: Prescription, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (req, reply) => reply.code(201).send(await service.issue(p, actorOf(req), req.body)),
  );

  app.get(
    '/prescriptions',
    {
      onRequest: app.guard(),
      schema: {
        operationId: 'listPrescriptions',
        tags,
        security,
        summary: 'List prescriptions visible to the caller, newest first',
        description:
          'Patients see their own, doctors those they issued, admins all. `patientId` and `status` narrow the list ' +
          "(a filter outside the caller's scope simply yields an empty list). Keyset-paginated by (issuedAt, id). " +
          'Audited once per patient shown (prescription.list); a page that shows nothing is recorded against no patient.',
        querystring: PrescriptionListQuery,
        response: { 200: Page(Prescription), ...problems(400, 401, 403) },
      },
    },
    async (req) => service.list(p, actorOf(req), req.query),
  );

  app.get(
    '/prescriptions/verify/:code',
    {
      onRequest: routeRateLimit(app, p.config, VERIFY_RATE_LIMIT_MAX),
      schema: {
        operationId: 'verifyPrescription',
        tags,
        summary: 'Check a printed prescription by its verification code (public, for pharmacists)',
        description:
          'No sign-in: the code printed on the prescription is the key (80 random bits; case, spaces and dashes ' +
          'do not matter). Answers only what a pharmacist needs to match the paper: valid or revoked, when and by ' +
          "whom it was issued, the patient's initials and year of birth, and each medication with its strength; " +
          `no notes, doses or history. An unknown code is 404. At most ${VERIFY_RATE_LIMIT_MAX} checks per address ` +
          "and rate-limit window (429). Each answer is recorded in the patient's access log as prescription.verify.",
        params: VerifyParams,
        response: { 200: PrescriptionVerification, ...problems(400, 404, 429) },
      },
    },
    async (req, reply) => reply.header('cache-control', 'no-store').send(await service.verify(p, metaOf(req), req.params.code)),
  );

  app.get(
    '/prescriptions/:id',
    {
      onRequest: app.guard(),
      schema: {
        operationId: 'getPrescription',
        tags,
        security,
        summary: 'Read a prescription (its patient, its doctor, admins; others 404)',
        params: IdParams('id'),
        response: { 200: Prescription, ...problems(400, 401, 403, 404) },
      },
    },
    async (req) => service.read(p, actorOf(req), req.params.id),
  );

  app.get(
    '/prescriptions/:id/pdf',
    {
      onRequest: app.guard(),
      schema: {
        operationId: 'getPrescriptionPdf',
        tags,
        security,
        summary: 'Download the printable A4 prescription (PDF)',
        description:
          "Its patient and its doctor only. An admin, who may see the prescription's record, gets 403 FORBIDDEN; " +
          'anyone else 404. A revoked prescription prints with a REVOKED stamp and the reason.',
        params: IdParams('id'),
        produces: ['application/pdf'],
        response: {
          200: Type.Unsafe<Buffer>({ type: 'string', format: 'binary', description: 'The prescription as an A4 PDF document' }),
          ...problems(400, 401, 403, 404),
        },
      },
    },
    async (req, reply) => {
      const { id, pdf } = await service.pdf(p, actorOf(req), req.params.id);
      return (
        reply
          .type('application/pdf')
          .header('content-disposition', `inline; filename="prescription-${id}.pdf"`)
          // A prescription is medical data: no shared cache may keep it.
          .header('cache-control', 'private, no-store')
          .send(pdf)
      );
    },
  );

  app.post(
    '/prescriptions/:id/revoke',
    {
      onRequest: app.guard({ roles: ['DOCTOR'], verifiedEmail: true }),
      schema: {
        operationId: 'revokePrescription',
        tags,
        security,
        summary: 'Revoke a prescription (its doctor): ACTIVE → REVOKED',
        description:
          'Only the issuing doctor; a patient or admin gets 403 FORBIDDEN, another doctor 404. Revoking twice ' +
          'answers 409 INVALID_TRANSITION. A doctor whose credentials were later withdrawn may still revoke ' +
          'what they issued.',
        params: IdParams('id'),
        body: RevokeBody,
        response: { 200: Prescription, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (req) => service.revoke(p, actorOf(req), req.params.id, req.body.reason),
  );
}

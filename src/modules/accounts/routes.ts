import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { problems, bearerSecurity } from '../../platform/http.ts';
import { Type } from 'typebox';
import { AccountPatchBody, actorOf, confirmEmailChange, metaOf, MeResponse, requestEmailChange } from '../auth/index.ts';
import * as accounts from './service.ts';
import { CloseBody, ClosureTerms, EmailChangeBody, EmailConfirmBody } from './schemas.ts';

const Accepted = Type.Null({ description: 'Accepted: the link is on its way to the new address' });

// Documented with the auth operations, as before the account view had a module of its own.
const tags = ['auth'];

export default async function accountRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const p = app.platform;

  app.get(
    '/me',
    {
      onRequest: app.guard(),
      schema: {
        operationId: 'getMe',
        tags,
        summary: 'The caller with their patient or doctor profile',
        security: bearerSecurity,
        response: { 200: MeResponse, ...problems(401, 403) },
      },
    },
    async (req) => accounts.me(p, actorOf(req)),
  );

  app.patch(
    '/me',
    {
      onRequest: app.guard(),
      schema: {
        operationId: 'updateMe',
        tags,
        summary: "Change the caller's language, time zone or name",
        description:
          '`locale` is one of the locales the server ships; `timeZone` an IANA zone name this server knows (400 otherwise, nothing written). ' +
          'Answers as GET /me.',
        security: bearerSecurity,
        body: AccountPatchBody,
        response: { 200: MeResponse, ...problems(400, 401, 403) },
      },
    },
    async (req) => accounts.patchMe(p, actorOf(req), req.body),
  );

  app.post(
    '/me/email',
    {
      onRequest: app.guard(),
      schema: {
        operationId: 'requestEmailChange',
        tags,
        summary: "Change the account's email address (re-verified by a link to the new address)",
        description:
          'Mails a single-use link (valid 24 hours) to `newEmail` and tells the current address that a change was asked ' +
          '(naming the new address only masked). The address changes only when the link is used (POST /me/email/confirm); ' +
          'a newer request spends the older link. 409 EMAIL_TAKEN when another account uses the address (checked again ' +
          'when the link is used), 400 when it is the current one, 401 INVALID_CREDENTIALS for a wrong password (counted ' +
          'toward the login throttle), 429 RATE_LIMITED with Retry-After for a second request within a minute or while the ' +
          'login throttle holds.',
        security: bearerSecurity,
        body: EmailChangeBody,
        response: { 202: Accepted, ...problems(400, 401, 403, 409, 429) },
      },
    },
    async (req, reply) => {
      await requestEmailChange(p, actorOf(req), req.body.newEmail, req.body.password);
      return reply.code(202).send(null);
    },
  );

  app.post(
    '/me/email/confirm',
    {
      schema: {
        operationId: 'confirmEmailChange',
        tags,
        summary: 'Confirm a new email address with the token of the link mailed to it',
        description:
          'Anyone holding the link may use it once, within 24 hours (no sign-in needed: the mail may be opened on another ' +
          'device); unknown, expired or used → 401 INVALID_TOKEN. The address is proven by the link (`isEmailVerified`). ' +
          'Every session of the account ends except the one that asked for the change. 409 EMAIL_TAKEN when the address ' +
          'was taken since the request (the unique index decides).',
        body: EmailConfirmBody,
        response: { 200: Type.Object({ user: Type.Ref('User') }), ...problems(400, 401, 409) },
      },
    },
    async (req) => confirmEmailChange(p, metaOf(req), req.body.token),
  );

  app.get(
    '/me/closure',
    {
      onRequest: app.guard(),
      schema: {
        operationId: 'getClosureTerms',
        tags,
        summary: 'What closing my account would do now',
        description:
          'Whether the caller may close their account, how many open appointments it would cancel (patients) or that ' +
          'must end first (doctors), and how long the record is kept afterwards (RECORD_RETENTION_YEARS).',
        security: bearerSecurity,
        response: { 200: ClosureTerms, ...problems(401, 403) },
      },
    },
    async (req) => accounts.closureTerms(p, actorOf(req)),
  );

  app.post(
    '/me/close',
    {
      onRequest: app.guard(),
      schema: {
        operationId: 'closeMyAccount',
        tags,
        summary: 'Close my account',
        description:
          'With the current password (wrong: 401 INVALID_CREDENTIALS, counted toward the login throttle; 429 while it ' +
          "holds). In one transaction: a patient's open appointments are cancelled (both parties mailed, calendars " +
          'told CANCEL), every session is revoked (tokens already handed out answer 401 at once), the account becomes ' +
          '`CLOSED` with `closedAt` and `retainUntil`, and the closing is audited. Sign-in is refused afterwards (401 ' +
          'INVALID_CREDENTIALS), the calendar feed answers 404, and nothing is deleted: the record and the audit trail are ' +
          'kept until `retainUntil` (closing + RECORD_RETENTION_YEARS). An admin may not close their own account (403 ' +
          'FORBIDDEN); a doctor with open appointments is refused with 409 INVALID_TRANSITION until none remain.',
        security: bearerSecurity,
        body: CloseBody,
        response: { 200: Type.Object({ user: Type.Ref('User') }), ...problems(400, 401, 403, 409, 429) },
      },
    },
    async (req) => accounts.closeMe(p, actorOf(req), req.body.password),
  );
}

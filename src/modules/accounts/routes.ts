import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { problems, bearerSecurity } from '../../platform/http.ts';
import { AccountPatchBody, actorOf, MeResponse } from '../auth/index.ts';
import * as accounts from './service.ts';

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
}

import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { problems, bearerSecurity } from '../../platform/http.ts';
import { actorOf } from '../auth/index.ts';
import { Page } from '../../platform/pagination.ts';
import * as admin from './service.ts';
import { ListUsersQuery, UpdateUserBody, UserIdParams } from './schemas.ts';

const tags = ['admin'];
const security = bearerSecurity;

export default async function adminRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const p = app.platform;
  const onlyAdmins = app.guard({ roles: ['ADMIN'] });

  app.get(
    '/admin/users',
    {
      onRequest: onlyAdmins,
      schema: {
        operationId: 'listUsers',
        tags,
        security,
        summary: 'List user accounts (admin)',
        description:
          'Account metadata only (never medical history), newest first, keyset-paginated. Filters: `role`, ' +
          '`accountStatus`, and `q`, a case-insensitive substring of username, email, first or last name. ' +
          'Unknown query parameters are rejected with 400. The listing is recorded in the audit trail (`user.list`).',
        querystring: ListUsersQuery,
        response: { 200: Page(Type.Ref('User')), ...problems(400, 401, 403) },
      },
    },
    async (req) => admin.listUsers(p, actorOf(req), req.query),
  );

  app.patch(
    '/admin/users/:userId',
    {
      onRequest: onlyAdmins,
      schema: {
        operationId: 'updateUserStatus',
        tags,
        security,
        summary: 'Suspend or reactivate an account (admin)',
        description:
          'Answers the updated user. `SUSPENDED` revokes every session of the user in the same transaction: any ' +
          'access token they hold answers 403 ACCOUNT_SUSPENDED on the next call, their refresh tokens stop working ' +
          'and login answers 403 ACCOUNT_SUSPENDED. `ACTIVE` restores login; old sessions stay revoked, so the user ' +
          'logs in afresh. Setting the current status again is a no-op that still answers 200. Suspending the last ' +
          'active admin (which only that admin could attempt) answers 409 INVALID_TRANSITION. Every attempt is recorded ' +
          'in the audit trail (`admin.user.suspend` / `admin.user.reactivate`, DENIED when refused).',
        params: UserIdParams,
        body: UpdateUserBody,
        response: { 200: Type.Ref('User'), ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (req) => admin.updateUser(p, actorOf(req), req.params.userId, req.body),
  );
}

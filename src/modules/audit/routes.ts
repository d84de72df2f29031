import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { problems, bearerSecurity } from '../../platform/http.ts';
import { actorOf } from '../auth/index.ts';
import { Page } from '../../platform/pagination.ts';
import * as service from './service.ts';
import { AccessLogEntrySchema, AccessLogQuery, AuditEventSchema, AuditEventsQuery } from './schemas.ts';

const security = bearerSecurity;

export default async function auditRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const p = app.platform;

  app.get(
    '/admin/audit-events',
    {
      onRequest: app.guard({ roles: ['ADMIN'] }),
      schema: {
        operationId: 'listAuditEvents',
        tags: ['admin'],
        security,
        summary: 'Search the audit trail (admin)',
        description:
          'Newest first, keyset-paginated. Filters combine with AND: `actorId`, `patientId`, `action` (exact, or a ' +
          'prefix such as `auth.*`), `from` (inclusive) and `to` (exclusive) ISO 8601 instants; `from` after `to` is 400. ' +
          'The trail is append-only: no route changes or deletes an event, and the database refuses UPDATE, DELETE ' +
          'and TRUNCATE on it. Events hold metadata only, never medical content. Reading the trail is recorded too ' +
          "(`audit_event.list`). Events show at once; `prevHash` and `hash` (SHA-256 over the event's content hash, " +
          'its chain position and `prevHash`, in one order across all instances) are null until the sequencer has ' +
          'chained the event, within `AUDIT_CHAIN_INTERVAL_MS` (1 s) of its commit; `npm run cli -- audit verify` ' +
          'checks the whole chain.',
        querystring: AuditEventsQuery,
        response: { 200: Page(AuditEventSchema), ...problems(400, 401, 403) },
      },
    },
    async (req) => service.listAuditEvents(p, actorOf(req), req.query),
  );

  app.get(
    '/patients/me/access-log',
    {
      onRequest: app.guard({ roles: ['PATIENT'] }),
      schema: {
        operationId: 'getMyAccessLog',
        tags: ['patients'],
        security,
        summary: 'Who read or changed my records, and when',
        description:
          "The calling patient's entries of the audit trail, newest first, keyset-paginated, optionally within " +
          '`from` (inclusive) and `to` (exclusive). Each entry names the actor (current name, role at the time) or is ' +
          "null when nobody was signed in; the patient's own actions are listed too. Client addresses are not shown.",
        querystring: AccessLogQuery,
        response: { 200: Page(AccessLogEntrySchema), ...problems(400, 401, 403) },
      },
    },
    async (req) => service.accessLog(p, actorOf(req), req.query),
  );
}

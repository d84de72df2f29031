import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { problems } from './http.ts';

const Health = Type.Object({ status: Type.String(), engine: Type.Optional(Type.String()) });

export async function healthRoutes(app: FastifyInstance) {
  app.get(
    '/health/live',
    { schema: { operationId: 'getLiveness', tags: ['operations'], summary: 'Liveness: the process runs', response: { 200: Health } } },
    async () => ({ status: 'ok' }),
  );

  app.get(
    '/health/ready',
    {
      schema: {
        operationId: 'getReadiness',
        tags: ['operations'],
        summary: 'Readiness: the database answers',
        response: { 200: Health, ...problems(503) },
      },
    },
    async () => {
      // A failed ping is rendered as 503 UNAVAILABLE by the error handler.
      await app.platform.database.ping();
      return { status: 'ok', engine: app.platform.database.engine };
    },
  );
}

import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';

const Health = Type.Object({ status: Type.String(), engine: Type.Optional(Type.String()) });

/** A not-ready answer: a problem document (code UNAVAILABLE) that names every reason, for the operator and the balancer's logs. */
const NotReady = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    code: Type.String(),
    detail: Type.String(),
    requestId: Type.Optional(Type.String()),
    reasons: Type.Array(
      Type.Object({
        check: Type.String({ description: 'What is not ready: `database`' }),
        detail: Type.String(),
      }),
    ),
  },
  { title: 'Not ready' },
);

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
        description:
          'While this instance cannot serve, 503 with a problem document (code UNAVAILABLE) whose `reasons` name each failed check; ' +
          'while it shuts down, 503 before any check.',
        response: {
          200: Health,
          503: { description: 'Not ready, with the reasons', content: { 'application/problem+json': { schema: NotReady } } },
        },
      },
    },
    async (req, reply) => {
      const reasons: { check: string; detail: string }[] = [];
      try {
        await app.platform.database.ping();
      } catch (err) {
        reasons.push({ check: 'database', detail: `the database did not answer: ${(err as Error).message}` });
      }
      if (!reasons.length) return { status: 'ok', engine: app.platform.database.engine };
      req.log.warn({ reasons }, 'not ready');
      return reply
        .code(503)
        .header('retry-after', '5')
        .type('application/problem+json; charset=utf-8')
        .serializer(JSON.stringify)
        .send({
          type: 'https://telecare.dev/problems/unavailable',
          title: 'Service unavailable',
          status: 503,
          code: 'UNAVAILABLE',
          detail: reasons.map((r) => r.detail).join('; '),
          requestId: String(req.id),
          reasons,
        });
    },
  );
}

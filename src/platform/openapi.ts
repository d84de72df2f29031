// Finishing touches on the OpenAPI document that @fastify/swagger derives from the route schemas, so
// that a generated client is typed precisely: per-status problem components whose `code` is an enum,
// documented response headers, and real response descriptions instead of "Default Response".
import { ERROR_STATUS, ERROR_TITLES, type ErrorCode } from './errors.ts';

type Json = Record<string, any>;

const STATUS_DESCRIPTIONS: Record<string, string> = {
  '400': 'The request does not match the schema (nothing was written)',
  '401': 'Missing, invalid or expired credentials or token',
  '403': 'Authenticated, but not allowed to do this',
  '404': 'No such resource, or one the caller may not see',
  '409': 'Conflicts with the current state',
  '413': 'The upload is larger than allowed (nothing was stored)',
  '415': 'The content is not an accepted type (judged from its bytes; nothing was stored)',
  '422': 'The Idempotency-Key was used before with another request',
  '429': 'Too many requests; retry after the time in Retry-After',
  '500': 'Unexpected server error',
  '503': 'The service or its database is unavailable; retry after the time in Retry-After',
};

const SUCCESS_DESCRIPTIONS: Record<string, string> = { '200': 'OK', '201': 'Created', '202': 'Accepted', '204': 'Done; no content' };

/** The error codes the API answers with a given HTTP status (from the one table in errors.ts). */
export function codesFor(status: number): ErrorCode[] {
  return (Object.keys(ERROR_STATUS) as ErrorCode[]).filter((c) => ERROR_STATUS[c] === status);
}

/** Path prefixes whose errors come in another format (ProblemDialect), with that format's type and schema. */
export type OpenApiDialect = { prefix: string; contentType: string; schema: Record<string, unknown> };

export function refineOpenApi(doc: Json, dialects: OpenApiDialect[] = []): Json {
  const components = (doc.components ??= {});
  const schemas = (components.schemas ??= {});
  components.headers = {
    ...components.headers,
    RequestId: {
      description: 'Identifier of this request (also in problem documents and logs); quote it when reporting a problem',
      schema: { type: 'string' },
    },
    RetryAfter: { description: 'Seconds to wait before retrying', schema: { type: 'integer', minimum: 0 } },
  };
  const problemRef = { content: { 'application/json': { schema: { $ref: '#/components/schemas/Problem' } } } };
  for (const [path, ops] of Object.entries<Json>(doc.paths ?? {})) {
    const dialect = dialects.find((d) => path === d.prefix || path.startsWith(`${d.prefix}/`));
    const contentType = dialect?.contentType.split(';')[0];
    const errorBody = dialect ? { content: { [contentType!]: { schema: structuredClone(dialect.schema) } } } : structuredClone(problemRef);
    for (const op of Object.values<Json>(ops)) {
      if (!op || typeof op !== 'object' || !op.responses) continue;
      // Any operation may meet the per-address rate limit or an unreachable database.
      op.responses['429'] ??= { description: 'Default Response', ...structuredClone(errorBody) };
      op.responses['503'] ??= { description: 'Default Response', ...structuredClone(errorBody) };
      for (const [status, response] of Object.entries<Json>(op.responses)) {
        // Problem responses come as application/problem+json (or application/json from older route schemas).
        const problem = [response.content?.['application/problem+json'], response.content?.['application/json']].some(
          (c) => c?.schema?.$ref === '#/components/schemas/Problem',
        );
        if (problem) {
          const codes = codesFor(Number(status));
          const name = `Problem${status}`;
          schemas[name] ??= {
            title: `Problem (${status})`,
            allOf: [{ $ref: '#/components/schemas/Problem' }],
            type: 'object',
            properties: { code: { type: 'string', enum: codes, description: codes.map((c) => `\`${c}\`: ${ERROR_TITLES[c]}`).join('; ') } },
            required: ['code'],
          };
          // Errors are served as application/problem+json (RFC 9457).
          response.content = { 'application/problem+json': { schema: { $ref: `#/components/schemas/${name}` } } };
        }
        const error = problem || /^[45]/.test(status);
        if (response.description === 'Default Response') {
          response.description = error ? (STATUS_DESCRIPTIONS[status] ?? 'Error') : describeSuccess(status, op.summary);
        }
        response.headers = { ...response.headers, 'x-request-id': { $ref: '#/components/headers/RequestId' } };
        if (status === '429' || status === '503') response.headers['Retry-After'] = { $ref: '#/components/headers/RetryAfter' };
      }
    }
  }
  return doc;
}

function describeSuccess(status: string, summary: unknown): string {
  const base = SUCCESS_DESCRIPTIONS[status] ?? 'Success';
  return typeof summary === 'string' && summary ? `${base}: ${summary}` : base;
}

import { randomUUID } from 'node:crypto';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';
import { Ajv, type ErrorObject } from 'ajv';
import addFormatsImport from 'ajv-formats';
import { Type } from 'typebox';
import { AppError, ERROR_STATUS, errorTitle, type ErrorCode, type FieldError } from './errors.ts';
import { negotiateLocale } from './i18n.ts';
import { constraintName, isUnavailable, sqlState } from './db/index.ts';
import { isInstant } from './instant.ts';

const addFormats = addFormatsImport as unknown as (ajv: Ajv) => Ajv;

/**
 * The request's own id (logs, problem documents, the audit trail) is always made here: a client could
 * otherwise plant another request's id in the trail. A sane incoming x-request-id is still echoed in
 * the response header and logged beside it (clientRequestId), for the client's own correlation.
 */
declare module 'fastify' {
  interface FastifyInstance {
    /** The methods some route serves at this URL (empty: no route has the path), for 404 versus 405 + Allow. */
    allowedMethods: (url: string) => string[];
    /** Error formats of API families mounted beside /api/v1 (see ProblemDialect); a module adds its own. */
    problemDialects: ProblemDialect[];
  }
}

/** The fields of a problem document a dialect re-expresses. */
export interface ProblemBody {
  status: number;
  code: string;
  title?: string;
  detail?: string;
  errors?: { path: string; message: string }[];
}

/**
 * Another error format for every URL under `prefix` (the FHIR API answers OperationOutcomes). Every error
 * is raised as a problem and sendProblem renders it in the dialect of the URL, including those sent before
 * any route matched (malformed URL, unknown path, 405), so the status codes and codes stay the contract's.
 * The OpenAPI document lists the statuses every operation may meet (429, 503) in the dialect's type.
 */
export interface ProblemDialect {
  prefix: string;
  contentType: string;
  render: (problem: ProblemBody) => unknown;
  /** Schema of the rendered body in the OpenAPI document. */
  schema: Record<string, unknown>;
}

export function genReqId(): string {
  return randomUUID();
}

/** The client's x-request-id when it is a sane value, else null. */
export function clientRequestId(req: { headers: Record<string, string | string[] | undefined> }): string | null {
  const h = req.headers['x-request-id'];
  return typeof h === 'string' && /^[A-Za-z0-9._:-]{1,128}$/.test(h) ? h : null;
}

/** Fastify's schema compiler factories (its `schemaController.compilersFactory` option), typed per compiler library. */
export type CompilersFactory = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>;
/** A compiler factory as Fastify calls it: once per app, then once per route part (body, querystring, a response…). */
export type CompilerFactory = (
  externalSchemas: unknown,
  options: unknown,
) => (route: { schema: unknown; httpPart?: string; method?: string; url?: string; httpStatus?: string }) => unknown;
/** The factories an app compiles its schemas with (BuildOptions.compilers). */
export interface SchemaCompilers {
  buildValidator: CompilerFactory;
  buildSerializer?: CompilerFactory;
}

/**
 * Two validators: bodies are never coerced (a string "5" is not a number), while query strings and
 * path parameters, which are always text on the wire, are. Neither drops unknown properties.
 * Fastify's validator factory (`schemaController.compilersFactory.buildValidator`): one per app.
 */
export const buildValidator: CompilerFactory = () => {
  const base = { removeAdditional: false as const, useDefaults: true, allErrors: false, strict: false };
  const strictAjv = addFormats(new Ajv({ ...base, coerceTypes: false }));
  const coercingAjv = addFormats(new Ajv({ ...base, coerceTypes: 'array' }));
  for (const ajv of [strictAjv, coercingAjv]) {
    ajv.addKeyword({ keyword: 'x-typebox' });
    // RFC 3339 as this server can hold it: no leap second, no year 0 (see instant.ts).
    ajv.addFormat('date-time', { type: 'string', validate: isInstant });
  }
  return ({ schema, httpPart }) => (httpPart === 'body' ? strictAjv : coercingAjv).compile(schema as object);
};

/**
 * The factory `factory`, but each function it makes for a route part (a body validator, a response
 * serializer…) is compiled on that function's first call instead of when the route is registered: start-up
 * then compiles nothing (about 0.8 s of CPU and the compiled code's memory for ~300 routes), and a route
 * part no request reaches is never compiled. The first request of each part pays its compilation (a few
 * ms). A validator's `errors`, which Fastify reads right after the call, are those of the compiled one.
 */
export function compiledOnFirstUse(factory: CompilerFactory): CompilerFactory {
  type Compiled = ((data: unknown) => unknown) & { errors?: unknown };
  return (externalSchemas, options) => {
    const compile = factory(externalSchemas, options);
    return (route) => {
      let compiled: Compiled | undefined;
      const onFirstUse: Compiled = (data) => {
        compiled ??= compile(route) as Compiled;
        const out = compiled(data);
        onFirstUse.errors = compiled.errors;
        return out;
      };
      return onFirstUse;
    };
  };
}

export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String({
      description:
        "The code's title in the language Accept-Language negotiates among the shipped locales (en, de, es, ar; English when none matches or the header is missing or malformed); the response varies on Accept-Language",
    }),
    status: Type.Integer(),
    code: Type.String({ description: 'Stable machine-readable error code, the same in every language' }),
    detail: Type.Optional(Type.String({ description: 'English: the specifics of this occurrence, often with values in them' })),
    requestId: Type.Optional(Type.String()),
    errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
    conflicts: Type.Optional(
      Type.Array(
        Type.Object({
          itemIndex: Type.Integer(),
          allergyId: Type.String({ format: 'uuid' }),
          substance: Type.Object({ system: Type.Optional(Type.String()), code: Type.Optional(Type.String()), display: Type.String() }),
          match: Type.Union([Type.Literal('substance'), Type.Literal('class')]),
          class: Type.Optional(Type.String()),
        }),
        { description: 'ALLERGY_CONFLICT only: the prescription items that match an active allergy' },
      ),
    ),
    entryId: Type.Optional(
      Type.String({
        format: 'uuid',
        description: 'INVALID_TRANSITION of an intake answer copied again into the same list: the entry the first copy made',
      }),
    ),
  },
  { $id: 'Problem', title: 'Problem (RFC 9457)' },
);

/** OpenAPI security requirement of a route behind app.guard(): the bearerAuth scheme declared in app.ts. */
export const bearerSecurity = [{ bearerAuth: [] as string[] }];

/** Documents the problem responses a route can give, as `application/problem+json`, for the OpenAPI description. */
export function problems(...statuses: number[]): Record<number, unknown> {
  const out: Record<number, unknown> = {};
  for (const s of statuses) {
    out[s] = {
      description: `Problem document (RFC 9457), status ${s}`,
      content: { 'application/problem+json': { schema: Type.Ref('Problem') } },
    };
  }
  return out;
}

/** The body depends on Accept-Language: caches keep one copy per language (RFC 9110 § 12.5.5). */
function varyOnAcceptLanguage(reply: FastifyReply): void {
  const vary = reply.getHeader('vary');
  const present = (Array.isArray(vary) ? vary.join(',') : String(vary ?? '')).split(',').map((v) => v.trim().toLowerCase());
  if (present.includes('accept-language') || present.includes('*')) return;
  reply.header('vary', vary ? `${Array.isArray(vary) ? vary.join(', ') : String(vary)}, Accept-Language` : 'Accept-Language');
}

export function sendProblem(
  reply: FastifyReply,
  code: ErrorCode,
  detail?: string,
  errors?: FieldError[],
  headers?: Record<string, string>,
  extensions?: Record<string, unknown>,
) {
  const status = ERROR_STATUS[code];
  if (headers) reply.headers(headers);
  // The title in the reader's language, negotiated as registration negotiates an account's locale; `detail`
  // and `errors[].message` stay English (they carry the server's own wording, often with values in it).
  const acceptLanguage = reply.request.headers['accept-language'];
  const locale = negotiateLocale(typeof acceptLanguage === 'string' ? acceptLanguage : undefined);
  varyOnAcceptLanguage(reply);
  const problem = {
    type: `https://telecare.dev/problems/${code.toLowerCase().replace(/_/g, '-')}`,
    title: errorTitle(code, locale),
    status,
    code,
    ...(detail ? { detail } : {}),
    requestId: String(reply.request.id),
    ...(errors ? { errors } : {}),
    ...extensions,
  };
  const url = reply.request.url;
  const dialect = reply.server.problemDialects?.find((d) => url.startsWith(d.prefix) && /^([/?]|$)/.test(url.slice(d.prefix.length)));
  if (dialect) return reply.code(status).type(dialect.contentType).serializer(JSON.stringify).send(dialect.render(problem));
  return reply.code(status).type('application/problem+json; charset=utf-8').serializer(JSON.stringify).send(problem);
}

function ajvErrors(errs: ErrorObject[] | Partial<ErrorObject>[], context: string | undefined): FieldError[] {
  return errs.map((e) => {
    let path = e.instancePath ?? '';
    const params = (e.params ?? {}) as Record<string, unknown>;
    if (typeof params.missingProperty === 'string') path += `/${params.missingProperty}`;
    if (typeof params.additionalProperty === 'string') path += `/${params.additionalProperty}`;
    const message = typeof params.additionalProperty === 'string' ? 'is not an allowed property' : (e.message ?? 'is invalid');
    return { path: path || '/', message: context && context !== 'body' ? `${context}: ${message}` : message };
  });
}

/**
 * Router errors raised before any route or hook runs (a path parameter over maxParamLength, a malformed
 * percent-encoding): Fastify's `frameworkErrors` option, so they too are problem documents.
 */
export function frameworkErrors(err: FastifyError, _req: FastifyRequest, reply: FastifyReply): void {
  // Raised before any hook, so the headers every response carries are set here.
  reply.header('x-request-id', clientRequestId(reply.request) ?? String(reply.request.id));
  reply.header('x-content-type-options', 'nosniff');
  reply.header('cache-control', 'no-store');
  const detail = err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'A path parameter is too long' : 'The URL is malformed';
  // Fastify calls this hook for its effect: the reply (a thenable) is sent, not awaited.
  void sendProblem(reply, 'VALIDATION_FAILED', detail, [{ path: '/', message: detail }]);
}

/**
 * Database constraints whose violation (unique, exclusion) is the client's conflict, by constraint name:
 * declared by each table's owner (its module's `constraintErrors`) and handed in by buildApp. The platform
 * knows no constraint of its own; a violation of one nobody declared is a server error.
 */
export type ConstraintErrors = Readonly<Record<string, ErrorCode>>;

export function installErrorHandling(app: FastifyInstance, constraintErrors: ConstraintErrors = {}): void {
  const constraintCode = (err: unknown): ErrorCode | undefined => {
    const name = constraintName(err);
    return name && Object.hasOwn(constraintErrors, name) ? constraintErrors[name] : undefined;
  };
  app.decorate('problemDialects', [] as ProblemDialect[]);
  app.setErrorHandler((err: FastifyError | AppError | Error, req: FastifyRequest, reply: FastifyReply) => {
    if (err instanceof AppError) {
      if (err.status >= 500) req.log.error({ err }, err.message);
      return sendProblem(reply, err.code, err.detail, err.errors, err.headers, err.extensions);
    }
    const fe = err as FastifyError & { validationContext?: string };
    if (fe.validation) {
      return sendProblem(
        reply,
        'VALIDATION_FAILED',
        'The request does not match the schema',
        ajvErrors(fe.validation, fe.validationContext),
      );
    }
    if (fe.statusCode === 429) {
      return sendProblem(reply, 'RATE_LIMITED', 'Too many requests', undefined, {});
    }
    // Fastify's own 4xx (malformed JSON, body too large, wrong content type, poisoned prototype…) are bad input.
    if (typeof fe.code === 'string' && fe.code.startsWith('FST_') && fe.statusCode && fe.statusCode < 500) {
      if (fe.statusCode === 404) return sendProblem(reply, 'NOT_FOUND');
      return sendProblem(
        reply,
        'VALIDATION_FAILED',
        fe.statusCode === 413 ? 'The request body is too large' : 'The request body could not be read',
        [{ path: '/', message: fe.message.replace(/\s+/g, ' ').slice(0, 200) }],
      );
    }
    if ((err as { type?: string }).type === 'entity.parse.failed' || err instanceof SyntaxError) {
      return sendProblem(reply, 'VALIDATION_FAILED', 'Malformed request');
    }
    const state = sqlState(err);
    if (state === '23505' || state === '23P01') {
      const code = constraintCode(err);
      if (code) return sendProblem(reply, code);
    }
    // Data exceptions (bad uuid text, out-of-range values) reaching SQL are still bad input.
    if (state && /^22/.test(state)) return sendProblem(reply, 'VALIDATION_FAILED', 'A value is out of range or malformed');
    if (isUnavailable(err)) {
      req.log.warn({ err: (err as Error).message }, 'database unavailable');
      return sendProblem(reply, 'UNAVAILABLE', 'The database is unreachable; try again shortly', undefined, { 'retry-after': '5' });
    }
    req.log.error({ err }, 'unhandled error');
    return sendProblem(reply, 'INTERNAL');
  });

  // Route patterns by method, to tell "no such path" (404) from "not with this method" (405 + Allow).
  const patterns: { re: RegExp; method: string }[] = [];
  app.addHook('onRoute', (route) => {
    const re = new RegExp(
      `^${route.url
        .split('/')
        .map((seg) => (seg.startsWith(':') ? '[^/]+' : seg === '*' ? '.*' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
        .join('/')}/?$`,
    );
    for (const m of [route.method].flat()) patterns.push({ re, method: m.toUpperCase() });
  });
  const allowedMethods = (url: string) => {
    const path = url.split('?')[0];
    return [...new Set(patterns.filter((p) => p.re.test(path)).map((p) => p.method))].sort();
  };
  app.decorate('allowedMethods', allowedMethods);
  app.setNotFoundHandler((req, reply) => {
    const allowed = allowedMethods(req.url);
    if (allowed.length && !allowed.includes(req.method)) {
      return sendProblem(reply, 'METHOD_NOT_ALLOWED', `${req.method} is not allowed here; use ${allowed.join(', ')}`, undefined, {
        allow: allowed.join(', '),
      });
    }
    return sendProblem(reply, 'NOT_FOUND', 'No such route');
  });
}

/**
 * A method the path is not served with (QUERY, PROPFIND, …) is answered 405 before anything reads the body:
 * the not-found handler runs after body parsing, where a body the parser refuses would make it a 400.
 * Installed after the hooks that set the headers every response carries (request id, helmet's): an
 * onRequest hook that replies stops the ones registered after it.
 */
export function installMethodGate(app: FastifyInstance): void {
  app.addHook('onRequest', async (req, reply) => {
    if (!req.is404) return;
    const allowed = app.allowedMethods(req.url);
    if (allowed.length && !allowed.includes(req.method)) {
      return sendProblem(reply, 'METHOD_NOT_ALLOWED', `${req.method} is not allowed here; use ${allowed.join(', ')}`, undefined, {
        allow: allowed.join(', '),
      });
    }
  });
}

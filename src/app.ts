import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import pino, { type Logger } from 'pino';
import type { Config } from './platform/config.ts';
import { openAndMigrate, pgliteDirFor, type Database } from './platform/db/index.ts';
import { frameworkErrors, genReqId, installErrorHandling, installValidators, ProblemSchema } from './platform/http.ts';
import { MailWorker } from './platform/mail.ts';
import { startEmbeddedMaintenance } from './platform/db/maintenance.ts';
import { Passwords } from './platform/passwords.ts';
import { AccessTokens } from './platform/tokens.ts';
import { makeGuard, makeOptionalAuth } from './platform/guards.ts';
import { createBus } from './platform/realtime.ts';
import type { Platform } from './platform/platform.ts';
import { healthRoutes } from './platform/health.ts';
import { registerRateLimit } from './platform/rate-limit.ts';
import { registerMetrics } from './platform/metrics.ts';
import { modules, sharedSchemas } from './modules/index.ts';
import fhirRoutes from './modules/fhir/routes.ts';

declare module 'fastify' {
  interface FastifyInstance {
    platform: Platform;
    guard: ReturnType<typeof makeGuard>;
    optionalAuth: ReturnType<typeof makeOptionalAuth>;
  }
}

export interface BuildOptions {
  /** Use this database instead of opening one from the config (tests share their own). */
  database?: Database;
  logger?: Logger;
  /** Start the mail outbox worker (default true). */
  mailWorker?: boolean;
}

/** Builds the whole application without listening: platform plugins first, then every module. */
export async function buildApp(config: Config, opts: BuildOptions = {}) {
  const log = opts.logger ?? pino({ level: config.logLevel, redact: ['req.headers.authorization', '*.password', '*.token'] });
  const database = opts.database ?? (await openAndMigrate({ databaseUrl: config.databaseUrl, pgliteDir: pgliteDirFor(config.dataDir), log }));

  const app = Fastify({
    loggerInstance: log as unknown as FastifyBaseLogger,
    genReqId,
    requestIdHeader: false,
    bodyLimit: config.bodyLimitBytes,
    trustProxy: config.trustProxy,
    // Idle keep-alive sockets close at once on shutdown; in-flight requests still finish.
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    frameworkErrors,
    ajv: { customOptions: { removeAdditional: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  const mail = new MailWorker(database, config, log);
  const bus = await createBus(database, log);
  const platform: Platform = {
    config,
    database,
    db: database.db,
    log,
    mail,
    passwords: new Passwords(config.argon2, config.hashConcurrency),
    tokens: new AccessTokens(config.jwtSecret, config.accessTokenTtlSeconds),
    bus,
  };
  app.decorate('platform', platform);
  app.decorate('guard', makeGuard(platform));
  app.decorate('optionalAuth', makeOptionalAuth(platform));
  app.decorateRequest('actor', null);

  installValidators(app);
  installErrorHandling(app);
  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });

  await registerRateLimit(app, config);
  await registerMetrics(app, platform);

  app.addSchema(ProblemSchema);
  for (const schema of sharedSchemas) app.addSchema(schema);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Telecare API',
        version: '1.0.0',
        description:
          'Telemedicine backend. Errors are RFC 9457 problem documents with a stable `code`. ' +
          'Lists are keyset-paginated (`limit`, `cursor` → `{items, nextCursor}`). ' +
          'A patient\'s and a doctor\'s id equal their user id.',
      },
      servers: [{ url: config.publicUrl }],
      components: {
        securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      },
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  await app.register(healthRoutes);
  for (const mod of modules) await app.register(mod.plugin, { prefix: `/api/v1${mod.prefix}` });
  // FHIR R4 read API beside the REST API: same guards, services and audit; OperationOutcome errors.
  await app.register(fhirRoutes, { prefix: '/fhir/R4' });

  const stopMaintenance = startEmbeddedMaintenance(database, log, config.embeddedVacuumIntervalMinutes);
  app.addHook('onClose', async () => {
    stopMaintenance();
    await mail.stop();
    await bus.close();
    if (!opts.database) await database.close();
  });

  await app.ready();
  if (opts.mailWorker !== false) mail.start();
  return app;
}

export type TelecareApp = Awaited<ReturnType<typeof buildApp>>;

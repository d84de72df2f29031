import Fastify, { LogController, type FastifyBaseLogger } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import pino, { type Logger } from 'pino';
import type { Config } from './platform/config.ts';
import { DatabaseRoleError, openAndMigrate, pgliteDirFor, servingRole, type Database } from './platform/db/index.ts';
import { AuditSequencer } from './platform/audit-sequencer.ts';
import { loadPrivateKey, startPeriodicCheckpoints } from './platform/audit-checkpoint.ts';
import SerializerSelector from '@fastify/fast-json-stringify-compiler';
import {
  buildValidator,
  clientRequestId,
  compiledOnFirstUse,
  frameworkErrors,
  genReqId,
  installErrorHandling,
  installMethodGate,
  ProblemSchema,
  type CompilerFactory,
  type CompilersFactory,
  type SchemaCompilers,
} from './platform/http.ts';
import { MailWorker } from './platform/mail.ts';
import { startEmbeddedMaintenance } from './platform/db/maintenance.ts';
import { Passwords } from './platform/passwords.ts';
import { AccessTokens } from './platform/tokens.ts';
import { makeGuard, makeOptionalAuth } from './platform/guards.ts';
import { createBus } from './platform/realtime.ts';
import { ClientFrames } from './platform/websocket.ts';
import type { Platform } from './platform/platform.ts';
import { healthRoutes } from './platform/health.ts';
import { registerRateLimit } from './platform/rate-limit.ts';
import { registerMetrics } from './platform/metrics.ts';
import { serverTimeouts } from './platform/server-limits.ts';
import { registerSecurityHeaders } from './platform/security-headers.ts';
import { refineOpenApi } from './platform/openapi.ts';
import { constraintErrors, createHooks, frameComponents, modules, sharedSchemas } from './modules/index.ts';
import { assertWired } from './platform/hooks.ts';
import { portalRoutes } from './platform/static.ts';
import { identity, type Actor, type GuardOptions } from './modules/auth/actor.ts';
import { withGuests } from './modules/visits/index.ts';
import { nowMs } from './platform/clock.ts';

declare module 'fastify' {
  interface FastifyInstance {
    platform: Platform;
    guard: ReturnType<typeof makeGuard<Actor, GuardOptions>>;
    optionalAuth: ReturnType<typeof makeOptionalAuth<Actor>>;
    /** Every API route and the module (src/modules/<module>/routes.ts) that serves it, in registration order. */
    routeIndex: RouteIndexEntry[];
  }
}

export interface RouteIndexEntry {
  method: string;
  /** The full URL pattern, prefix included (e.g. /api/v1/appointments/:id). */
  url: string;
  module: string;
}

export interface BuildOptions {
  /** Use this database instead of opening one from the config (tests share their own). */
  database?: Database;
  logger?: Logger;
  /** Start the mail outbox worker (default true). */
  mailWorker?: boolean;
  /**
   * Fastify's schema compilers, wrapping this server's (buildValidator; Fastify's serializers): tests hand every
   * app of a process one cache, since compiling the same schemas again costs each app about a second of CPU.
   */
  compilers?: (defaults: { buildValidator: CompilerFactory }) => SchemaCompilers;
}

/** Builds the whole application without listening: platform plugins first, then every module. */
export async function buildApp(config: Config, opts: BuildOptions = {}) {
  const log = opts.logger ?? pino({ level: config.logLevel, redact: ['req.headers.authorization', '*.password', '*.token'] });
  const database =
    opts.database ??
    (await openAndMigrate({
      databaseUrl: config.databaseUrl,
      ownerUrl: config.databaseOwnerUrl,
      pgliteDir: pgliteDirFor(config.dataDir),
      log,
    }));
  try {
    await checkServingRole(database, config, log);
  } catch (e) {
    if (!opts.database) await database.close().catch(() => undefined);
    throw e;
  }

  const app = Fastify({
    loggerInstance: log as unknown as FastifyBaseLogger,
    // Fastify's two lines per request (incoming, completed) with full req/res serialisation cost ~27 % of a
    // cheap request at info; the onResponse hook below writes one line per request instead.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId,
    requestIdHeader: false,
    bodyLimit: config.bodyLimitBytes,
    trustProxy: config.trustProxy,
    // Idle keep-alive sockets close at once on shutdown; in-flight requests still finish.
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    frameworkErrors,
    // Plugins (swagger-ui reads its assets) may take more than the default 10 s on a saturated machine.
    pluginTimeout: 120_000,
    ajv: { customOptions: { removeAdditional: false } },
    // Schemas compiled on first use rather than at start-up (docs/decisions.md, "Start-up time and memory");
    // the tests hand their own factories, which compile every route part as it is registered.
    schemaController: {
      compilersFactory: (opts.compilers?.({ buildValidator }) ?? {
        buildValidator: compiledOnFirstUse(buildValidator),
        buildSerializer: compiledOnFirstUse(SerializerSelector() as unknown as CompilerFactory),
      }) as CompilersFactory,
    },
    // Slow clients (item 3 of issue 11): a request must arrive whole within requestTimeoutMs, its headers
    // within headersTimeoutMs; idle keep-alive sockets close after keepAliveTimeoutMs (see README).
    ...serverTimeouts(config),
  }).withTypeProvider<TypeBoxTypeProvider>();
  // Beyond the cap new connections are refused at accept, before any parsing.
  app.server.maxConnections = config.maxConnections;

  const mail = new MailWorker(database, config, log);
  const bus = await createBus(database, log);
  const tokens = new AccessTokens(config.jwtSecret, config.accessTokenTtlSeconds);
  // Identity is a module; the platform's guards and WebSocket hub get its session check injected.
  const auth = identity({ db: database.db, tokens });
  const platform: Platform = {
    config,
    database,
    db: database.db,
    log,
    mail,
    passwords: new Passwords(config.argon2, config.hashConcurrency, config.hashQueueMax, config.hashQueueMaxWaitMs),
    tokens,
    // The hub's identity also knows visit guests' room-only passes; the HTTP guards below get the users' alone.
    identity: withGuests(auth, { db: database.db, config, now: () => nowMs(platform) }),
    bus,
    frames: new ClientFrames(),
    // This app's own hooks, subscribed: work a change starts in another module never depends on what was imported.
    hooks: createHooks(),
    auditChain: new AuditSequencer(database, {
      intervalMs: config.auditChainIntervalMs,
      batchSize: config.auditChainBatch,
      url: config.auditSequencerUrl,
      log,
    }),
  };
  assertWired(platform.hooks);
  app.decorate('platform', platform);
  app.decorate('guard', makeGuard(auth));
  app.decorate('optionalAuth', makeOptionalAuth(auth));
  app.decorateRequest('actor', null);

  installErrorHandling(app, constraintErrors);
  app.addHook('onRequest', async (req, reply) => {
    const clientId = clientRequestId(req);
    if (clientId) req.log = req.log.child({ clientRequestId: clientId });
    reply.header('x-request-id', clientId ?? req.id);
  });
  // One access-log line per request (reqId comes from the request's logger, clientRequestId too when sent).
  app.addHook('onResponse', (req, reply, done) => {
    req.log.info(
      { method: req.method, url: req.url, statusCode: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10 },
      'request',
    );
    done();
  });

  await registerRateLimit(app, config);
  await registerSecurityHeaders(app);
  installMethodGate(app);
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
          "A patient's and a doctor's id equal their user id.",
      },
      // Relative: the document describes the server that serves it, whatever PUBLIC_URL (the base of
      // links in mails) says.
      servers: [{ url: '/' }],
      components: {
        securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      },
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
    transformObject: (doc) => {
      const refined = refineOpenApi((doc as { openapiObject: Record<string, any> }).openapiObject, app.problemDialects);
      // The WebSocket's frames (GET /ws), so that clients generate their types from the one list.
      Object.assign(refined.components.schemas, frameComponents());
      return refined;
    },
  });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    // swagger-ui's own CSP (hashes of its inline script and style) replaces the API's on its pages; minus
    // upgrade-insecure-requests, which would break the docs of a server reached over plain HTTP.
    staticCSP: true,
    transformStaticCSP: (csp) => csp.replace(/\s*upgrade-insecure-requests;?/, ''),
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  // onClose hooks run last-registered first: registered before the modules, this one runs after theirs, so
  // a module's shutdown work (the visits clear their presence and tell the peers) still has the bus and the database.
  const stopMaintenance = startEmbeddedMaintenance(database, log, config.embeddedVacuumIntervalMinutes);
  const stopCheckpoints =
    config.auditCheckpointFile && config.auditCheckpointKeyFile && config.auditCheckpointIntervalMinutes > 0
      ? startPeriodicCheckpoints(
          database,
          {
            file: config.auditCheckpointFile,
            key: loadPrivateKey(config.auditCheckpointKeyFile),
            minutes: config.auditCheckpointIntervalMinutes,
            log,
          },
          () => platform.auditChain.runOnce(),
        )
      : () => undefined;
  app.addHook('onClose', async () => {
    stopMaintenance();
    stopCheckpoints();
    // After the requests drained: the last pass chains what they committed.
    await platform.auditChain.stop();
    await mail.stop();
    await bus.close();
    if (!opts.database) await database.close();
  });

  await app.register(healthRoutes);
  // Which module registered each route, for the route index (docs/routes.md): plugins load one at a time
  // here, so the module being registered is the one whose onRoute calls arrive.
  let registering: string | null = null;
  const routeIndex: RouteIndexEntry[] = [];
  app.addHook('onRoute', (r) => {
    if (!registering || r.schema?.hide) return;
    for (const method of [r.method].flat()) if (method !== 'HEAD') routeIndex.push({ method, url: r.url, module: registering });
  });
  for (const m of modules) {
    registering = m.name;
    await app.register(m.routes, { prefix: m.prefix });
  }
  registering = null;
  app.decorate('routeIndex', routeIndex);
  // Last, so the portal's pages sit beside every API route and never in front of one.
  await app.register(portalRoutes);

  await app.ready();
  if (opts.mailWorker !== false) mail.start();
  if (config.auditSequencer) platform.auditChain.start();
  return app;
}

/**
 * A serving role that is a superuser or a member of the audit trail's owner can switch the append-only
 * triggers off and rewrite the chain: warned about, or refused (DATABASE_ROLE_CHECK). The embedded engine
 * has one role and one process: nothing to separate there.
 */
async function checkServingRole(database: Database, config: Config, log: Logger): Promise<void> {
  if (database.engine !== 'postgres' || config.databaseRoleCheck === 'off') return;
  const r = await servingRole(database);
  if (!r.superuser && !r.owner) return;
  const what = r.superuser ? 'a superuser' : 'the owner of the audit trail';
  const message =
    `DATABASE_URL connects as ${r.role}, ${what}: it could switch the audit trail's append-only rules off and rewrite it. ` +
    'Serve with a role of its own and migrate with DATABASE_OWNER_URL (docs/deployment.md).';
  if (config.databaseRoleCheck === 'refuse') throw new DatabaseRoleError(`${message} (DATABASE_ROLE_CHECK=refuse)`);
  log.warn({ role: r.role, superuser: r.superuser, owner: r.owner }, message);
}

export type TelecareApp = Awaited<ReturnType<typeof buildApp>>;

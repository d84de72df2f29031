import { timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { sql } from 'drizzle-orm';
import type { Platform } from './platform.ts';
import { AppError } from './errors.ts';

/**
 * Open WebSocket connections of this process. The WebSocket hub increments and decrements it; it is
 * process-wide because the process is the instance (tests that run several apps in one process share it).
 */
export const wsConnections = new Gauge({
  name: 'telecare_websocket_connections',
  help: 'Open WebSocket connections on this instance',
  registers: [],
});

/** Latency buckets from 1 ms to 10 s: the API's answers are mostly in the low milliseconds. */
const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

declare module 'fastify' {
  interface FastifyInstance {
    /** This app's Prometheus registry, served by startMetricsListener (and on the API port with METRICS_TOKEN). */
    metricsRegistry: Registry;
  }
}

/**
 * Prometheus metrics: requests and latency by route pattern (never the raw URL, which would carry ids
 * and explode the series count), pool usage, outbox depth, WebSocket connections and Node's process
 * metrics. One registry per app, so several apps in one process do not collide.
 * Where they are served (contract: Operations): on their own listener (METRICS_PORT on METRICS_HOST,
 * loopback by default; src/server.ts starts it), and on the public port only with METRICS_TOKEN. An
 * anonymous /metrics on the public port gave anyone 288 KB per scrape, unthrottled, with login-failure counts.
 */
export async function registerMetrics(app: FastifyInstance, p: Platform): Promise<void> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'telecare_' });
  registry.registerMetric(wsConnections);

  const labelNames = ['method', 'route', 'status_code'] as const;
  const requests = new Counter({
    name: 'telecare_http_requests_total',
    help: 'HTTP requests answered, by route pattern',
    labelNames,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'telecare_http_request_duration_seconds',
    help: 'HTTP request latency, by route pattern',
    labelNames,
    buckets: BUCKETS,
    registers: [registry],
  });

  const { database } = p;
  new Gauge({
    name: 'telecare_db_pool_connections',
    help: 'Database connections by state (the embedded engine has one in-process connection)',
    labelNames: ['engine', 'state'],
    registers: [registry],
    collect() {
      const engine = database.engine;
      const pool = database.pool;
      this.set({ engine, state: 'total' }, pool ? pool.totalCount : 1);
      this.set({ engine, state: 'idle' }, pool ? pool.idleCount : 0);
      this.set({ engine, state: 'waiting' }, pool ? pool.waitingCount : 0);
    },
  });
  new Gauge({
    name: 'telecare_mail_outbox_pending',
    help: 'Mails queued and not yet delivered (NaN when the database is unreachable)',
    registers: [registry],
    async collect() {
      try {
        const [row] = await database.rows<{ n: string | number }>(sql`SELECT count(*) AS n FROM mail_outbox WHERE sent_at IS NULL`);
        this.set(Number(row.n));
      } catch {
        // A scrape must still answer while the database is down; the ready probe reports that.
        this.set(Number.NaN);
      }
    },
  });

  app.addHook('onResponse', async (req, reply) => {
    // Unmatched URLs share one label so that scanners cannot create series.
    const route = req.routeOptions.url ?? 'unmatched';
    const labels = { method: req.method, route, status_code: String(reply.statusCode) };
    requests.inc(labels);
    duration.observe(labels, reply.elapsedTime / 1000);
  });

  app.decorate('metricsRegistry', registry);
  if (!p.config.metricsToken) return;
  const expected = Buffer.from(`Bearer ${p.config.metricsToken}`);
  app.get('/metrics', { schema: { hide: true } }, async (req, reply) => {
    const given = Buffer.from(req.headers.authorization ?? '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new AppError('UNAUTHENTICATED', 'The metrics token is missing or wrong');
    }
    const body = await registry.metrics();
    return reply.type(registry.contentType).send(body);
  });
}

/**
 * The operators' listener: GET /metrics and nothing else, no authentication, so bind it where only the
 * scraper reaches (loopback by default). Resolves once listening; close the returned server on shutdown.
 */
export async function startMetricsListener(app: FastifyInstance, host: string, port: number): Promise<Server> {
  const registry = app.metricsRegistry;
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' }).end('Not found\n');
      return;
    }
    registry.metrics().then(
      (body) =>
        res
          .writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' })
          .end(body),
      (err: Error) => {
        app.log.error({ err }, 'metrics scrape failed');
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('scrape failed\n');
      },
    );
  });
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}

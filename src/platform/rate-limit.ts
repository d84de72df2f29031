import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import type { Config } from './config.ts';
import { AppError } from './errors.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** onRequest hook of the anonymous routes that cost a password hash (register, login, reset-password). */
    hashingRateLimit: onRequestAsyncHookHandler;
  }
}

/** Operational routes a load balancer or a scraper polls; limiting them would only make an instance look dead. */
const EXEMPT_ROUTES = new Set(['/health/live', '/health/ready', '/metrics']);

/**
 * The general per-address limit on the whole API, on top of the login throttle. The counters live in
 * this process's memory: with N instances behind a load balancer a client can reach up to N × max
 * per window. It protects each instance from one noisy address; it is not a global quota.
 * The default (RATE_LIMIT_MAX, 3000 a minute) leaves room for a whole clinic behind one NAT address.
 * It runs as a global onRequest hook, i.e. before any route's guard: an anonymous flood is limited
 * too, and unknown URLs count, so that scanning is not free.
 *
 * The anonymous routes that cost an argon2 hash get a second, much lower per-address budget
 * (AUTH_RATE_LIMIT_MAX) with counters of their own, so that one address cannot keep the hashing
 * queue full while the general limit still has room.
 */
export async function registerRateLimit(app: FastifyInstance, config: Config): Promise<void> {
  await app.register(rateLimit, {
    // Not per route: the plugin would append its hook after the route's own guard.
    global: false,
    max: Math.max(1, config.rateLimitMax),
    timeWindow: config.rateLimitWindowSeconds * 1000,
    // The client address as Fastify resolves it (X-Forwarded-For only with TRUST_PROXY).
    allowList: (req: FastifyRequest) => EXEMPT_ROUTES.has(req.routeOptions.url ?? ''),
    // Bounded memory whatever the number of addresses seen.
    cache: 50_000,
    // The error handler renders statusCode 429 as problem+json RATE_LIMITED; Retry-After is already set.
    errorResponseBuilder: (_req, ctx) => Object.assign(new Error(`Rate limit exceeded, retry in ${ctx.after}`), { statusCode: 429 }),
  });
  if (config.rateLimitMax > 0) app.addHook('onRequest', app.rateLimit());

  // createRateLimit, not rateLimit(): the plugin's hooks skip a request another of its hooks already
  // counted, and this budget must apply on top of the general one.
  const hashing =
    config.authRateLimitMax > 0
      ? app.createRateLimit({ max: config.authRateLimitMax, timeWindow: config.authRateLimitWindowSeconds * 1000, allowList: () => false })
      : null;
  app.decorate('hashingRateLimit', async function hashingRateLimit(req: FastifyRequest) {
    if (!hashing) return;
    const r = await hashing(req);
    if (!r.isAllowed && r.isExceeded) {
      throw new AppError('RATE_LIMITED', 'Too many sign-in, registration or reset attempts from this address; try again later', undefined, {
        'retry-after': String(Math.max(1, r.ttlInSeconds)),
      });
    }
  });
}

/**
 * An onRequest hook giving one route its own, tighter per-address budget on top of the general limit.
 * The plugin's per-route `config.rateLimit` is skipped once the global hook has run on a request, so the
 * route's counter is kept with createRateLimit instead. A no-op when rate limiting is off.
 */
export function routeRateLimit(app: FastifyInstance, config: Config, max: number): onRequestAsyncHookHandler {
  if (config.rateLimitMax <= 0 || !app.hasDecorator('createRateLimit')) return async () => undefined;
  const limiter = app.createRateLimit({ max, timeWindow: config.rateLimitWindowSeconds * 1000 });
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const r = await limiter(req);
    if (r.isAllowed || !r.isExceeded) return;
    reply.header('retry-after', String(r.ttlInSeconds));
    throw Object.assign(new Error('Rate limit of this route exceeded'), { statusCode: 429 });
  };
}

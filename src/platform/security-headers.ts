import type { FastifyInstance } from 'fastify';
import helmet from '@fastify/helmet';

/**
 * Security headers from @fastify/helmet on every response: `X-Content-Type-Options: nosniff`, frame and
 * referrer policies, and a CSP that lets a JSON API document load nothing. Routes that serve a page give
 * their own CSP per route (`helmet: { contentSecurityPolicy: { directives: {...} } }` in the route options,
 * merged by the plugin), e.g. the web portal at `/`; `/docs` uses swagger-ui's own hashed CSP (app.ts).
 *
 * `Cache-Control: no-store` on every response that did not choose its caching itself: almost every API
 * answer carries personal or medical data, errors included, and a shared cache or a browser's back
 * button must keep none of it. The public directory, posts and slots are no-store too: they are cheap,
 * change with every booking, and one rule that cannot be forgotten by a new route is worth more than
 * their cacheability. Paths under /docs (static swagger-ui assets) keep the plugin's caching.
 */
export const API_CSP = {
  useDefaults: false,
  directives: {
    'default-src': ["'none'"],
    'frame-ancestors': ["'none'"],
    'base-uri': ["'none'"],
    'form-action': ["'none'"],
  },
};

export async function registerSecurityHeaders(app: FastifyInstance): Promise<void> {
  await app.register(helmet, { global: true, contentSecurityPolicy: API_CSP });
  app.addHook('onSend', async (req, reply, payload) => {
    if (!reply.hasHeader('cache-control') && !req.url.startsWith('/docs')) reply.header('cache-control', 'no-store');
    return payload;
  });
}

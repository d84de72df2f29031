// Serves the built web portal (web/dist) from the API's own origin (contract: "Web portal").
// Only the portal's own client-side route prefixes answer index.html, so the portal can never shadow
// /api, /docs, /openapi.json, /health, /fhir or /metrics; unknown paths keep the API's problem 404.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import fastifyStatic from '@fastify/static';
import { PORTAL_PREFIXES } from './portal-pages.ts';

export const PORTAL_DIST = resolve(import.meta.dirname, '../../web/dist');

/** First path segments the portal's router owns, from its one page table (portal-pages.ts). */
export const PORTAL_ROUTES = PORTAL_PREFIXES;

// No inline script or style, nothing from another origin; 'self' also admits same-origin WebSockets.
export const PORTAL_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  // blob: shows attachment thumbnails, fetched with the bearer token and displayed from object URLs.
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

function securityHeaders(reply: FastifyReply) {
  reply.header('content-security-policy', PORTAL_CSP);
  reply.header('x-frame-options', 'DENY');
  reply.header('referrer-policy', 'no-referrer');
  reply.header('x-content-type-options', 'nosniff');
}

export async function portalRoutes(app: FastifyInstance, opts: { dist?: string } = {}) {
  const dist = opts.dist ?? PORTAL_DIST;
  const indexPath = join(dist, 'index.html');
  if (!existsSync(indexPath)) {
    app.log.warn({ dist }, 'web portal not built (npm run build:web); serving the API only');
    return;
  }
  const index = readFileSync(indexPath);

  // Vite names every asset after its content hash: a changed file is a new URL, so cache for a year.
  await app.register(fastifyStatic, {
    root: join(dist, 'assets'),
    prefix: '/assets/',
    decorateReply: false,
    index: false,
    immutable: true,
    maxAge: '365d',
    // The build writes .br and .gz beside each text asset (scripts/build-web.mjs); the one the browser
    // accepts is sent, with Vary: Accept-Encoding.
    preCompressed: true,
    setHeaders: (res) => {
      res.header('content-security-policy', PORTAL_CSP);
      res.header('x-content-type-options', 'nosniff');
    },
  });

  const sendIndex = async (_req: unknown, reply: FastifyReply) => {
    securityHeaders(reply);
    // index.html names the current hashed bundles, so it must be revalidated on every load.
    reply.header('cache-control', 'no-cache');
    return reply.type('text/html; charset=utf-8').send(index);
  };
  for (const route of PORTAL_ROUTES) {
    app.get(route, { schema: { hide: true } }, sendIndex);
    if (route !== '/') app.get(`${route}/*`, { schema: { hide: true } }, sendIndex);
  }
}

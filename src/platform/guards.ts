import type { FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';

/**
 * The authenticated caller as the platform needs it: who, which session and a role to record in the
 * audit trail. The identity module (src/modules/auth/actor.ts) owns the full type, the roles and the
 * session check; buildApp injects them, so the platform knows no account, session table or role.
 */
export interface Caller {
  userId: string;
  role: string;
  sessionId: string;
  /** A capability limited to client frames whose type starts with this (a visit guest's pass: `visit.`); the hub drops others. */
  frameScope?: string;
}

/** Who asks and from where: every service call gets it, for authorization and the audit trail. */
export interface RequestMeta<A extends Caller = Caller> {
  actor: A | null;
  ip: string;
  requestId: string;
  /** The request's Accept-Language header: registration defaults the account's locale from it. */
  acceptLanguage?: string;
}

/** The identity module's side of authentication, injected by buildApp. */
export interface Identity<A extends Caller = Caller, O = unknown> {
  /** Resolves an access token to the caller; throws UNAUTHENTICATED or ACCOUNT_SUSPENDED. */
  resolve(token: string | null): Promise<A>;
  /** Checks on the caller alone (role, verified email, ...); run before any lookup of the named resource. */
  check(actor: A, opts: O): void;
  /** Of these sessions, those no longer live, with why: the WebSocket hub closes their sockets. */
  endedSessions(sessionIds: string[]): Promise<Map<string, 'SUSPENDED' | 'ENDED'>>;
}

declare module 'fastify' {
  interface FastifyRequest {
    actor: Caller | null;
  }
}

export function bearer(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  if (typeof h !== 'string') return null;
  // RFC 9110: the scheme name is case-insensitive.
  const m = /^Bearer +([A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]*)$/i.exec(h.trim());
  return m ? m[1] : null;
}

/**
 * Route onRequest hook (before the body is even parsed): authenticate, then run the identity module's checks.
 * Usage: `{ onRequest: app.guard({ roles: ['DOCTOR'], verifiedEmail: true }) }`.
 */
export function makeGuard<A extends Caller, O>(identity: Identity<A, O>) {
  return (opts: O = {} as O): onRequestAsyncHookHandler =>
    async function guard(req: FastifyRequest, _reply: FastifyReply) {
      const actor = await identity.resolve(bearer(req));
      req.actor = actor;
      identity.check(actor, opts);
    };
}

/** For routes open to anyone that behave differently for a signed-in caller (e.g. a draft post). */
export function makeOptionalAuth<A extends Caller>(identity: Identity<A, never>) {
  return (): onRequestAsyncHookHandler =>
    async function optionalAuth(req: FastifyRequest) {
      const token = bearer(req);
      req.actor = req.headers.authorization ? await identity.resolve(token) : null;
    };
}

import type { FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { eq } from 'drizzle-orm';
import { AppError } from './errors.ts';
import { doctors, sessions, users } from './db/tables.ts';
import type { Platform } from './platform.ts';

export type Role = 'PATIENT' | 'DOCTOR' | 'ADMIN';

/** The authenticated caller, as services see it. */
export interface Actor {
  userId: string;
  role: Role;
  sessionId: string;
  emailVerified: boolean;
  /** Doctor's credential verification; null for other roles. */
  doctorStatus: 'PENDING' | 'VERIFIED' | 'REJECTED' | null;
}

/** Who asks and from where: every service call gets it, for authorization and the audit trail. */
export interface RequestMeta {
  actor: Actor | null;
  ip: string;
  requestId: string;
}

export interface GuardOptions {
  roles?: Role[];
  verifiedEmail?: boolean;
  verifiedDoctor?: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    actor: Actor | null;
  }
}

export function metaOf(req: FastifyRequest): RequestMeta {
  return { actor: req.actor, ip: req.ip, requestId: String(req.id) };
}

/** metaOf for routes behind a guard: the actor is known to be there. */
export function actorOf(req: FastifyRequest): RequestMeta & { actor: Actor } {
  if (!req.actor) throw new AppError('UNAUTHENTICATED');
  return { actor: req.actor, ip: req.ip, requestId: String(req.id) };
}

function bearer(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  if (typeof h !== 'string') return null;
  // RFC 9110: the scheme name is case-insensitive.
  const m = /^Bearer +([A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]*)$/i.exec(h.trim());
  return m ? m[1] : null;
}

/**
 * Resolves an access token to the caller. Suspension is checked before revocation, because suspending
 * also revokes sessions and the contract wants the suspended user told ACCOUNT_SUSPENDED.
 */
export async function resolveActor(platform: Platform, token: string | null): Promise<Actor> {
  if (!token) throw new AppError('UNAUTHENTICATED', 'A bearer access token is required');
  const claims = await platform.tokens.verify(token);
  if (!claims) throw new AppError('UNAUTHENTICATED', 'The access token is invalid or expired');
  const [row] = await platform.db
    .select({
      userId: users.id,
      role: users.role,
      accountStatus: users.accountStatus,
      emailVerifiedAt: users.emailVerifiedAt,
      sessionUser: sessions.userId,
      revokedAt: sessions.revokedAt,
      expiresAt: sessions.expiresAt,
      doctorStatus: doctors.verificationStatus,
    })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .leftJoin(doctors, eq(doctors.id, users.id))
    .where(eq(sessions.id, claims.sid))
    .limit(1);
  if (!row || row.userId !== claims.sub) throw new AppError('UNAUTHENTICATED', 'The session does not exist');
  if (row.accountStatus === 'SUSPENDED') throw new AppError('ACCOUNT_SUSPENDED');
  if (row.revokedAt || row.expiresAt.getTime() <= Date.now()) {
    throw new AppError('UNAUTHENTICATED', 'The session has been revoked');
  }
  return {
    userId: row.userId,
    role: row.role,
    sessionId: claims.sid,
    emailVerified: row.emailVerifiedAt !== null,
    doctorStatus: row.role === 'DOCTOR' ? (row.doctorStatus ?? 'PENDING') : null,
  };
}

/** Checks on the caller alone; run before any lookup of the resource the request names. */
export function checkActor(actor: Actor, opts: GuardOptions): void {
  if (opts.roles && !opts.roles.includes(actor.role)) throw new AppError('FORBIDDEN', 'This role may not do this');
  if (opts.verifiedEmail && !actor.emailVerified) throw new AppError('EMAIL_NOT_VERIFIED');
  if (opts.verifiedDoctor && actor.role === 'DOCTOR' && actor.doctorStatus !== 'VERIFIED') {
    throw new AppError('DOCTOR_NOT_VERIFIED');
  }
}

/**
 * Route onRequest hook (before the body is even parsed): authenticate, then check role / verified email / verified doctor.
 * Usage: `{ onRequest: app.guard({ roles: ['DOCTOR'], verifiedEmail: true }) }`.
 */
export function makeGuard(platform: Platform) {
  return (opts: GuardOptions = {}): onRequestAsyncHookHandler =>
    async function guard(req: FastifyRequest, _reply: FastifyReply) {
      req.actor = await resolveActor(platform, bearer(req));
      checkActor(req.actor, opts);
    };
}

/** For routes open to anyone that behave differently for a signed-in caller (e.g. a draft post). */
export function makeOptionalAuth(platform: Platform) {
  return (): onRequestAsyncHookHandler =>
    async function optionalAuth(req: FastifyRequest) {
      const token = bearer(req);
      req.actor = req.headers.authorization ? await resolveActor(platform, token) : null;
    };
}

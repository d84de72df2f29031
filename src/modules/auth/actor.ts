// Identity's public face to the other modules and to buildApp: who the caller is (Actor), the session
// check every entry point shares (HTTP guard, token refresh, WebSocket heartbeat) and the per-route checks.
import type { FastifyRequest } from 'fastify';
import { AppError } from '../../platform/errors.ts';
import type { Db } from '../../platform/db/index.ts';
import type { Identity, RequestMeta as PlatformRequestMeta } from '../../platform/guards.ts';
import type { AccessTokens } from '../../platform/tokens.ts';
import * as repo from './repo.ts';

export type Role = 'PATIENT' | 'DOCTOR' | 'ADMIN';
export type { AccountRow } from './repo.ts';

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
export type RequestMeta = PlatformRequestMeta<Actor>;

export interface GuardOptions {
  roles?: Role[];
  verifiedEmail?: boolean;
  verifiedDoctor?: boolean;
}

/** The request's caller: the guard put there what resolveActor returned. */
const actorIn = (req: FastifyRequest) => req.actor as Actor | null;

export function metaOf(req: FastifyRequest): RequestMeta {
  return { actor: actorIn(req), ip: req.ip, requestId: String(req.id), acceptLanguage: req.headers['accept-language'] };
}

/** metaOf for routes behind a guard: the actor is known to be there. */
export function actorOf(req: FastifyRequest): RequestMeta & { actor: Actor } {
  const actor = actorIn(req);
  if (!actor) throw new AppError('UNAUTHENTICATED');
  return { actor, ip: req.ip, requestId: String(req.id) };
}

export type SessionState = 'LIVE' | 'SUSPENDED' | 'ENDED';

/**
 * The one rule of "is this session live", for the guard, refresh and the WebSocket heartbeat.
 * Suspension is checked before revocation, because suspending also revokes sessions and the contract
 * wants the suspended user told ACCOUNT_SUSPENDED.
 */
export function sessionState(s: { accountStatus: string; revokedAt: Date | null; expiresAt: Date }, now = Date.now()): SessionState {
  if (s.accountStatus === 'SUSPENDED') return 'SUSPENDED';
  // A closed account's sessions were revoked when it closed; the status alone ends them too.
  if (s.accountStatus === 'CLOSED') return 'ENDED';
  if (s.revokedAt || s.expiresAt.getTime() <= now) return 'ENDED';
  return 'LIVE';
}

/** Resolves an access token to the caller, or throws UNAUTHENTICATED / ACCOUNT_SUSPENDED. */
export async function resolveActor(p: { db: Db; tokens: AccessTokens }, token: string | null): Promise<Actor> {
  if (!token) throw new AppError('UNAUTHENTICATED', 'A bearer access token is required');
  const claims = p.tokens.verifySync(token);
  if (!claims) throw new AppError('UNAUTHENTICATED', 'The access token is invalid or expired');
  const row = await repo.findSessionActor(p.db, claims.sid);
  if (!row || row.userId !== claims.sub) throw new AppError('UNAUTHENTICATED', 'The session does not exist');
  const state = sessionState(row);
  if (state === 'SUSPENDED') throw new AppError('ACCOUNT_SUSPENDED');
  if (state === 'ENDED') throw new AppError('UNAUTHENTICATED', 'The session has been revoked');
  const actor: Actor = {
    userId: row.userId,
    role: row.role,
    sessionId: claims.sid,
    emailVerified: row.emailVerifiedAt !== null,
    doctorStatus: row.role === 'DOCTOR' ? (row.doctorStatus ?? 'PENDING') : null,
  };
  accounts.set(actor, row);
  return actor;
}

/** The account row the session check read for this actor (same request), so GET /me need not read it again. */
const accounts = new WeakMap<Actor, repo.AccountRow>();

export function accountOf(actor: Actor): repo.AccountRow | undefined {
  return accounts.get(actor);
}

/** Checks on the caller alone; run before any lookup of the resource the request names. */
export function checkActor(actor: Actor, opts: GuardOptions): void {
  if (opts.roles && !opts.roles.includes(actor.role)) throw new AppError('FORBIDDEN', 'This role may not do this');
  if (opts.verifiedEmail && !actor.emailVerified) throw new AppError('EMAIL_NOT_VERIFIED');
  if (opts.verifiedDoctor && actor.role === 'DOCTOR' && actor.doctorStatus !== 'VERIFIED') {
    throw new AppError('DOCTOR_NOT_VERIFIED');
  }
}

/** What buildApp injects into the platform's guards and WebSocket hub. */
export function identity(p: { db: Db; tokens: AccessTokens }): Identity<Actor, GuardOptions> {
  return {
    resolve: (token) => resolveActor(p, token),
    check: checkActor,
    async endedSessions(sessionIds) {
      const now = Date.now();
      const ended = new Map<string, 'SUSPENDED' | 'ENDED'>();
      for (const row of await repo.sessionStates(p.db, sessionIds)) {
        const state = sessionState(row, now);
        if (state !== 'LIVE') ended.set(row.id, state);
      }
      return ended;
    },
  };
}

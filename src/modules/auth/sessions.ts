// Sessions: login (with its throttle), refresh-token rotation and logout.
import { AppError } from '../../platform/errors.ts';
import { audit } from '../../platform/audit.ts';
import type { Executor } from '../../platform/db/index.ts';
import type { Platform } from '../../platform/platform.ts';
import { sessionState, type RequestMeta } from './actor.ts';
import { hashToken, newOpaqueToken } from '../../platform/tokens.ts';
import * as repo from './repo.ts';
import { toUser } from './schemas.ts';

async function issueSession(p: Platform, ex: Executor, user: repo.UserRow) {
  const sessionId = await repo.createSession(ex, user.id, p.config.refreshTokenTtlDays);
  const refresh = newOpaqueToken();
  await repo.insertRefreshToken(ex, sessionId, refresh.hash);
  const accessToken = await p.tokens.sign({ sub: user.id, sid: sessionId, role: user.role });
  return { accessToken, refreshToken: refresh.token, expiresIn: p.tokens.ttlSeconds };
}

export function rateLimited(seconds: number): AppError {
  return new AppError('RATE_LIMITED', 'Too many failed logins; try again later', undefined, { 'retry-after': String(seconds) });
}

export function loginLimits(p: Platform): repo.LoginLimits {
  const c = p.config;
  return {
    perAccountAddress: c.loginMaxFailuresPerAccountAddress,
    perAccount: c.loginMaxFailuresPerAccount,
    perAddress: c.loginMaxFailuresPerAddress,
    windowSeconds: c.loginWindowSeconds,
  };
}

export async function login(p: Platform, meta: RequestMeta, loginName: string, password: string) {
  const user = await repo.findUserByLogin(p.db, loginName);
  const accountKey = user ? `user:${user.id}` : `login:${loginName.toLowerCase()}`;
  const auditTarget = { resourceType: 'user', resourceId: user?.id ?? null, actorId: user?.id ?? null, actorRole: user?.role ?? null };

  const wait = await repo.loginThrottledForSeconds(p.db, accountKey, meta.ip, loginLimits(p));
  if (wait) {
    await audit(p.db, meta, { action: 'auth.login', outcome: 'DENIED', ...auditTarget });
    throw rateLimited(wait);
  }

  const ok = user ? await p.passwords.verify(user.passwordHash, password) : await p.passwords.verifyDummy(password);
  if (!user || !ok) {
    await p.db.transaction(async (tx) => {
      await repo.recordLoginFailure(tx, accountKey, meta.ip);
      await audit(tx, meta, { action: 'auth.login', outcome: 'FAILURE', ...auditTarget });
    });
    throw new AppError('INVALID_CREDENTIALS', 'Unknown login or wrong password');
  }
  if (user.accountStatus === 'CLOSED') {
    // Told as a failed login (no code of its own): the account is gone for signing in. The detail, given only
    // after the right password, spares its holder a useless password reset.
    await audit(p.db, meta, { action: 'auth.login', outcome: 'DENIED', ...auditTarget });
    throw new AppError('INVALID_CREDENTIALS', 'This account was closed');
  }
  if (user.accountStatus === 'SUSPENDED') {
    await audit(p.db, meta, { action: 'auth.login', outcome: 'DENIED', ...auditTarget });
    throw new AppError('ACCOUNT_SUSPENDED');
  }
  return p.db.transaction(async (tx) => {
    await repo.clearLoginFailures(tx, accountKey, meta.ip);
    const tokens = await issueSession(p, tx, user);
    await audit(tx, meta, { action: 'auth.login', outcome: 'SUCCESS', ...auditTarget });
    return { ...tokens, user: toUser(user) };
  });
}

/** Two tabs refreshing with one token at once must both stay signed in (contract: 10 seconds). */
const REFRESH_GRACE_SECONDS = 10;

export async function refresh(p: Platform, meta: RequestMeta, refreshToken: string) {
  const hash = hashToken(refreshToken);
  const failure = async (detail: string, sessionId?: string, userId?: string) => {
    await audit(p.db, meta, {
      action: 'auth.refresh',
      outcome: 'FAILURE',
      resourceType: 'session',
      resourceId: sessionId ?? null,
      actorId: userId ?? null,
      actorRole: null,
    });
    return new AppError('INVALID_TOKEN', detail);
  };
  const outcome = await p.db.transaction(async (tx) => {
    let sessionId = await repo.spendRefreshToken(tx, hash);
    const again = !sessionId;
    if (!sessionId) {
      const known = await repo.findSpentRefreshToken(tx, hash, REFRESH_GRACE_SECONDS);
      if (!known) return { kind: 'unknown' as const };
      // A spent token presented again after the grace means it leaked: end the whole rotation family.
      if (!known.inGrace) {
        await repo.revokeSession(tx, known.sessionId, 'refresh token reuse');
        return { kind: 'reuse' as const, sessionId: known.sessionId };
      }
      sessionId = known.sessionId;
    }
    const session = await repo.findSession(tx, sessionId);
    const user = session && (await repo.findUserById(tx, session.userId));
    const state = session && user ? sessionState({ ...session, accountStatus: user.accountStatus }) : 'ENDED';
    if (state === 'SUSPENDED') return { kind: 'suspended' as const, sessionId, userId: user!.id };
    if (state === 'ENDED' || !session || !user) return { kind: 'revoked' as const, sessionId, userId: session?.userId };
    // The successor is derived from the presented token, so a second tab within the grace gets the
    // same refresh token, and the access token is re-signed with the same issue time: the same pair.
    const next = p.tokens.successorOf(refreshToken);
    let issuedAt: Date;
    if (again) {
      const successor = await repo.findRefreshToken(tx, next.hash);
      // No derived successor (spent by an older version of the server): treat it as reuse.
      if (!successor || successor.sessionId !== sessionId) {
        await repo.revokeSession(tx, sessionId, 'refresh token reuse');
        return { kind: 'reuse' as const, sessionId };
      }
      issuedAt = successor.createdAt;
    } else {
      issuedAt = await repo.insertRefreshToken(tx, sessionId, next.hash);
    }
    const accessToken = await p.tokens.sign({ sub: user.id, sid: sessionId, role: user.role }, Math.floor(issuedAt.getTime() / 1000));
    return { kind: 'ok' as const, tokens: { accessToken, refreshToken: next.token, expiresIn: p.tokens.ttlSeconds } };
  });
  switch (outcome.kind) {
    case 'ok':
      return outcome.tokens;
    case 'unknown':
      throw await failure('The refresh token is unknown');
    case 'reuse':
      throw await failure('The refresh token was already used; the session has been revoked', outcome.sessionId);
    case 'revoked':
      throw await failure('The session has been revoked or has expired', outcome.sessionId, outcome.userId);
    case 'suspended':
      await audit(p.db, meta, {
        action: 'auth.refresh',
        outcome: 'DENIED',
        resourceType: 'session',
        resourceId: outcome.sessionId,
        actorId: outcome.userId,
        actorRole: null,
      });
      throw new AppError('ACCOUNT_SUSPENDED');
  }
}

/** Idempotent: an unknown token is already logged out. */
export async function logout(p: Platform, meta: RequestMeta, refreshToken: string): Promise<void> {
  await p.db.transaction(async (tx) => {
    const known = await repo.findRefreshToken(tx, hashToken(refreshToken));
    if (!known) return;
    const session = await repo.findSession(tx, known.sessionId);
    await repo.revokeSession(tx, known.sessionId, 'logout');
    await audit(tx, meta, {
      action: 'auth.logout',
      resourceType: 'session',
      resourceId: known.sessionId,
      actorId: session?.userId ?? null,
      actorRole: null,
    });
  });
}

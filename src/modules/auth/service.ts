import { AppError, validation } from '../../platform/errors.ts';
import { audit } from '../../platform/audit.ts';
import { enqueueMail } from '../../platform/mail.ts';
import type { Executor } from '../../platform/db/index.ts';
import type { Platform } from '../../platform/platform.ts';
import { sessionState, type Actor, type RequestMeta } from './actor.ts';
import { checkDateOfBirth, isValidTimezone } from '../../platform/schema.ts';
import { hashToken, newOpaqueToken } from '../../platform/tokens.ts';
import { toPatient } from '../patients/schemas.ts';
import { toDoctorPrivate } from '../doctors/schemas.ts';
import * as patients from '../patients/service.ts';
import * as doctors from '../doctors/service.ts';
import * as repo from './repo.ts';
import { kickMailRequests } from './mail-requests.ts';
import { toUser, type RegisterDoctorBody, type RegisterPatientBody } from './schemas.ts';

const VERIFY_TTL_MINUTES = 24 * 60;
const RESET_TTL_MINUTES = 60;
const RESEND_COOLDOWN_SECONDS = 60;

// The address is not yet proven to be the registrant's: the mail carries nothing they chose (no name).
async function queueVerificationMail(p: Platform, ex: Executor, user: repo.UserRow): Promise<void> {
  const { token, hash } = newOpaqueToken();
  await repo.insertEmailToken(ex, user.id, 'VERIFY_EMAIL', hash, VERIFY_TTL_MINUTES);
  const link = `${p.config.publicUrl}/verify-email?token=${token}`;
  await enqueueMail(ex, {
    kind: 'verify-email',
    to: user.email,
    subject: 'Verify your email address for Telecare',
    text: `Hello,\n\nplease verify your email address by opening this link within 24 hours:\n\n${link}\n\nIf you did not create a Telecare account, ignore this message.\n`,
    html: `<p>Hello,</p><p>please verify your email address by opening this link within 24 hours:</p><p><a href="${link}">${link}</a></p><p>If you did not create a Telecare account, ignore this message.</p>`,
  });
}

async function queueResetMail(p: Platform, ex: Executor, user: repo.UserRow): Promise<void> {
  const { token, hash } = newOpaqueToken();
  await repo.spendEmailTokens(ex, user.id, 'RESET_PASSWORD');
  await repo.insertEmailToken(ex, user.id, 'RESET_PASSWORD', hash, RESET_TTL_MINUTES);
  const link = `${p.config.publicUrl}/reset-password?token=${token}`;
  await enqueueMail(ex, {
    kind: 'reset-password',
    to: user.email,
    subject: 'Reset your Telecare password',
    text: `Hello,\n\nsomeone asked to reset your Telecare password. To choose a new one, open this link within one hour:\n\n${link}\n\nIf it was not you, ignore this message; your password stays as it is.\n`,
    html: `<p>Hello,</p><p>someone asked to reset your Telecare password. To choose a new one, open this link within one hour:</p><p><a href="${link}">${link}</a></p><p>If it was not you, ignore this message; your password stays as it is.</p>`,
  });
}

/**
 * The account, its role's profile, the verification mail and the audit event commit together or not
 * at all; the username/email unique indexes decide races (409 via the error handler).
 */
async function registerUser<T>(
  p: Platform,
  meta: RequestMeta,
  body: RegisterPatientBody | RegisterDoctorBody,
  role: 'PATIENT' | 'DOCTOR',
  createProfile: (tx: Executor, user: repo.UserRow) => Promise<T>,
): Promise<{ user: ReturnType<typeof toUser>; profile: T }> {
  // The cheap check first: a taken name must not cost an argon2 hash (the unique indexes still decide races).
  const taken = await repo.findTakenIdentity(p.db, body.username, body.email);
  if (taken) throw new AppError(taken === 'username' ? 'USERNAME_TAKEN' : 'EMAIL_TAKEN');
  const passwordHash = await p.passwords.hash(body.password);
  const result = await p.db.transaction(async (tx) => {
    const user = await repo.insertUser(tx, {
      username: body.username.toLowerCase(),
      email: body.email,
      passwordHash,
      firstname: body.firstname,
      lastname: body.lastname,
      role,
    });
    const profile = await createProfile(tx, user);
    await queueVerificationMail(p, tx, user);
    await audit(tx, meta, {
      action: 'auth.register',
      resourceType: role === 'PATIENT' ? 'patient' : 'doctor',
      resourceId: user.id,
      patientId: role === 'PATIENT' ? user.id : null,
      actorId: user.id,
      actorRole: role,
    });
    return { user: toUser(user), profile };
  });
  p.mail.kick();
  return result;
}

export async function registerPatient(p: Platform, meta: RequestMeta, body: RegisterPatientBody) {
  checkDateOfBirth(body.dateOfBirth);
  const { user, profile } = await registerUser(p, meta, body, 'PATIENT', async (tx, u) =>
    toPatient(
      u,
      await repo.insertPatient(tx, {
        id: u.id,
        dateOfBirth: body.dateOfBirth,
        gender: body.gender,
        medicalHistory: body.medicalHistory ?? '',
      }),
    ),
  );
  return { user, patient: profile };
}

export async function registerDoctor(p: Platform, meta: RequestMeta, body: RegisterDoctorBody) {
  if (!isValidTimezone(body.timezone)) throw validation('/timezone', 'is not an IANA time zone');
  const { user, profile } = await registerUser(p, meta, body, 'DOCTOR', async (tx, u) =>
    toDoctorPrivate(
      u,
      await repo.insertDoctor(tx, {
        id: u.id,
        specialization: body.specialization,
        licenseNumber: body.licenseNumber,
        bio: body.bio ?? '',
        timezone: body.timezone,
      }),
    ),
  );
  return { user, doctor: profile };
}

export async function verifyEmail(p: Platform, meta: RequestMeta, token: string) {
  return p.db.transaction(async (tx) => {
    const userId = await repo.consumeEmailToken(tx, 'VERIFY_EMAIL', hashToken(token));
    if (!userId) throw new AppError('INVALID_TOKEN', 'The verification link is unknown, expired or already used');
    const user = await repo.markEmailVerified(tx, userId);
    await audit(tx, meta, {
      action: 'auth.verify_email',
      resourceType: 'user',
      resourceId: userId,
      actorId: userId,
      actorRole: user.role,
      patientId: user.role === 'PATIENT' ? userId : null,
    });
    return { user: toUser(user) };
  });
}

/**
 * Forgot-password and resend-verification answer 202 after the same single insert whether or not the
 * address has an account: the lookup, the cooldown, the token and the mail happen afterwards, in
 * handleMailRequest, so the answer's timing does not tell registered addresses from unknown ones.
 */
export async function resendVerification(p: Platform, meta: RequestMeta, email: string): Promise<void> {
  await repo.insertMailRequest(p.db, { purpose: 'VERIFY_EMAIL', email, ip: meta.ip, requestId: meta.requestId });
  kickMailRequests(p);
}

export async function forgotPassword(p: Platform, meta: RequestMeta, email: string): Promise<void> {
  await repo.insertMailRequest(p.db, { purpose: 'RESET_PASSWORD', email, ip: meta.ip, requestId: meta.requestId });
  kickMailRequests(p);
}

/**
 * Handles one queued request in the worker's transaction. A verification mail goes out only for an
 * existing, unverified, active account, a reset mail only for an active one; either at most once a minute.
 * Returns whether a mail was queued.
 */
export async function handleMailRequest(p: Platform, tx: Executor, r: typeof repo.authMailRequests.$inferSelect): Promise<boolean> {
  const meta: RequestMeta = { actor: null, ip: r.ip ?? 'unknown', requestId: r.requestId ?? 'worker' };
  const user = await repo.findUserByEmail(tx, r.email);
  if (!user || user.accountStatus !== 'ACTIVE') return false;
  if (r.purpose === 'VERIFY_EMAIL') {
    if (user.emailVerifiedAt) return false;
    if (await repo.recentEmailTokenExists(tx, user.id, 'VERIFY_EMAIL', RESEND_COOLDOWN_SECONDS)) return false;
    await queueVerificationMail(p, tx, user);
    return true;
  }
  if (await repo.recentEmailTokenExists(tx, user.id, 'RESET_PASSWORD', RESEND_COOLDOWN_SECONDS)) return false;
  await queueResetMail(p, tx, user);
  await audit(tx, meta, { action: 'auth.forgot_password', resourceType: 'user', resourceId: user.id, actorId: null, actorRole: null });
  return true;
}

export async function resetPassword(p: Platform, meta: RequestMeta, token: string, password: string): Promise<void> {
  // An unknown token must not cost an argon2 hash; the token is spent below, in the transaction.
  if (!(await repo.liveEmailTokenExists(p.db, 'RESET_PASSWORD', hashToken(token)))) {
    throw new AppError('INVALID_TOKEN', 'The reset link is unknown, expired or already used');
  }
  const passwordHash = await p.passwords.hash(password);
  await p.db.transaction(async (tx) => {
    const userId = await repo.consumeEmailToken(tx, 'RESET_PASSWORD', hashToken(token));
    if (!userId) throw new AppError('INVALID_TOKEN', 'The reset link is unknown, expired or already used');
    await repo.setPassword(tx, userId, passwordHash);
    // The mail reached its owner, which proves the address as well as a verification link would.
    await repo.markEmailVerified(tx, userId);
    await repo.revokeUserSessions(tx, userId, 'password reset');
    await repo.clearLoginFailures(tx, `user:${userId}`);
    await audit(tx, meta, { action: 'auth.reset_password', resourceType: 'user', resourceId: userId, actorId: userId, actorRole: null });
  });
}

async function issueSession(p: Platform, ex: Executor, user: repo.UserRow) {
  const sessionId = await repo.createSession(ex, user.id, p.config.refreshTokenTtlDays);
  const refresh = newOpaqueToken();
  await repo.insertRefreshToken(ex, sessionId, refresh.hash);
  const accessToken = await p.tokens.sign({ sub: user.id, sid: sessionId, role: user.role });
  return { accessToken, refreshToken: refresh.token, expiresIn: p.tokens.ttlSeconds };
}

function rateLimited(seconds: number): AppError {
  return new AppError('RATE_LIMITED', 'Too many failed logins; try again later', undefined, { 'retry-after': String(seconds) });
}

function loginLimits(p: Platform): repo.LoginLimits {
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

export async function changePassword(
  p: Platform,
  meta: RequestMeta & { actor: Actor },
  currentPassword: string,
  newPassword: string,
): Promise<void> {
  const { actor } = meta;
  const accountKey = `user:${actor.userId}`;
  const wait = await repo.loginThrottledForSeconds(p.db, accountKey, meta.ip, loginLimits(p));
  if (wait) throw rateLimited(wait);
  const user = await repo.findUserById(p.db, actor.userId);
  if (!user) throw new AppError('UNAUTHENTICATED');
  if (!(await p.passwords.verify(user.passwordHash, currentPassword))) {
    await p.db.transaction(async (tx) => {
      await repo.recordLoginFailure(tx, accountKey, meta.ip);
      await audit(tx, meta, { action: 'auth.change_password', outcome: 'FAILURE', resourceType: 'user', resourceId: user.id });
    });
    throw new AppError('INVALID_CREDENTIALS', 'The current password is wrong');
  }
  const passwordHash = await p.passwords.hash(newPassword);
  await p.db.transaction(async (tx) => {
    await repo.setPassword(tx, user.id, passwordHash);
    await repo.revokeUserSessions(tx, user.id, 'password changed', actor.sessionId);
    await audit(tx, meta, { action: 'auth.change_password', resourceType: 'user', resourceId: user.id });
  });
}

/**
 * The caller's account and profile read in `ex`, unaudited: for the data export, which records the
 * disclosure (export.read) in the same transaction.
 */
export async function profileUnaudited(ex: Executor, actor: Actor) {
  if (actor.role === 'PATIENT') {
    const patient = await patients.ownProfileUnaudited(ex, actor.userId);
    if (patient) return { user: patient.user, patient };
  } else if (actor.role === 'DOCTOR') {
    const doctor = await doctors.ownProfile(ex, actor.userId);
    if (doctor) return { user: doctor.user, doctor };
  }
  const user = await repo.findUserById(ex, actor.userId);
  if (!user) throw new AppError('UNAUTHENTICATED');
  return { user: toUser(user) };
}

/**
 * GET /me: the profile comes from the patients and doctors services, so it follows their audit rule
 * (a patient's profile is a read of their data, patient.read, exactly as GET /patients/me).
 */
export async function me(p: Platform, meta: RequestMeta & { actor: Actor }) {
  if (meta.actor.role === 'PATIENT') {
    const patient = await patients.ownProfile(p, meta);
    if (patient) return { user: patient.user, patient };
  }
  return profileUnaudited(p.db, meta.actor);
}

/** Used by the command line: a verified, active admin. */
export async function createAdmin(
  p: Pick<Platform, 'db' | 'passwords'>,
  input: { username: string; email: string; password: string; firstname?: string; lastname?: string },
) {
  const passwordHash = await p.passwords.hash(input.password);
  return p.db.transaction(async (tx) => {
    const user = await repo.insertUser(tx, {
      username: input.username.toLowerCase(),
      email: input.email,
      passwordHash,
      firstname: input.firstname ?? 'Admin',
      lastname: input.lastname ?? input.username,
      role: 'ADMIN',
    });
    const verified = await repo.markEmailVerified(tx, user.id);
    await audit(
      tx,
      { actor: null, ip: 'cli', requestId: 'cli' },
      { action: 'admin.create', resourceType: 'user', resourceId: user.id, actorId: null, actorRole: 'SYSTEM' },
    );
    return toUser(verified);
  });
}

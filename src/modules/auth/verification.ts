// Proving an address and resetting a password: the mail links, their tokens, and the queued
// forgot-password / resend-verification requests the mail-request worker handles off the request path.
import { AppError } from '../../platform/errors.ts';
import { audit } from '../../platform/audit.ts';
import { enqueueMail } from '../../platform/mail.ts';
import { portalUrl } from '../../platform/portal-pages.ts';
import { linkMail, t } from '../../platform/i18n.ts';
import type { Executor } from '../../platform/db/index.ts';
import type { Platform } from '../../platform/platform.ts';
import type { RequestMeta } from './actor.ts';
import { hashToken, newOpaqueToken } from '../../platform/tokens.ts';
import * as repo from './repo.ts';
import { kickMailRequests } from './mail-requests.ts';
import { toUser } from './schemas.ts';

const VERIFY_TTL_MINUTES = 24 * 60;
const RESET_TTL_MINUTES = 60;
const RESEND_COOLDOWN_SECONDS = 60;

// The address is not yet proven to be the registrant's: the mail carries nothing they chose (no name).
export async function queueVerificationMail(p: Platform, ex: Executor, user: repo.UserRow): Promise<void> {
  const { token, hash } = newOpaqueToken();
  await repo.insertEmailToken(ex, user.id, 'VERIFY_EMAIL', hash, VERIFY_TTL_MINUTES);
  const link = portalUrl(p.config.publicUrl, 'verifyEmail', {}, { token });
  const l = user.locale;
  const clinic = p.mail.brand.name;
  await enqueueMail(ex, {
    kind: 'verify-email',
    to: user.email,
    subject: t(l, 'auth.verify.subject', { clinic }),
    ...linkMail(l, [t(l, 'mail.greetingAnonymous'), t(l, 'auth.verify.intro')], link, [t(l, 'auth.verify.ignore', { clinic })]),
  });
}

async function queueResetMail(p: Platform, ex: Executor, user: repo.UserRow): Promise<void> {
  const { token, hash } = newOpaqueToken();
  await repo.spendEmailTokens(ex, user.id, 'RESET_PASSWORD');
  await repo.insertEmailToken(ex, user.id, 'RESET_PASSWORD', hash, RESET_TTL_MINUTES);
  const link = portalUrl(p.config.publicUrl, 'resetPassword', {}, { token });
  const l = user.locale;
  const clinic = p.mail.brand.name;
  await enqueueMail(ex, {
    kind: 'reset-password',
    to: user.email,
    subject: t(l, 'auth.reset.subject', { clinic }),
    ...linkMail(l, [t(l, 'mail.greetingAnonymous'), t(l, 'auth.reset.intro', { clinic })], link, [t(l, 'auth.reset.ignore')]),
  });
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

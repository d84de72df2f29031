// The holder's own changes to their identity (issue 25, point 7): a new address, proven by a link sent to it,
// and the closing of the account. Identity owns the rows (users, sessions, email_tokens); the accounts module
// above composes these with what closing means elsewhere (the open appointments).
import { and, eq, isNull, sql } from 'drizzle-orm';
import { AppError, validation } from '../../platform/errors.ts';
import { audit } from '../../platform/audit.ts';
import { enqueueMail } from '../../platform/mail.ts';
import { portalUrl } from '../../platform/portal-pages.ts';
import { linkMail, t } from '../../platform/i18n.ts';
import type { Executor } from '../../platform/db/index.ts';
import type { Platform } from '../../platform/platform.ts';
import { hashToken, newOpaqueToken } from '../../platform/tokens.ts';
import type { Actor, RequestMeta } from './actor.ts';
import * as repo from './repo.ts';
import { loginLimits, rateLimited } from './sessions.ts';
import { emailTokens, users } from './tables.ts';
import { toUser } from './schemas.ts';

type Authed = RequestMeta & { actor: Actor };

const CHANGE_TTL_MINUTES = 24 * 60;
/** One change-of-address mail a minute per account: the link goes to an address nobody has proven yet. */
const CHANGE_COOLDOWN_SECONDS = 60;

/**
 * The caller's password, checked as the login checks it: throttled per account and address (429), a wrong one
 * counted toward the login throttle, audited under `action` and answered 401 INVALID_CREDENTIALS.
 */
export async function checkOwnPassword(p: Platform, meta: Authed, password: string, action: string): Promise<repo.UserRow> {
  const accountKey = `user:${meta.actor.userId}`;
  const wait = await repo.loginThrottledForSeconds(p.db, accountKey, meta.ip, loginLimits(p));
  if (wait) throw rateLimited(wait);
  const user = await repo.findUserById(p.db, meta.actor.userId);
  if (!user || user.accountStatus !== 'ACTIVE') throw new AppError('UNAUTHENTICATED');
  if (!(await p.passwords.verify(user.passwordHash, password))) {
    await p.db.transaction(async (tx) => {
      await repo.recordLoginFailure(tx, accountKey, meta.ip);
      await audit(tx, meta, { action, outcome: 'FAILURE', resourceType: 'user', resourceId: user.id, patientId: patientOf(user) });
    });
    throw new AppError('INVALID_CREDENTIALS', 'The password is wrong');
  }
  return user;
}

const patientOf = (u: { id: string; role: string }) => (u.role === 'PATIENT' ? u.id : null);

/** "n•••@e•••.org": enough for the holder to recognise an address, not enough to learn it. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  const dot = domain.lastIndexOf('.');
  const host = dot > 0 ? domain.slice(0, dot) : domain;
  const tld = dot > 0 ? domain.slice(dot) : '';
  return `${local.slice(0, 1)}•••@${host.slice(0, 1)}•••${tld}`;
}

/**
 * POST /me/email: a link to the new address (which changes only when it is used) and a word to the old one
 * (the new address masked). Cheap checks first (same address, taken, cooldown), the password hash last.
 */
export async function requestEmailChange(p: Platform, meta: Authed, newEmail: string, password: string): Promise<void> {
  const current = await repo.findUserById(p.db, meta.actor.userId);
  if (!current) throw new AppError('UNAUTHENTICATED');
  if (current.email.toLowerCase() === newEmail.toLowerCase()) throw validation('/newEmail', 'is the current address of the account');
  if (await repo.findUserByEmail(p.db, newEmail)) throw new AppError('EMAIL_TAKEN', 'Another account uses this address');
  if (await repo.recentEmailTokenExists(p.db, current.id, 'CHANGE_EMAIL', CHANGE_COOLDOWN_SECONDS)) {
    throw new AppError('RATE_LIMITED', 'A change of address was asked for a moment ago; try again in a minute', undefined, {
      'retry-after': String(CHANGE_COOLDOWN_SECONDS),
    });
  }
  const user = await checkOwnPassword(p, meta, password, 'account.email_change_request');
  const { token, hash } = newOpaqueToken();
  const l = user.locale;
  await p.db.transaction(async (tx) => {
    // Only the newest link works: an older one to another address dies with this request.
    await repo.spendEmailTokens(tx, user.id, 'CHANGE_EMAIL');
    await tx.insert(emailTokens).values({
      userId: user.id,
      purpose: 'CHANGE_EMAIL',
      tokenHash: hash,
      newEmail,
      sessionId: meta.actor.sessionId,
      expiresAt: sql`now() + make_interval(mins => ${CHANGE_TTL_MINUTES})`,
    });
    // The new address is not proven yet: its mail names nobody.
    await enqueueMail(tx, {
      kind: 'email-change',
      to: newEmail,
      subject: t(l, 'auth.emailChange.subject'),
      ...linkMail(
        l,
        [t(l, 'mail.greetingAnonymous'), t(l, 'auth.emailChange.intro')],
        portalUrl(p.config.publicUrl, 'confirmEmail', {}, { token }),
        [t(l, 'auth.emailChange.ignore')],
      ),
    });
    await enqueueMail(tx, {
      kind: 'email-change-notice',
      to: user.email,
      subject: t(l, 'auth.emailChange.noticeSubject'),
      text: [
        t(l, 'mail.greeting', { name: `${user.firstname} ${user.lastname}` }),
        '',
        t(l, 'auth.emailChange.notice', { masked: maskEmail(newEmail) }),
        '',
        t(l, 'auth.emailChange.notYou'),
      ].join('\n'),
    });
    await audit(tx, meta, {
      action: 'account.email_change_request',
      resourceType: 'user',
      resourceId: user.id,
      patientId: patientOf(user),
    });
  });
  p.mail.kick();
}

/**
 * POST /me/email/confirm: the link's token (single use, 24 hours) moves the account to its new address, proven by
 * the link. The unique index on lower(email) decides a race with a registration or another change to the same
 * address (409 EMAIL_TAKEN; the token stays usable should the address come free). Every session of the account
 * ends except the one that asked for the change: whoever else was signed in signs in again.
 */
export async function confirmEmailChange(p: Platform, meta: RequestMeta, token: string) {
  return p.db.transaction(async (tx) => {
    const [spent] = await tx
      .update(emailTokens)
      .set({ usedAt: sql`now()` })
      .where(
        and(
          eq(emailTokens.tokenHash, hashToken(token)),
          eq(emailTokens.purpose, 'CHANGE_EMAIL'),
          isNull(emailTokens.usedAt),
          sql`${emailTokens.expiresAt} > now()`,
        ),
      )
      .returning({ userId: emailTokens.userId, newEmail: emailTokens.newEmail, sessionId: emailTokens.sessionId });
    const invalid = () => new AppError('INVALID_TOKEN', 'The confirmation link is unknown, expired or already used');
    if (!spent?.newEmail) throw invalid();
    const [user] = await tx
      .update(users)
      .set({ email: spent.newEmail, emailVerifiedAt: sql`now()`, updatedAt: sql`now()` })
      .where(and(eq(users.id, spent.userId), eq(users.accountStatus, 'ACTIVE')))
      .returning();
    if (!user) throw invalid();
    await repo.revokeUserSessions(tx, user.id, 'email changed', spent.sessionId ?? undefined);
    await audit(tx, meta, {
      action: 'account.email_change',
      resourceType: 'user',
      resourceId: user.id,
      actorId: user.id,
      actorRole: user.role,
      patientId: patientOf(user),
    });
    return { user: toUser(user) };
  });
}

/**
 * Closes the account in the caller's transaction: status CLOSED with when and until when it is kept, every session
 * revoked at once (an access token already handed out fails its next call), every live mail link spent. Undefined
 * when the account was not active (closed meanwhile).
 */
export async function closeAccountRow(ex: Executor, userId: string, retentionYears: number): Promise<repo.UserRow | undefined> {
  const [row] = await ex
    .update(users)
    .set({
      accountStatus: 'CLOSED',
      closedAt: sql`now()`,
      retainUntil: sql`now() + make_interval(years => ${retentionYears})`,
      updatedAt: sql`now()`,
    })
    .where(and(eq(users.id, userId), eq(users.accountStatus, 'ACTIVE')))
    .returning();
  if (!row) return undefined;
  await repo.revokeUserSessions(ex, userId, 'account closed');
  await ex
    .update(emailTokens)
    .set({ usedAt: sql`now()` })
    .where(and(eq(emailTokens.userId, userId), isNull(emailTokens.usedAt)));
  return row;
}

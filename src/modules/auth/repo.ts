import { and, count, desc, eq, gt, inArray, isNull, ne, or, sql, type SQL } from 'drizzle-orm';
import { prepared, run, type Executor } from '../../platform/db/index.ts';
import { bigserial, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { emailTokens, loginFailures, refreshTokens, sessions, users } from './tables.ts';

/** Migration 0009: forgot-password / resend-verification requests waiting for the worker. */
export const authMailRequests = pgTable('auth_mail_requests', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  purpose: text('purpose').$type<'VERIFY_EMAIL' | 'RESET_PASSWORD'>().notNull(),
  email: text('email').notNull(),
  ip: text('ip'),
  requestId: text('request_id'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

export type UserRow = typeof users.$inferSelect;
export type EmailPurpose = 'VERIFY_EMAIL' | 'RESET_PASSWORD' | 'CHANGE_EMAIL';

export async function insertUser(ex: Executor, u: typeof users.$inferInsert): Promise<UserRow> {
  const [row] = await ex.insert(users).values(u).returning();
  return row;
}

export async function findUserById(ex: Executor, id: string): Promise<UserRow | undefined> {
  const [row] = await ex.select().from(users).where(eq(users.id, id)).limit(1);
  return row;
}

export async function findUserByLogin(ex: Executor, login: string): Promise<UserRow | undefined> {
  const l = login.toLowerCase();
  const [row] = await ex
    .select()
    .from(users)
    .where(or(eq(sql`lower(${users.username})`, l), eq(sql`lower(${users.email})`, l)))
    .limit(1);
  return row;
}

export async function findUserByEmail(ex: Executor, email: string): Promise<UserRow | undefined> {
  const [row] = await ex
    .select()
    .from(users)
    .where(eq(sql`lower(${users.email})`, email.toLowerCase()))
    .limit(1);
  return row;
}

/** Which of the two is already registered (case-insensitively), username first; null when neither. */
export async function findTakenIdentity(ex: Executor, username: string, email: string): Promise<'username' | 'email' | null> {
  const rows = await ex
    .select({ username: users.username, email: users.email })
    .from(users)
    .where(or(eq(sql`lower(${users.username})`, username.toLowerCase()), eq(sql`lower(${users.email})`, email.toLowerCase())))
    .limit(2);
  if (rows.some((r) => r.username.toLowerCase() === username.toLowerCase())) return 'username';
  return rows.length ? 'email' : null;
}

export async function setPassword(ex: Executor, userId: string, passwordHash: string): Promise<void> {
  await ex
    .update(users)
    .set({ passwordHash, updatedAt: sql`now()` })
    .where(eq(users.id, userId));
}

export async function markEmailVerified(ex: Executor, userId: string): Promise<UserRow> {
  const [row] = await ex
    .update(users)
    .set({ emailVerifiedAt: sql`coalesce(${users.emailVerifiedAt}, now())`, updatedAt: sql`now()` })
    .where(eq(users.id, userId))
    .returning();
  return row;
}

// Sessions and refresh tokens

export async function createSession(ex: Executor, userId: string, ttlDays: number): Promise<string> {
  const [row] = await ex
    .insert(sessions)
    .values({ userId, expiresAt: sql`now() + make_interval(days => ${ttlDays})` })
    .returning({ id: sessions.id });
  return row.id;
}

/** Returns when the token was created (the database's clock, shared by every instance). */
export async function insertRefreshToken(ex: Executor, sessionId: string, tokenHash: string): Promise<Date> {
  const [row] = await ex.insert(refreshTokens).values({ sessionId, tokenHash }).returning({ createdAt: refreshTokens.createdAt });
  return row.createdAt;
}

/** A token that was already spent: its session, and whether its first use is less than `graceSeconds` old. */
export async function findSpentRefreshToken(ex: Executor, tokenHash: string, graceSeconds: number) {
  const [row] = await ex
    .select({
      sessionId: refreshTokens.sessionId,
      inGrace: sql<boolean>`coalesce(${refreshTokens.spentAt} > now() - make_interval(secs => ${graceSeconds}), false)`,
    })
    .from(refreshTokens)
    .where(eq(refreshTokens.tokenHash, tokenHash))
    .limit(1);
  return row;
}

/** Marks the token spent if it was live; null when it was unknown or already spent. */
export async function spendRefreshToken(ex: Executor, tokenHash: string): Promise<string | null> {
  const [row] = await ex
    .update(refreshTokens)
    .set({ spentAt: sql`now()` })
    .where(and(eq(refreshTokens.tokenHash, tokenHash), isNull(refreshTokens.spentAt)))
    .returning({ sessionId: refreshTokens.sessionId });
  return row?.sessionId ?? null;
}

export async function findRefreshToken(ex: Executor, tokenHash: string) {
  const [row] = await ex.select().from(refreshTokens).where(eq(refreshTokens.tokenHash, tokenHash)).limit(1);
  return row;
}

/** An account row as the guard loads it: everything but the password hash. */
export type AccountRow = Omit<UserRow, 'passwordHash'>;

export interface SessionActorRow extends AccountRow {
  userId: string;
  revokedAt: Date | null;
  expiresAt: Date;
  doctorStatus: 'PENDING' | 'VERIFIED' | 'REJECTED' | null;
}

// Every authenticated request runs this one: prepared, so the server plans it once per connection. It
// reads the whole account (not only what the check needs) so GET /me answers from it without a re-read.
export const SESSION_ACTOR = prepared<SessionActorRow>(
  'auth_session_actor',
  `SELECT u.id, u.username, u.email, u.firstname, u.lastname, u.role,
          u.email_verified_at AS "emailVerifiedAt", u.account_status AS "accountStatus",
          u.locale, u.time_zone AS "timeZone", u.closed_at AS "closedAt", u.retain_until AS "retainUntil",
          u.created_at AS "createdAt", u.updated_at AS "updatedAt",
          s.user_id AS "userId", s.revoked_at AS "revokedAt", s.expires_at AS "expiresAt",
          d.verification_status AS "doctorStatus"
     FROM sessions s
     JOIN users u ON u.id = s.user_id
     LEFT JOIN doctors d ON d.id = u.id
    WHERE s.id = $1
    LIMIT 1`,
);

/** The session of an access token with its account: what the guard checks on every request. */
export async function findSessionActor(ex: Executor, sessionId: string): Promise<SessionActorRow | undefined> {
  const [row] = await run(ex, SESSION_ACTOR, [sessionId]);
  return row;
}

/** The liveness inputs of many sessions at once (the WebSocket heartbeat: one query per beat). */
export async function sessionStates(ex: Executor, sessionIds: string[]) {
  if (!sessionIds.length) return [];
  return ex
    .select({ id: sessions.id, accountStatus: users.accountStatus, revokedAt: sessions.revokedAt, expiresAt: sessions.expiresAt })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(inArray(sessions.id, sessionIds));
}

export async function findSession(ex: Executor, id: string) {
  const [row] = await ex.select().from(sessions).where(eq(sessions.id, id)).limit(1);
  return row;
}

export async function revokeSession(ex: Executor, id: string, reason: string): Promise<void> {
  await ex
    .update(sessions)
    .set({ revokedAt: sql`now()`, revokedReason: reason })
    .where(and(eq(sessions.id, id), isNull(sessions.revokedAt)));
}

/** Revokes every live session of the user, except one (the caller's own, on a password change). */
export async function revokeUserSessions(ex: Executor, userId: string, reason: string, exceptSessionId?: string): Promise<void> {
  await ex
    .update(sessions)
    .set({ revokedAt: sql`now()`, revokedReason: reason })
    .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt), exceptSessionId ? ne(sessions.id, exceptSessionId) : undefined));
}

// Single-use mail tokens

export async function insertEmailToken(ex: Executor, userId: string, purpose: EmailPurpose, tokenHash: string, ttlMinutes: number) {
  await ex.insert(emailTokens).values({ userId, purpose, tokenHash, expiresAt: sql`now() + make_interval(mins => ${ttlMinutes})` });
}

/** Spends a live token atomically; null when unknown, expired, used or for another purpose. */
export async function consumeEmailToken(ex: Executor, purpose: EmailPurpose, tokenHash: string): Promise<string | null> {
  const [row] = await ex
    .update(emailTokens)
    .set({ usedAt: sql`now()` })
    .where(
      and(
        eq(emailTokens.tokenHash, tokenHash),
        eq(emailTokens.purpose, purpose),
        isNull(emailTokens.usedAt),
        gt(emailTokens.expiresAt, sql`now()`),
      ),
    )
    .returning({ userId: emailTokens.userId });
  return row?.userId ?? null;
}

export async function liveEmailTokenExists(ex: Executor, purpose: EmailPurpose, tokenHash: string): Promise<boolean> {
  const [row] = await ex
    .select({ n: count() })
    .from(emailTokens)
    .where(
      and(
        eq(emailTokens.tokenHash, tokenHash),
        eq(emailTokens.purpose, purpose),
        isNull(emailTokens.usedAt),
        gt(emailTokens.expiresAt, sql`now()`),
      ),
    );
  return row.n > 0;
}

/** Spends every other live token of that purpose, so that only the newest reset link works. */
export async function spendEmailTokens(ex: Executor, userId: string, purpose: EmailPurpose): Promise<void> {
  await ex
    .update(emailTokens)
    .set({ usedAt: sql`now()` })
    .where(and(eq(emailTokens.userId, userId), eq(emailTokens.purpose, purpose), isNull(emailTokens.usedAt)));
}

export async function recentEmailTokenExists(ex: Executor, userId: string, purpose: EmailPurpose, withinSeconds: number): Promise<boolean> {
  const [row] = await ex
    .select({ n: count() })
    .from(emailTokens)
    .where(
      and(
        eq(emailTokens.userId, userId),
        eq(emailTokens.purpose, purpose),
        gt(emailTokens.createdAt, sql`now() - make_interval(secs => ${withinSeconds})`),
      ),
    );
  return row.n > 0;
}

// Mail requests (forgot-password, resend-verification)

export async function insertMailRequest(ex: Executor, r: typeof authMailRequests.$inferInsert): Promise<void> {
  await ex.insert(authMailRequests).values(r);
}

/** Takes the oldest request no other instance holds, deleting it in the caller's transaction. */
export async function takeMailRequest(ex: Executor) {
  const oldest = ex
    .select({ id: authMailRequests.id })
    .from(authMailRequests)
    .orderBy(authMailRequests.id)
    .limit(1)
    .for('update', { skipLocked: true });
  const [row] = await ex
    .delete(authMailRequests)
    .where(eq(authMailRequests.id, sql`(${oldest})`))
    .returning();
  return row;
}

// Login throttling

export async function recordLoginFailure(ex: Executor, accountKey: string, ip: string): Promise<void> {
  await ex.insert(loginFailures).values({ accountKey, ip });
}

/** A success from an address forgets that address's failures on the account, not other addresses'. */
export async function clearLoginFailures(ex: Executor, accountKey: string, ip?: string): Promise<void> {
  await ex
    .delete(loginFailures)
    .where(and(eq(loginFailures.accountKey, accountKey), ip === undefined ? undefined : eq(loginFailures.ip, ip)));
}

export interface LoginLimits {
  perAccountAddress: number;
  perAccount: number;
  perAddress: number;
  windowSeconds: number;
}

/**
 * Seconds until fewer than `max` failures matching `where` remain in the window, or 0 when under the
 * limit: the max-th most recent failure is the one that has to age out.
 */
async function waitSeconds(ex: Executor, where: SQL | undefined, max: number, windowSeconds: number): Promise<number> {
  const rows = await ex
    .select({ wait: sql<number>`ceil(extract(epoch from (${loginFailures.at} + make_interval(secs => ${windowSeconds}) - now())))::int` })
    .from(loginFailures)
    .where(and(where, gt(loginFailures.at, sql`now() - make_interval(secs => ${windowSeconds})`)))
    .orderBy(desc(loginFailures.at))
    .offset(max - 1)
    .limit(1);
  return rows.length ? Math.max(1, Number(rows[0].wait)) : 0;
}

/**
 * The contract's three limits: this account from this address (a stranger's guesses lock only the
 * stranger out), this account from anywhere (a higher ceiling against distributed guessing), and this
 * address over all accounts. Returns the longest wait that applies, 0 when none does.
 */
export async function loginThrottledForSeconds(ex: Executor, accountKey: string, ip: string, l: LoginLimits): Promise<number> {
  const waits = await Promise.all([
    waitSeconds(ex, and(eq(loginFailures.accountKey, accountKey), eq(loginFailures.ip, ip)), l.perAccountAddress, l.windowSeconds),
    waitSeconds(ex, eq(loginFailures.accountKey, accountKey), l.perAccount, l.windowSeconds),
    waitSeconds(ex, eq(loginFailures.ip, ip), l.perAddress, l.windowSeconds),
  ]);
  return Math.max(...waits);
}

/** Old failures are only noise once their window has passed. */
export async function pruneLoginFailures(ex: Executor, windowSeconds: number): Promise<void> {
  await ex.delete(loginFailures).where(sql`${loginFailures.at} < now() - make_interval(secs => ${windowSeconds})`);
}

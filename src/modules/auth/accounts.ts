// What identity offers the modules above it for changing or locking an account: they read `users`, but
// every statement that writes or locks an identity row is identity's own (docs/architecture.md, "Table
// owners"). Admin suspends through setAccountStatus; booking serialises a patient's bookings on lockAccount.
import { and, eq, sql } from 'drizzle-orm';
import { prepared, run, type Executor } from '../../platform/db/index.ts';
import type { ErrorCode } from '../../platform/errors.ts';
import { revokeUserSessions, type UserRow } from './repo.ts';
import { users } from './tables.ts';

/**
 * Identity's constraints whose violation is the client's conflict (a lost registration race): buildApp
 * registers them with the platform's error mapper.
 */
export const constraintErrors = {
  users_username_key: 'USERNAME_TAKEN',
  users_email_key: 'EMAIL_TAKEN',
} as const satisfies Record<string, ErrorCode>;

// NO KEY UPDATE: it does not block the inserts elsewhere that merely reference the account (they take KEY SHARE).
export const LOCK_ACCOUNT = prepared('auth_lock_account', 'SELECT id FROM users WHERE id = $1 FOR NO KEY UPDATE');

/** Locks the account's row until the transaction ends: a serialisation point for one user's changes (e.g. their bookings). */
export async function lockAccount(ex: Executor, userId: string): Promise<void> {
  await run(ex, LOCK_ACCOUNT, [userId]);
}

/**
 * Locks every active admin row and returns their ids, in id order. Two admins suspending each other at once
 * then serialise here, so a "one active admin remains" check cannot be raced.
 */
export async function lockActiveAdmins(ex: Executor): Promise<string[]> {
  const rows = await ex
    .select({ id: users.id })
    .from(users)
    .where(and(eq(users.role, 'ADMIN'), eq(users.accountStatus, 'ACTIVE')))
    .orderBy(users.id)
    .for('update');
  return rows.map((r) => r.id);
}

/**
 * Suspends or reactivates an account; suspending revokes every live session in the same transaction (their
 * refresh tokens die with them), so tokens already handed out stop working on the next call. Undefined when
 * there is no such account.
 */
export async function setAccountStatus(ex: Executor, userId: string, status: 'ACTIVE' | 'SUSPENDED'): Promise<UserRow | undefined> {
  const [row] = await ex
    .update(users)
    .set({ accountStatus: status, updatedAt: sql`now()` })
    .where(eq(users.id, userId))
    .returning();
  if (row && status === 'SUSPENDED') await revokeUserSessions(ex, userId, 'account suspended');
  return row;
}

/** PATCH /me's change of the account's own fields (language, time zone, name); the row as it now is. */
export async function updateAccount(
  ex: Executor,
  userId: string,
  patch: Partial<Pick<UserRow, 'locale' | 'timeZone' | 'firstname' | 'lastname'>>,
): Promise<UserRow | undefined> {
  const [row] = await ex
    .update(users)
    .set({ ...patch, updatedAt: sql`now()` })
    .where(eq(users.id, userId))
    .returning();
  return row;
}

import { AppError, invalidTransition, notFound } from '../../platform/errors.ts';
import { audit } from '../../platform/audit.ts';
import type { Platform } from '../../platform/platform.ts';
import type { Actor, RequestMeta } from '../auth/index.ts';
import { cursorCodec, DEFAULT_LIMIT, toPage } from '../../platform/pagination.ts';
import { lockActiveAdmins, setAccountStatus, toUser } from '../auth/index.ts';
import * as repo from './repo.ts';
import type { ListUsersQuery, UpdateUserBody } from './schemas.ts';

type AdminMeta = RequestMeta & { actor: Actor };

/** (created_at, id), newest first; created_at has microseconds, so the repo reads it as text for the cursor. */
const USERS_CURSOR = cursorCodec('instant', 'uuid');

/** Account metadata only: the User shape has no medical history, so none can leak through this list. */
export async function listUsers(p: Platform, meta: AdminMeta, q: ListUsersQuery) {
  const limit = q.limit ?? DEFAULT_LIMIT;
  const cursor = USERS_CURSOR.decode(q.cursor);
  const after: repo.UserFilter['after'] = cursor ? { createdAt: cursor[0], id: cursor[1] } : undefined;
  return p.db.transaction(async (tx) => {
    const rows = await repo.listUsers(tx, { role: q.role, accountStatus: q.accountStatus, q: q.q, after, limit });
    await audit(tx, meta, { action: 'user.list', resourceType: 'user' });
    return toPage(rows, limit, (r) => [r.createdAtKey, r.id], toUser);
  });
}

/**
 * Suspends or reactivates an account through identity's setAccountStatus, which revokes every session in
 * the same transaction on suspension, so tokens already handed out stop working on the next call. Refusing to leave no active admin is a
 * 409 INVALID_TRANSITION: the request is allowed for an admin, the current state forbids it.
 */
export async function updateUser(p: Platform, meta: AdminMeta, userId: string, body: UpdateUserBody) {
  const action = body.accountStatus === 'SUSPENDED' ? 'admin.user.suspend' : 'admin.user.reactivate';
  try {
    return await p.db.transaction(async (tx) => {
      // Roles never change, so an unlocked read picks the lock order: active admins (in id order)
      // before the target, the same order for every request, so two admins cannot deadlock.
      const target = await repo.findUser(tx, userId);
      if (!target) throw notFound('user');
      if (target.accountStatus === 'CLOSED') throw invalidTransition('A closed account stays closed');
      if (target.role === 'ADMIN' && body.accountStatus === 'SUSPENDED') {
        const active = await lockActiveAdmins(tx);
        if (!active.includes(meta.actor.userId)) throw new AppError('ACCOUNT_SUSPENDED');
        if (active.filter((id) => id !== userId).length === 0) {
          throw invalidTransition('The last active admin account cannot be suspended');
        }
      }
      // Identity changes the account (and revokes its sessions on suspension); admin decides and audits.
      const user = await setAccountStatus(tx, userId, body.accountStatus);
      if (!user) throw notFound('user');
      await audit(tx, meta, {
        action,
        resourceType: 'user',
        resourceId: userId,
        patientId: user.role === 'PATIENT' ? userId : null,
      });
      return toUser(user);
    });
  } catch (e) {
    // A refused attempt is still an admin action: it is recorded, outside the rolled-back transaction.
    if (e instanceof AppError && e.code === 'INVALID_TRANSITION') {
      await audit(p.db, meta, { action, outcome: 'DENIED', resourceType: 'user', resourceId: userId });
    }
    throw e;
  }
}

// Changing a password while signed in.
import { AppError } from '../../platform/errors.ts';
import { audit } from '../../platform/audit.ts';
import type { Platform } from '../../platform/platform.ts';
import type { Actor, RequestMeta } from './actor.ts';
import * as repo from './repo.ts';
import { loginLimits, rateLimited } from './sessions.ts';

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

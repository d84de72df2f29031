// Creating accounts: patients and doctors register over HTTP (their modules add the profile), the first
// admin comes from the command line.
import { AppError, validation } from '../../platform/errors.ts';
import { negotiateLocale } from '../../platform/i18n.ts';
import { isValidTimezone } from '../../platform/schema.ts';
import { audit } from '../../platform/audit.ts';
import type { Executor } from '../../platform/db/index.ts';
import type { Platform } from '../../platform/platform.ts';
import type { RequestMeta } from './actor.ts';
import * as repo from './repo.ts';
import type { UserRow } from './repo.ts';
import { queueVerificationMail } from './verification.ts';
import { toUser, type RegisterDoctorBody, type RegisterPatientBody } from './schemas.ts';

/**
 * The account, its role's profile, the verification mail and the audit event commit together or not
 * at all; the username/email unique indexes decide races (409 via the error handler). The profile is
 * the patients or doctors module's (`createProfile`): identity knows no profile.
 */
export async function registerUser<T>(
  p: Platform,
  meta: RequestMeta,
  body: RegisterPatientBody | RegisterDoctorBody,
  role: 'PATIENT' | 'DOCTOR',
  createProfile: (tx: Executor, user: UserRow) => Promise<T>,
): Promise<{ user: ReturnType<typeof toUser>; profile: T }> {
  const timeZone = body.timeZone ?? ('timezone' in body ? body.timezone : 'UTC');
  if (!isValidTimezone(timeZone)) throw validation('/timeZone', 'is not an IANA time zone');
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
      locale: body.locale ?? negotiateLocale(meta.acceptLanguage),
      timeZone,
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

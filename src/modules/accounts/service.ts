// GET /me: the caller's account (auth) with their patient or doctor profile (patients, doctors). Its own
// module, above all three, so identity imports no profile module (docs/architecture.md).
import { AppError, validation } from '../../platform/errors.ts';
import { audit } from '../../platform/audit.ts';
import { isValidTimezone } from '../../platform/schema.ts';
import type { Executor } from '../../platform/db/index.ts';
import type { Platform } from '../../platform/platform.ts';
import { accountOf, findAccount, toUser, updateAccount, type AccountPatchBody, type Actor, type RequestMeta } from '../auth/index.ts';
import { service as patients } from '../patients/index.ts';
import { service as doctors } from '../doctors/index.ts';
import { clinicalAccess } from '../appointments/index.ts';

/**
 * The caller's account and profile read in `ex`, unaudited: for the data export, which records the
 * disclosure (export.read) in the same transaction.
 */
export async function profileUnaudited(p: Platform, ex: Executor, actor: Actor) {
  if (actor.role === 'PATIENT') {
    const patient = await patients.ownProfileUnaudited(ex, clinicalAccess(p, actor, 'profile', actor.userId));
    if (patient) return { user: patient.user, patient };
  } else if (actor.role === 'DOCTOR') {
    const doctor = await doctors.ownProfile(ex, actor.userId);
    if (doctor) return { user: doctor.user, doctor };
  }
  const user = await findAccount(ex, actor.userId);
  if (!user) throw new AppError('UNAUTHENTICATED');
  return { user: toUser(user) };
}

/**
 * GET /me: the profile comes from the patients and doctors services, so it follows their audit rule
 * (a patient's profile is a read of their data, patient.read, exactly as GET /patients/me).
 */
export async function me(p: Platform, meta: RequestMeta & { actor: Actor }) {
  // The session check of this request read the account already: no second read of users.
  const account = accountOf(meta.actor);
  if (account) {
    if (meta.actor.role === 'PATIENT') {
      const patient = await patients.ownProfileOf(p, meta, account);
      if (patient) return { user: patient.user, patient };
    } else if (meta.actor.role === 'DOCTOR') {
      const doctor = await doctors.ownProfileOf(p.db, account);
      if (doctor) return { user: doctor.user, doctor };
    }
    return { user: toUser(account) };
  }
  if (meta.actor.role === 'PATIENT') {
    const patient = await patients.ownProfile(p, meta);
    if (patient) return { user: patient.user, patient };
  }
  return profileUnaudited(p, p.db, meta.actor);
}

/**
 * PATCH /me: the caller's language, time zone and name. A zone the runtime's IANA database does not know is
 * refused before anything is written; the change and its audit event commit together. Answers as GET /me.
 */
export async function patchMe(p: Platform, meta: RequestMeta & { actor: Actor }, body: AccountPatchBody) {
  if (body.timeZone !== undefined && !isValidTimezone(body.timeZone)) throw validation('/timeZone', 'is not an IANA time zone');
  const { userId, role } = meta.actor;
  return p.db.transaction(async (tx) => {
    if (!(await updateAccount(tx, userId, body))) throw new AppError('UNAUTHENTICATED');
    await audit(tx, meta, {
      action: 'account.update',
      resourceType: 'user',
      resourceId: userId,
      patientId: role === 'PATIENT' ? userId : null,
    });
    return profileUnaudited(p, tx, meta.actor);
  });
}

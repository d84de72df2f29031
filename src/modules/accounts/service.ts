// GET /me: the caller's account (auth) with their patient or doctor profile (patients, doctors). Its own
// module, above all three, so identity imports no profile module (docs/architecture.md).
import { AppError, invalidTransition, validation } from '../../platform/errors.ts';
import { nowMs } from '../../platform/clock.ts';
import { audit } from '../../platform/audit.ts';
import { isValidTimezone } from '../../platform/schema.ts';
import type { Executor } from '../../platform/db/index.ts';
import type { Platform } from '../../platform/platform.ts';
import {
  accountOf,
  checkOwnPassword,
  closeAccountRow,
  findAccount,
  lockAccount,
  toUser,
  updateAccount,
  type AccountPatchBody,
  type Actor,
  type RequestMeta,
} from '../auth/index.ts';
import { service as patients } from '../patients/index.ts';
import { service as doctors } from '../doctors/index.ts';
import { clinicalAccess, service as appointments } from '../appointments/index.ts';

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

const CLOSURE_REASON = 'The patient closed their account';

/** GET /me/closure: what closing would do now, for the page to state before the holder confirms. */
export async function closureTerms(p: Platform, meta: RequestMeta & { actor: Actor }) {
  const { actor } = meta;
  const retentionYears = p.config.recordRetentionYears;
  const until = new Date(nowMs(p));
  until.setUTCFullYear(until.getUTCFullYear() + retentionYears);
  const openAppointments =
    actor.role === 'DOCTOR'
      ? await appointments.openAppointmentsOfDoctor(p, p.db, actor.userId)
      : actor.role === 'PATIENT'
        ? await appointments.openAppointmentsOfPatient(p, p.db, actor)
        : 0;
  const refusal =
    actor.role === 'ADMIN' ? ('ADMIN' as const) : actor.role === 'DOCTOR' && openAppointments ? ('OPEN_APPOINTMENTS' as const) : undefined;
  return { allowed: !refusal, ...(refusal ? { refusal } : {}), openAppointments, retentionYears, retainUntil: until.toISOString() };
}

/**
 * POST /me/close: the holder closes their account after giving their password. One transaction: a patient's open
 * appointments are cancelled (both parties mailed while the account is still active), then the account is CLOSED
 * with closed_at and retain_until, every session is revoked and the closing is audited. Nothing is deleted: the
 * record and the audit chain stay for the retention period. An admin may not close their own account (403); a
 * doctor with open appointments is refused (409 INVALID_TRANSITION) until none remain, so no patient is left with
 * a visit nobody will hold.
 */
export async function closeMe(p: Platform, meta: RequestMeta & { actor: Actor }, password: string) {
  const { actor } = meta;
  if (actor.role === 'ADMIN') throw new AppError('FORBIDDEN', 'An admin account is suspended by another admin, not closed by its holder');
  await checkOwnPassword(p, meta, password, 'account.close');
  const out = await p.db.transaction(async (tx) => {
    await lockAccount(tx, actor.userId);
    if (actor.role === 'DOCTOR') {
      const open = await appointments.openAppointmentsOfDoctor(p, tx, actor.userId);
      if (open) throw invalidTransition(`Cancel or complete your ${open} open appointment(s) before closing the account`);
    }
    const cancelled = actor.role === 'PATIENT' ? await appointments.cancelOpenForClosure(p, tx, meta, CLOSURE_REASON) : [];
    const row = await closeAccountRow(tx, actor.userId, p.config.recordRetentionYears);
    if (!row) throw new AppError('UNAUTHENTICATED');
    await audit(tx, meta, {
      action: 'account.close',
      resourceType: 'user',
      resourceId: actor.userId,
      patientId: actor.role === 'PATIENT' ? actor.userId : null,
    });
    return { user: toUser(row), cancelled };
  });
  p.mail.kick();
  await appointments.publishCancelled(p, out.cancelled);
  return { user: out.user };
}

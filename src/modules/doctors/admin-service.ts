import { now } from '../../platform/clock.ts';
import { notFound } from '../../platform/errors.ts';
import { audit } from '../../platform/audit.ts';
import { enqueueMail } from '../../platform/mail.ts';
import { t } from '../../platform/i18n.ts';
import type { Platform } from '../../platform/platform.ts';
import type { Actor, RequestMeta } from '../auth/index.ts';
import { toPage, DEFAULT_LIMIT } from '../../platform/pagination.ts';
import { NAME_CURSOR } from './service.ts';
import { kick as kickInbox, notify } from '../inbox/index.ts';
import * as repo from './repo.ts';
import { toDoctorPrivate, type VerificationBody } from './schemas.ts';

type Authed = RequestMeta & { actor: Actor };

export async function listForAdmin(
  p: Platform,
  meta: Authed,
  q: { verificationStatus?: 'PENDING' | 'VERIFIED' | 'REJECTED'; limit?: number; cursor?: string },
) {
  const limit = q.limit ?? DEFAULT_LIMIT;
  const after = NAME_CURSOR.decode(q.cursor);
  return p.db.transaction(async (tx) => {
    const rows = await repo.listDoctors(tx, { onlyBookable: false, verificationStatus: q.verificationStatus, after, limit });
    await audit(tx, meta, { action: 'doctor.list', resourceType: 'doctor' });
    return toPage(
      rows,
      limit,
      (r) => [r.user.lastname, r.user.firstname, r.doctor.id],
      (r) => toDoctorPrivate(r.user, r.doctor),
    );
  });
}

/** The admins' badge: doctors awaiting verification (a count, no personal data: not audited). */
export async function pendingCount(p: Platform, _meta: Authed): Promise<{ count: number }> {
  return { count: await repo.pendingCount(p.db) };
}

/**
 * An admin's decision on a doctor's credentials. It may be revised at any time (e.g. VERIFIED → REJECTED
 * when a licence lapses); it takes effect on the doctor's next request, and the doctor is told by mail.
 * Appointments already booked are left as they are.
 */
export async function setVerification(p: Platform, meta: Authed, doctorId: string, body: VerificationBody) {
  const result = await p.db.transaction(async (tx) => {
    const row = await repo.findDoctorWithUser(tx, doctorId, false, true);
    if (!row) throw notFound('doctor');
    const verified = body.status === 'VERIFIED';
    await repo.updateDoctor(tx, doctorId, {
      verificationStatus: body.status,
      verificationNote: body.note ?? null,
      verifiedAt: verified ? now(p) : null,
      verifiedBy: meta.actor.userId,
    });
    await audit(tx, meta, { action: 'doctor.verification', resourceType: 'doctor', resourceId: doctorId });
    const l = row.user.locale;
    const paragraphs = verified
      ? [t(l, 'mail.greetingAnonymous'), t(l, 'doctor.verified.body')]
      : [
          t(l, 'mail.greetingAnonymous'),
          t(l, 'doctor.rejected.body'),
          ...(body.note ? [t(l, 'doctor.rejected.note', { note: body.note })] : []),
          t(l, 'doctor.rejected.support'),
        ];
    await enqueueMail(tx, {
      kind: 'doctor-verification',
      to: row.user.email,
      subject: t(l, verified ? 'doctor.verified.subject' : 'doctor.rejected.subject', { clinic: p.mail.brand.name }),
      text: `${paragraphs.join('\n\n')}\n`,
    });
    await notify(p, tx, [{ userId: doctorId, kind: verified ? 'doctor.verified' : 'doctor.rejected' }]);
    const updated = await repo.findDoctorWithUser(tx, doctorId);
    return toDoctorPrivate(updated!.user, updated!.doctor);
  });
  p.mail.kick();
  kickInbox(p);
  return result;
}

import { notFound, validation } from '../../platform/errors.ts';
import { audit } from '../../platform/audit.ts';
import { constraintName, type Executor } from '../../platform/db/index.ts';
import type { Platform } from '../../platform/platform.ts';
import { registerUser, type AccountRow, type Actor, type RegisterDoctorBody, type RequestMeta } from '../auth/index.ts';
import { cursorCodec, toPage, DEFAULT_LIMIT } from '../../platform/pagination.ts';
import { isValidTimezone } from '../../platform/schema.ts';
import { instantOf, optionalInstant } from '../../platform/instant.ts';
import { enqueueMail } from '../../platform/mail.ts';
import { t } from '../../platform/i18n.ts';
import { portalUrl } from '../../platform/portal-pages.ts';
import { kick as kickInbox, notify } from '../inbox/index.ts';
import * as repo from './repo.ts';
import {
  formatHhmm,
  parseHhmm,
  toDoctorPrivate,
  toDoctorPublic,
  type Availability,
  type AvailabilityPutBody,
  type DoctorPrivate,
  type DoctorPatchBody,
  type TimeOffBody,
} from './schemas.ts';

type Authed = RequestMeta & { actor: Actor };
const DAY = 86_400_000;

/** (last name, first name, id): the directory's and a doctor's patient list's order. */
export const NAME_CURSOR = cursorCodec('text', 'text', 'uuid');
const TIME_OFF_CURSOR = cursorCodec('instant', 'uuid');

export async function listPublic(p: Platform, q: { specialization?: string; q?: string; limit?: number; cursor?: string }) {
  const limit = q.limit ?? DEFAULT_LIMIT;
  const after = NAME_CURSOR.decode(q.cursor);
  const rows = await repo.listDirectory(p.db, { specialization: q.specialization, q: q.q, after, limit });
  return toPage(
    rows,
    limit,
    (r) => [r.user.lastname, r.user.firstname, r.doctor.id],
    (r) => toDoctorPublic(r.user, r.doctor),
  );
}

export async function getPublic(p: Platform, id: string) {
  const row = await repo.findDoctorWithUser(p.db, id, true);
  if (!row) throw notFound('doctor');
  return toDoctorPublic(row.user, row.doctor);
}

async function own(ex: Executor, actor: Actor) {
  const row = await repo.findDoctorWithUser(ex, actor.userId);
  if (!row) throw notFound('doctor');
  return row;
}

export async function getMe(p: Platform, meta: Authed) {
  const row = await own(p.db, meta.actor);
  return toDoctorPrivate(row.user, row.doctor);
}

/** The calling doctor's full profile, null without one (GET /me); a doctor's own data, not audited. */
export async function ownProfile(ex: Executor, doctorId: string): Promise<DoctorPrivate | null> {
  const row = await repo.findDoctorWithUser(ex, doctorId);
  return row ? toDoctorPrivate(row.user, row.doctor) : null;
}

/** ownProfile for GET /me, whose session check already read the account: only the doctors row is read. */
export async function ownProfileOf(ex: Executor, account: AccountRow): Promise<DoctorPrivate | null> {
  const doctor = await repo.findDoctor(ex, account.id);
  return doctor ? toDoctorPrivate(account, doctor) : null;
}

function checkTimezone(tz: string | undefined): void {
  if (tz !== undefined && !isValidTimezone(tz)) throw validation('/timezone', 'is not an IANA time zone');
}

export async function patchMe(p: Platform, meta: Authed, body: DoctorPatchBody) {
  checkTimezone(body.timezone);
  return p.db
    .transaction(async (tx) => {
      await repo.updateDoctor(tx, meta.actor.userId, body);
      await audit(tx, meta, { action: 'doctor.update', resourceType: 'doctor', resourceId: meta.actor.userId });
      const row = await own(tx, meta.actor);
      return toDoctorPrivate(row.user, row.doctor);
    })
    .catch((err: unknown) => {
      // The default intake questionnaire must be one of the doctor's own (a composite foreign key).
      if (constraintName(err) === 'doctors_intake_questionnaire_fkey')
        throw validation('/intakeQuestionnaireId', 'is not one of your intake questionnaires');
      throw err;
    });
}

function toAvailability(d: repo.DoctorRow, rules: repo.RuleRow[]): Availability {
  return {
    timezone: d.timezone,
    slotMinutes: d.slotMinutes,
    weekly: rules.map((r) => ({ weekday: r.weekday, start: formatHhmm(r.startMinute), end: formatHhmm(r.endMinute) })),
    minNoticeMinutes: d.minNoticeMinutes,
    maxAdvanceDays: d.maxAdvanceDays,
  };
}

export async function getAvailability(p: Platform, meta: Authed) {
  const row = await own(p.db, meta.actor);
  return toAvailability(row.doctor, await repo.rulesOf(p.db, row.doctor.id));
}

/** Replaces the weekly rules (and optionally the booking settings) in one step. */
export async function putAvailability(p: Platform, meta: Authed, body: AvailabilityPutBody) {
  checkTimezone(body.timezone);
  const rules = body.weekly.map((r, i) => {
    const startMinute = parseHhmm(r.start);
    const endMinute = parseHhmm(r.end);
    if (startMinute >= endMinute) throw validation(`/weekly/${i}/end`, 'must be after start');
    return { weekday: r.weekday, startMinute, endMinute };
  });
  const sorted = [...rules].sort((a, b) => a.weekday - b.weekday || a.startMinute - b.startMinute);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].weekday === sorted[i - 1].weekday && sorted[i].startMinute < sorted[i - 1].endMinute) {
      throw validation('/weekly', `rules of weekday ${sorted[i].weekday} overlap`);
    }
  }
  const { weekly: _weekly, ...settings } = body;
  return p.db.transaction(async (tx) => {
    const before = { doctor: (await own(tx, meta.actor)).doctor, rules: await repo.rulesOf(tx, meta.actor.userId) };
    if (Object.keys(settings).length) await repo.updateDoctor(tx, meta.actor.userId, settings);
    await repo.replaceRules(tx, meta.actor.userId, sorted);
    await p.hooks.doctors.availabilityReplaced.run(p, tx, meta.actor.userId, before);
    await audit(tx, meta, { action: 'doctor.availability.update', resourceType: 'doctor', resourceId: meta.actor.userId });
    const row = await own(tx, meta.actor);
    return toAvailability(row.doctor, await repo.rulesOf(tx, row.doctor.id));
  });
}

const toTimeOff = (r: repo.TimeOffRow) => ({
  id: r.id,
  startsAt: r.startsAt.toISOString(),
  endsAt: r.endsAt.toISOString(),
  reason: r.reason,
  createdAt: r.createdAt.toISOString(),
});

export async function listTimeOff(p: Platform, meta: Authed, q: { from?: string; limit?: number; cursor?: string }) {
  const limit = q.limit ?? DEFAULT_LIMIT;
  const after = TIME_OFF_CURSOR.decode(q.cursor);
  const rows = await repo.listTimeOff(p.db, meta.actor.userId, optionalInstant(q.from) ?? null, after, limit);
  return toPage(rows, limit, (r) => [r.startsAt.toISOString(), r.id], toTimeOff);
}

/** Time off blocks new slots; appointments already booked inside it stay (the doctor cancels them if needed). */
export async function addTimeOff(p: Platform, meta: Authed, body: TimeOffBody) {
  const startsAt = instantOf(body.startsAt);
  const endsAt = instantOf(body.endsAt);
  if (endsAt <= startsAt) throw validation('/endsAt', 'must be after startsAt');
  if (endsAt.getTime() - startsAt.getTime() > 366 * DAY) throw validation('/endsAt', 'must be at most 366 days after startsAt');
  return p.db.transaction(async (tx) => {
    const row = await repo.insertTimeOff(tx, { doctorId: meta.actor.userId, startsAt, endsAt, reason: body.reason ?? null });
    await audit(tx, meta, { action: 'doctor.time_off.create', resourceType: 'time_off', resourceId: row.id });
    return toTimeOff(row);
  });
}

export async function removeTimeOff(p: Platform, meta: Authed, id: string): Promise<void> {
  await p.db.transaction(async (tx) => {
    const removed = await repo.deleteTimeOff(tx, meta.actor.userId, id);
    if (!removed) throw notFound('time off');
    await p.hooks.doctors.timeOffRemoved.run(p, tx, { doctorId: meta.actor.userId, ...removed });
    await audit(tx, meta, { action: 'doctor.time_off.delete', resourceType: 'time_off', resourceId: id });
  });
}

/** POST /auth/register/doctor: the account (auth) and the doctor's profile (verification PENDING), in one transaction. */
export async function register(p: Platform, meta: RequestMeta, body: RegisterDoctorBody) {
  checkTimezone(body.timezone);
  const { user, profile } = await registerUser(p, meta, body, 'DOCTOR', async (tx, u) => {
    const doctor = await repo.insertDoctor(tx, {
      id: u.id,
      specialization: body.specialization,
      licenseNumber: body.licenseNumber,
      bio: body.bio ?? '',
      timezone: body.timezone,
    });
    await announceRegistration(p, tx, u);
    return toDoctorPrivate(u, doctor);
  });
  kickInbox(p);
  return { user, doctor: profile };
}

/** More admins than this are not mailed one by one (a clinic has a handful; the badge and the list still show it). */
const MAX_ADMINS_TOLD = 100;

/**
 * Every active admin is told a doctor awaits verification, in the registration's transaction: a mail through
 * the outbox (the doctor's name and a link to the admin's doctor list, nothing of the credentials) and an entry
 * in their notification list.
 */
async function announceRegistration(p: Platform, tx: Executor, u: { id: string; firstname: string; lastname: string }): Promise<void> {
  const admins = await repo.activeAdmins(tx, MAX_ADMINS_TOLD);
  const name = `${u.firstname} ${u.lastname}`;
  const url = portalUrl(p.config.publicUrl, 'adminDoctors', {}, { status: 'PENDING' });
  for (const a of admins) {
    await enqueueMail(tx, {
      kind: 'doctor.registered',
      to: a.email,
      subject: t(a.locale, 'doctor.registered.subject', { name }),
      text: [
        t(a.locale, 'mail.greeting', { name: `${a.firstname} ${a.lastname}` }),
        '',
        t(a.locale, 'doctor.registered.body', { name }),
        '',
        url,
      ].join('\n'),
    });
  }
  await notify(
    p,
    tx,
    admins.map((a) => ({ userId: a.id, kind: 'doctor.registered' as const, personId: u.id })),
  );
}

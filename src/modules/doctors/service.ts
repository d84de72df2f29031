import { notFound, validation } from '../../platform/errors.ts';
import { audit } from '../../platform/audit.ts';
import type { Executor } from '../../platform/db/index.ts';
import type { Platform } from '../../platform/platform.ts';
import type { AccountRow, Actor, RequestMeta } from '../auth/index.ts';
import { cursorCodec, toPage, DEFAULT_LIMIT } from '../../platform/pagination.ts';
import { ageOn, isValidTimezone } from '../../platform/schema.ts';
import { instantOf, optionalInstant } from '../../platform/instant.ts';
import { now, nowMs } from '../../platform/clock.ts';
import * as repo from './repo.ts';
import { formatHhmm, freeSlots, isoOf, parseHhmm, type Interval } from './slots.ts';
import { offerFreedTime, offerOpenedAvailability } from '../waitlist/index.ts';
import {
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
export const MAX_SLOT_WINDOW_DAYS = 31;
/** Contract: at most 1,000 slots per response; a wider window is refused so the answer stays small and cheap. */
export const MAX_SLOTS_PER_RESPONSE = 1000;

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
  return p.db.transaction(async (tx) => {
    await repo.updateDoctor(tx, meta.actor.userId, body);
    await audit(tx, meta, { action: 'doctor.update', resourceType: 'doctor', resourceId: meta.actor.userId });
    const row = await own(tx, meta.actor);
    return toDoctorPrivate(row.user, row.doctor);
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
    await offerOpenedAvailability(p, tx, meta.actor.userId, before);
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
    await offerFreedTime(p, tx, { doctorId: meta.actor.userId, ...removed });
    await audit(tx, meta, { action: 'doctor.time_off.delete', resourceType: 'time_off', resourceId: id });
  });
}

/** The doctor's free slots in [from, to); `exceptAppointmentId` treats that appointment's time as free (reschedule). */
export async function computeFreeSlots(
  ex: Executor,
  doctor: repo.DoctorRow,
  from: number,
  to: number,
  now: number,
  exceptAppointmentId?: string,
  limit?: number,
): Promise<Interval[]> {
  const [rules, busy] = await Promise.all([
    repo.rulesOf(ex, doctor.id),
    repo.busyIntervals(ex, doctor.id, new Date(from), new Date(to + doctor.slotMinutes * 60_000), exceptAppointmentId),
  ]);
  return freeSlots({
    timezone: doctor.timezone,
    slotMinutes: doctor.slotMinutes,
    rules,
    from,
    to,
    now,
    minNoticeMinutes: doctor.minNoticeMinutes,
    maxAdvanceDays: doctor.maxAdvanceDays,
    busy,
    limit,
  });
}

/** The free slots in [from, to) of a doctor whose slot data (rules, busy intervals) is already read. */
export function slotsOf(data: repo.SlotData, from: number, to: number, now: number, limit?: number): Interval[] {
  return freeSlots({
    timezone: data.timezone,
    slotMinutes: data.slotMinutes,
    rules: data.rules,
    from,
    to,
    now,
    minNoticeMinutes: data.minNoticeMinutes,
    maxAdvanceDays: data.maxAdvanceDays,
    busy: data.busy,
    limit,
  });
}

export async function slots(p: Platform, doctorId: string, q: { from?: string; to?: string }) {
  const now = nowMs(p);
  const from = q.from ? instantOf(q.from).getTime() : now;
  const to = q.to ? instantOf(q.to).getTime() : from + 7 * DAY;
  if (to <= from) throw validation('/to', 'must be after from');
  if (to - from > MAX_SLOT_WINDOW_DAYS * DAY) throw validation('/to', `the window must not exceed ${MAX_SLOT_WINDOW_DAYS} days`);
  // One statement: the doctor if bookable, their rules and what is busy in the window.
  const data = await repo.slotData(p.db, doctorId, new Date(from), new Date(to));
  if (!data) throw notFound('doctor');
  const free = slotsOf(data, from, to, now, MAX_SLOTS_PER_RESPONSE + 1);
  if (free.length > MAX_SLOTS_PER_RESPONSE) {
    // The first slot that does not fit is where a narrower window may end.
    const fits = new Date(free[MAX_SLOTS_PER_RESPONSE].start).toISOString();
    throw validation('/to', `the window holds more than ${MAX_SLOTS_PER_RESPONSE} slots; narrow it (to=${fits} fits)`);
  }
  return free.map((s) => ({ startsAt: isoOf(s.start), endsAt: isoOf(s.end) }));
}

/** Patients in a care relationship; each one listed is an access to their data, so each is audited. */
export async function myPatients(p: Platform, meta: Authed, q: { limit?: number; cursor?: string }) {
  const limit = q.limit ?? DEFAULT_LIMIT;
  const after = NAME_CURSOR.decode(q.cursor);
  return p.db.transaction(async (tx) => {
    const rows = await repo.carePatients(tx, meta.actor.userId, p.config.careRelationshipDays, now(p), after, limit);
    const page = toPage(
      rows,
      limit,
      (r) => [r.user.lastname, r.user.firstname, r.patient.id],
      (r) => ({
        id: r.patient.id,
        firstname: r.user.firstname,
        lastname: r.user.lastname,
        dateOfBirth: r.patient.dateOfBirth,
        age: ageOn(r.patient.dateOfBirth),
        gender: r.patient.gender,
        lateCancellations: 0,
        noShows: 0,
      }),
    );
    const counts = await repo.agendaCounts(
      tx,
      meta.actor.userId,
      page.items.map((i) => i.id),
    );
    for (const item of page.items) Object.assign(item, counts.get(item.id));
    for (const item of page.items) {
      await audit(tx, meta, { action: 'patient.list', resourceType: 'patient', resourceId: item.id, patientId: item.id });
    }
    return page;
  });
}

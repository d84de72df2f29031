import { AppError, forbidden, invalidTransition, notFound, validation, type ErrorCode } from '../../platform/errors.ts';
import { randomUUID } from 'node:crypto';
import { audit, auditValues } from '../../platform/audit.ts';
import { constraintName, sqlState, type Executor } from '../../platform/db/index.ts';
import { isTransientConflict, retryingTransaction } from '../../platform/db/retry.ts';
import type { Platform } from '../../platform/platform.ts';
import type { Actor, RequestMeta } from '../auth/index.ts';
import { cursorCodec, toPage, DEFAULT_LIMIT } from '../../platform/pagination.ts';
import { instantOf, optionalInstant } from '../../platform/instant.ts';
import { nowMs } from '../../platform/clock.ts';
import { findDoctorWithUser } from '../doctors/index.ts';
import { slotsOf } from './free-slots.ts';
import type { AppointmentChange } from './hooks.ts';
import { claim, ClaimRace, remember, requestHash } from './idempotency.ts';
import { notify } from '../inbox/index.ts';
import * as repo from './repo.ts';
import { clinicalAccess, clinicalAudience } from './access.ts';
import { toAppointment, type Appointment, type BookBody } from './schemas.ts';

type Authed = RequestMeta & { actor: Actor };
const LIST_CURSOR = cursorCodec('instant', 'uuid');

/**
 * This module's constraints whose violation is the client's conflict, never a 500 (a lost race on either
 * exclusion constraint): buildApp registers them with the platform's error mapper.
 */
export const constraintErrors = {
  appointments_doctor_no_overlap: 'SLOT_UNAVAILABLE',
  appointments_patient_no_overlap: 'SLOT_UNAVAILABLE',
} as const satisfies Record<string, ErrorCode>;

const slotTaken = () =>
  new AppError('SLOT_UNAVAILABLE', 'That time is not a free slot of this doctor (outside availability, too soon, too far ahead or taken)');

function overlapError(err: unknown): AppError | null {
  if (sqlState(err) !== '23P01') return null;
  return constraintName(err) === 'appointments_patient_no_overlap'
    ? new AppError('SLOT_UNAVAILABLE', 'The patient already has an appointment at that time')
    : new AppError('SLOT_UNAVAILABLE', 'That time has just been taken');
}

/**
 * Runs a transaction, again if PostgreSQL broke a deadlock or a serialization conflict. Two inserts
 * racing for one slot may each wait for the other inside the exclusion-constraint check; the loser
 * of that deadlock retries, sees the winner's appointment and answers 409.
 */
function retrying<T>(p: Platform, work: (tx: Executor) => Promise<T>): Promise<T> {
  return retryingTransaction(p.db, work, {
    translate: overlapError,
    retryOn: (err) => err instanceof ClaimRace || isTransientConflict(err),
    exhausted: slotTaken,
  });
}

async function publish(p: Platform, a: Appointment, doctorStatus: string | null): Promise<void> {
  try {
    // The frame names the patient: it reaches the doctor only while their credentials are verified.
    await p.bus.publish(clinicalAudience(a, doctorStatus), { type: 'appointment.updated', appointment: a });
  } catch (err) {
    p.log.warn({ err: (err as Error).message }, 'appointment event not published');
  }
}

/** The doctor if bookable, and whether `startsAt` is exactly the start of one of their free slots. */
async function slotOf(p: Platform, tx: Executor, doctorId: string, startsAt: number, exceptId?: string) {
  const data = await repo.slotData(tx, doctorId, new Date(startsAt), new Date(startsAt + 1), exceptId);
  if (!data) return { doctor: null, free: false };
  return { doctor: data, free: slotsOf(data, startsAt, startsAt + 1, nowMs(p)).some((s) => s.start === startsAt) };
}

/**
 * Contract: a patient holds at most `bookingMaxOpen` open (PENDING/CONFIRMED, future) appointments in
 * all and `bookingMaxOpenPerDoctor` with one doctor. The patient's row is locked before counting, so
 * concurrent bookings of one patient are counted one after another and the limit holds under a race.
 * Anything that creates an open appointment for a patient (booking, a waitlist offer accepted) calls this
 * in its transaction; `exceptId` leaves out an appointment being moved.
 */
export async function assertBookingLimits(
  p: Platform,
  tx: Executor,
  patientId: string,
  doctorId: string,
  exceptId?: string,
): Promise<void> {
  await repo.lockPatient(tx, patientId);
  const open = await repo.countOpen(tx, patientId, doctorId, new Date(nowMs(p)), exceptId);
  checkLimits(p, open.total, open.withDoctor);
}

function checkLimits(p: Platform, total: number, withDoctor: number): void {
  if (total >= p.config.bookingMaxOpen) {
    throw new AppError('BOOKING_LIMIT_REACHED', `A patient may hold at most ${p.config.bookingMaxOpen} open appointments`);
  }
  if (withDoctor >= p.config.bookingMaxOpenPerDoctor) {
    throw new AppError(
      'BOOKING_LIMIT_REACHED',
      `A patient may hold at most ${p.config.bookingMaxOpenPerDoctor} open appointments with one doctor`,
    );
  }
}

/**
 * The doctor's cancellation notice: a patient may not cancel or move an appointment later than
 * `cancellationNoticeHours` before it starts (0: no notice required).
 */
async function requireNotice(p: Platform, tx: Executor, a: repo.AppointmentRow, verb: string): Promise<void> {
  const row = await findDoctorWithUser(tx, a.doctorId);
  const hours = row?.doctor.cancellationNoticeHours ?? 0;
  if (hours > 0 && nowMs(p) > a.startsAt.getTime() - hours * 3_600_000) {
    throw new AppError(
      'CANCELLATION_WINDOW_PASSED',
      `This doctor asks patients to ${verb} at least ${hours} hours before the start; contact the doctor instead`,
    );
  }
}

export interface BookResult {
  statusCode: number;
  body: Appointment;
  replayed: boolean;
}

/**
 * Books in as few statements as correctness allows: lock the patient (the limit's serialisation point),
 * one SELECT for the doctor, their rules, what is busy, both contacts, the patient's open counts and the
 * transaction's now(), the real-time NOTIFY in the same transaction, and one INSERT of the appointment
 * with its audit event, mails and reminders. The exclusion constraints stay the judge of overlaps (a lost race fails the INSERT).
 */
export async function book(p: Platform, meta: Authed, body: BookBody, idempotencyKey?: string): Promise<BookResult> {
  const startsAt = instantOf(body.startsAt).getTime();
  const patientId = meta.actor.userId;
  const hash = requestHash(body);
  let deliver: (() => void) | null = null;
  const result = await retrying(p, async (tx): Promise<BookResult> => {
    deliver = null;
    if (idempotencyKey) {
      const replay = await claim(tx, patientId, idempotencyKey, hash);
      if (replay) {
        const a = replay.body as Appointment;
        await audit(tx, meta, { action: 'appointment.read', resourceType: 'appointment', resourceId: a.id, patientId });
        return { statusCode: replay.statusCode, body: a, replayed: true };
      }
    }
    await repo.lockPatient(tx, patientId);
    const now = nowMs(p);
    const check = await repo.bookingCheck(tx, body.doctorId, patientId, new Date(startsAt), new Date(now));
    // Unknown, unverified or suspended doctors are not bookable and, to a patient, do not exist.
    if (!check) throw notFound('doctor');
    checkLimits(p, check.openTotal, check.openWithDoctor);
    if (!slotsOf(check, startsAt, startsAt + 1, now).some((s) => s.start === startsAt)) throw slotTaken();
    const row = {
      id: randomUUID(),
      patientId,
      doctorId: check.id,
      startsAt: new Date(startsAt),
      endsAt: new Date(startsAt + check.slotMinutes * 60_000),
      status: check.autoConfirm ? ('CONFIRMED' as const) : ('PENDING' as const),
      reason: body.reason ?? null,
      cancellationReason: null,
      cancelledBy: null,
      sequence: 0,
      lateCancellation: false,
      // now() of this transaction, which the INSERT's defaults will write: the answer is known before it.
      createdAt: check.txNow,
      updatedAt: check.txNow,
      holdExpiresAt: null,
    } satisfies repo.AppointmentRow;
    const parties = { appointment: row, doctor: { ...check.doctorContact, timezone: check.timezone }, patient: check.patientContact };
    const notices = p.hooks.appointments.bookingNotices.get();
    const outbox = notices.outbox(p, parties, meta.actor);
    const person = (c: { id: string; firstname: string; lastname: string }) => ({ id: c.id, firstname: c.firstname, lastname: c.lastname });
    const a = toAppointment({ ...row, doctor: person(check.doctorContact), patient: person(check.patientContact) });
    // The idempotency record goes first: the INSERT writes the audit event, whose chain head stays locked
    // until COMMIT, so it is the last statement. The NOTIFY (delivered at commit, dropped on rollback) and
    // the INSERT both leave with the COMMIT, in this order (runWithCommit): one round trip for the three.
    deliver = await p.bus.publishIn(tx, [a.patientId, a.doctorId], { type: 'appointment.updated', appointment: a });
    if (idempotencyKey) await remember(tx, patientId, idempotencyKey, 201, a);
    const entry = { action: 'appointment.create', resourceType: 'appointment', resourceId: row.id, patientId };
    await repo.insertBooking(tx, notices.reminders, row, auditValues(meta, entry)!, outbox.mails, outbox.reminders);
    // The doctor's notification list (not the patient's: they booked it). Deferred to the COMMIT after the
    // booking's INSERT, which it points at: no round trip more on this hot path.
    await notify(p, tx, [{ userId: row.doctorId, kind: 'appointment.booked', appointmentId: row.id, personId: patientId }], patientId);
    return { statusCode: 201, body: a, replayed: false };
  });
  if (!result.replayed) {
    p.mail.kick();
    // The booking is committed: a failing local delivery is only logged, as publish() did.
    try {
      (deliver as (() => void) | null)?.();
    } catch (err) {
      p.log.warn({ err: (err as Error).message }, 'appointment event not published');
    }
  }
  return result;
}

export async function getOne(p: Platform, meta: Authed, id: string): Promise<Appointment> {
  return p.db.transaction(async (tx) => {
    const v = await repo.findVisible(tx, id, clinicalAccess(p, meta.actor, 'records'));
    if (!v) throw notFound('appointment');
    await audit(tx, meta, { action: 'appointment.read', resourceType: 'appointment', resourceId: id, patientId: v.patientId });
    return toAppointment(v);
  });
}

export async function list(
  p: Platform,
  meta: Authed,
  q: { status?: string; from?: string; to?: string; patientId?: string; limit?: number; cursor?: string },
) {
  const limit = q.limit ?? DEFAULT_LIMIT;
  const after = LIST_CURSOR.decode(q.cursor);
  const grant = clinicalAccess(p, meta.actor, 'records', q.patientId ?? null);
  return p.db.transaction(async (tx) => {
    const rows = await repo.listVisible(tx, grant, {
      status: q.status as repo.AppointmentStatus | undefined,
      from: optionalInstant(q.from),
      to: optionalInstant(q.to),
      after,
      limit,
    });
    const page = toPage(rows, limit, (r) => [r.startsAt.toISOString(), r.id], toAppointment);
    // One event per patient whose appointments were shown, so each patient's access log is complete;
    // an empty page disclosed nothing about anyone and is recorded against no patient.
    const patientIds = [...new Set(page.items.map((a) => a.patientId))];
    if (!patientIds.length) await audit(tx, meta, { action: 'appointment.list', resourceType: 'appointment' });
    for (const patientId of patientIds) await audit(tx, meta, { action: 'appointment.list', resourceType: 'appointment', patientId });
    return page;
  });
}

type Action = 'confirm' | 'cancel' | 'reschedule' | 'complete' | 'no_show';

/** Changes mailed to the other party with a new version (SEQUENCE) of the calendar invitation. */
const MAILED: Partial<Record<Action, AppointmentChange>> = { confirm: 'confirmed', cancel: 'cancelled', reschedule: 'rescheduled' };

/**
 * One guarded transition: lock the row (404 if the caller may not see it), check who may act and from
 * which status, apply, audit, commit, then tell both parties.
 */
async function transition(
  p: Platform,
  meta: Authed,
  id: string,
  action: Action,
  apply: (tx: Executor, a: repo.AppointmentRow) => Promise<Partial<repo.AppointmentRow>>,
): Promise<Appointment> {
  const grant = clinicalAccess(p, meta.actor, 'records');
  const out = await retrying(p, async (tx) => {
    const a = await repo.lockVisible(tx, id, grant);
    if (!a) throw notFound('appointment');
    const patch = await apply(tx, a);
    const change = MAILED[action];
    await repo.updateAppointment(tx, id, change ? { ...patch, sequence: a.sequence + 1 } : patch);
    // The old time is free now (cancelled, or moved away): the waitlist may hold it for the next in line.
    if (action === 'cancel' || action === 'reschedule') await p.hooks.appointments.timeFreed.run(p, tx, a);
    await audit(tx, meta, { action: `appointment.${action}`, resourceType: 'appointment', resourceId: id, patientId: a.patientId });
    if (change) await p.hooks.appointments.changed.run(p, tx, id, change, meta.actor);
    // Whether the frame may go to the doctor: their credentials now (the acting doctor's were just checked).
    const doctorStatus =
      meta.actor.userId === a.doctorId
        ? meta.actor.doctorStatus
        : ((await findDoctorWithUser(tx, a.doctorId))?.doctor.verificationStatus ?? null);
    return { a: toAppointment(await repo.findView(tx, id, grant)), doctorStatus };
  });
  if (MAILED[action]) p.mail.kick();
  await publish(p, out.a, out.doctorStatus);
  return out.a;
}

function requireStatus(a: repo.AppointmentRow, allowed: repo.StoredStatus[], action: string): void {
  if (!allowed.includes(a.status)) throw invalidTransition(`Cannot ${action} an appointment that is ${a.status}`);
}

function requireOwnDoctor(meta: Authed, a: repo.AppointmentRow, action: string): void {
  if (meta.actor.userId !== a.doctorId) throw forbidden(`Only the appointment's doctor may ${action} it`);
}

export const confirm = (p: Platform, meta: Authed, id: string) =>
  transition(p, meta, id, 'confirm', async (_tx, a) => {
    requireOwnDoctor(meta, a, 'confirm');
    requireStatus(a, ['PENDING'], 'confirm');
    return { status: 'CONFIRMED' };
  });

export const cancel = (p: Platform, meta: Authed, id: string, reason?: string) =>
  transition(p, meta, id, 'cancel', async (tx, a) => {
    requireStatus(a, ['PENDING', 'CONFIRMED'], 'cancel');
    // Only the patient is held to the notice; the doctor or an admin cancelling late is not the patient's lateness.
    const byPatient = meta.actor.userId === a.patientId;
    if (byPatient) await requireNotice(p, tx, a, 'cancel');
    const late = byPatient && a.startsAt.getTime() - nowMs(p) < p.config.lateCancellationHours * 3_600_000;
    return { status: 'CANCELLED', cancellationReason: reason ?? null, cancelledBy: meta.actor.userId, lateCancellation: late };
  });

/** Completion and no-show describe a visit that has begun. */
const finish = (action: 'complete' | 'no_show', status: 'COMPLETED' | 'NO_SHOW') => (p: Platform, meta: Authed, id: string) =>
  transition(p, meta, id, action, async (_tx, a) => {
    const verb = action === 'complete' ? 'complete' : 'mark as no-show';
    requireOwnDoctor(meta, a, verb);
    requireStatus(a, ['CONFIRMED'], verb);
    if (nowMs(p) < a.startsAt.getTime()) throw invalidTransition(`Cannot ${verb} an appointment before it starts`);
    return { status };
  });
export const complete = finish('complete', 'COMPLETED');
export const noShow = finish('no_show', 'NO_SHOW');

/**
 * Moves the appointment in one transaction: if the new slot cannot be had, nothing changes and the
 * old slot stays held. The doctor moving it confirms it; the patient moving it needs the doctor's
 * confirmation again unless the doctor auto-confirms.
 */
export const reschedule = (p: Platform, meta: Authed, id: string, startsAtIso: string) =>
  transition(p, meta, id, 'reschedule', async (tx, a) => {
    if (meta.actor.role === 'ADMIN') throw forbidden('Only the patient or the doctor may reschedule');
    requireStatus(a, ['PENDING', 'CONFIRMED'], 'reschedule');
    if (meta.actor.userId === a.patientId) {
      await requireNotice(p, tx, a, 'reschedule');
      // Moving an appointment whose start has passed into the future opens one more: count it.
      if (a.startsAt.getTime() <= nowMs(p)) await assertBookingLimits(p, tx, a.patientId, a.doctorId, a.id);
    }
    const startsAt = instantOf(startsAtIso).getTime();
    if (startsAt === a.startsAt.getTime()) throw validation('/startsAt', 'is the current start of the appointment');
    const { doctor, free } = await slotOf(p, tx, a.doctorId, startsAt, a.id);
    if (!doctor || !free) throw slotTaken();
    const byDoctor = meta.actor.userId === a.doctorId;
    return {
      startsAt: new Date(startsAt),
      endsAt: new Date(startsAt + doctor.slotMinutes * 60_000),
      status: byDoctor || doctor.autoConfirm ? 'CONFIRMED' : 'PENDING',
    };
  });

/**
 * A patient closing their account: every open appointment of theirs is cancelled in the closing transaction
 * `tx` (no notice applies: the account ends, not a visit), each freed for the waitlist, audited and mailed to
 * both parties exactly as a cancellation by the patient (the mails are queued before the account's status
 * changes, so the patient is told too). Returns what to publish once `tx` commits (`publishCancelled`).
 */
export async function cancelOpenForClosure(p: Platform, tx: Executor, meta: Authed, reason: string) {
  const grant = clinicalAccess(p, meta.actor, 'records', meta.actor.userId);
  const cancelled: Array<{ a: Appointment; doctorStatus: string | null }> = [];
  for (const a of await repo.lockOpenVisible(tx, grant, new Date(nowMs(p)))) {
    await repo.updateAppointment(tx, a.id, {
      status: 'CANCELLED',
      cancellationReason: reason,
      cancelledBy: meta.actor.userId,
      lateCancellation: false,
      sequence: a.sequence + 1,
    });
    await p.hooks.appointments.timeFreed.run(p, tx, a);
    await audit(tx, meta, { action: 'appointment.cancel', resourceType: 'appointment', resourceId: a.id, patientId: a.patientId });
    await p.hooks.appointments.changed.run(p, tx, a.id, 'cancelled', meta.actor);
    const doctorStatus = (await findDoctorWithUser(tx, a.doctorId))?.doctor.verificationStatus ?? null;
    cancelled.push({ a: toAppointment(await repo.findView(tx, a.id, grant)), doctorStatus });
  }
  return cancelled;
}

/** After the closing transaction committed: the cancellations go out over the real-time bus. */
export async function publishCancelled(p: Platform, cancelled: Array<{ a: Appointment; doctorStatus: string | null }>): Promise<void> {
  for (const c of cancelled) await publish(p, c.a, c.doctorStatus);
}

/** Whether a doctor still has open appointments (a doctor's account closes only once none remain). */
export const openAppointmentsOfDoctor = (p: Platform, ex: Executor, doctorId: string) =>
  repo.countOpenOfDoctor(ex, doctorId, new Date(nowMs(p)));

/** A patient's own open, not yet ended appointments: what closing their account would cancel. */
export async function openAppointmentsOfPatient(p: Platform, ex: Executor, actor: Actor): Promise<number> {
  return repo.countOpenVisible(ex, clinicalAccess(p, actor, 'records', actor.userId), new Date(nowMs(p)));
}

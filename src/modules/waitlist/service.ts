import { AppError, notFound, validation } from '../../platform/errors.ts';
import { audit } from '../../platform/audit.ts';
import type { Executor } from '../../platform/db/index.ts';
import type { Platform } from '../../platform/platform.ts';
import type { Actor, RequestMeta } from '../auth/index.ts';
import { cursorCodec, toPage, DEFAULT_LIMIT } from '../../platform/pagination.ts';
import { nowMs } from '../../platform/clock.ts';
import { findDoctorWithUser } from '../doctors/index.ts';
import {
  MAX_SLOT_WINDOW_DAYS,
  assertBookingLimits,
  clinicalAccess,
  convertHold,
  findView as findAppointmentView,
  toAppointment,
  type Appointment,
} from '../appointments/index.ts';
import { service as notifications } from '../notifications/index.ts';
import * as repo from './repo.ts';
import { toEntry, type Entry, type JoinBody } from './schemas.ts';
import { kickWaitlist, releaseOffer } from './worker.ts';
import { retryingTransaction } from '../../platform/db/retry.ts';

export { offerFreedTime, offerOpenedAvailability } from './offers.ts';

type Authed = RequestMeta & { actor: Actor };
const ENTRY_CURSOR = cursorCodec('int');
const DAY = 86_400_000;

const offerExpired = () => new AppError('WAITLIST_OFFER_EXPIRED', 'This offer was taken, declined or has timed out');

/** An instant the schema let through but JavaScript cannot represent (a leap second) is the client's mistake. */
function instant(path: string, value: string): number {
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw validation(path, 'is not a representable instant');
  return t;
}

export async function join(p: Platform, meta: Authed, body: JoinBody): Promise<Entry> {
  const from = instant('/from', body.from);
  const to = instant('/to', body.to);
  if (to <= from) throw validation('/to', 'must be after from');
  if (to - from > MAX_SLOT_WINDOW_DAYS * DAY) throw validation('/to', `the window must not exceed ${MAX_SLOT_WINDOW_DAYS} days`);
  if (to <= nowMs(p)) throw validation('/to', 'must be in the future');
  const patientId = meta.actor.userId;
  return p.db.transaction(async (tx) => {
    // Unknown, unverified or suspended doctors cannot be booked, so nobody waits for them either.
    if (!(await findDoctorWithUser(tx, body.doctorId, true))) throw notFound('doctor');
    await assertWaitlistLimits(p, tx, patientId, body.doctorId);
    const id = await repo.insertEntry(tx, { patientId, doctorId: body.doctorId, fromAt: new Date(from), toAt: new Date(to) });
    await audit(tx, meta, { action: 'waitlist.create', resourceType: 'waitlist_entry', resourceId: id, patientId });
    return toEntry(await repo.findView(tx, id));
  });
}

/** Lists per patient are bounded, so one account cannot queue ahead of everyone on every doctor's list. */
async function assertWaitlistLimits(p: Platform, tx: Executor, patientId: string, doctorId: string): Promise<void> {
  await repo.lockPatientJoins(tx, patientId);
  const live = await repo.countLive(tx, patientId, doctorId, new Date(nowMs(p)));
  if (live.total >= p.config.waitlistMaxEntries) {
    throw new AppError('WAITLIST_LIMIT_REACHED', `A patient may wait on at most ${p.config.waitlistMaxEntries} lists`);
  }
  if (live.withDoctor >= p.config.waitlistMaxEntriesPerDoctor) {
    throw new AppError(
      'WAITLIST_LIMIT_REACHED',
      `A patient may wait on at most ${p.config.waitlistMaxEntriesPerDoctor} list${p.config.waitlistMaxEntriesPerDoctor === 1 ? '' : 's'} of one doctor`,
    );
  }
}

export async function list(p: Platform, meta: Authed, q: { status?: repo.EntryStatus; limit?: number; cursor?: string }) {
  const limit = q.limit ?? DEFAULT_LIMIT;
  const after = ENTRY_CURSOR.decode(q.cursor);
  return p.db.transaction(async (tx) => {
    const rows = await repo.listVisible(tx, meta.actor, { status: q.status, afterSeq: after ? after[0] : null, limit });
    const page = toPage(rows, limit, (r) => [r.seq], toEntry);
    // A doctor's list discloses that these patients wait for them: one event per patient shown.
    const patientIds = meta.actor.role === 'PATIENT' ? [meta.actor.userId] : [...new Set(page.items.map((e) => e.patientId))];
    for (const patientId of patientIds) await audit(tx, meta, { action: 'waitlist.list', resourceType: 'waitlist_entry', patientId });
    return page;
  });
}

/** Leaving the list withdraws a live offer of the entry; its slot goes to the next in line. */
export async function remove(p: Platform, meta: Authed, id: string): Promise<void> {
  const patientId = meta.actor.userId;
  await retryingTransaction(p.db, async (tx) => {
    const entry = await repo.lockOwnEntry(tx, id, patientId);
    if (!entry) throw notFound('waitlist entry');
    await repo.setEntryStatus(tx, id, 'REMOVED');
    const offer = await repo.lockLiveOfferOfEntry(tx, id);
    if (offer) await releaseOffer(p, tx, offer, 'WITHDRAWN');
    await audit(tx, meta, { action: 'waitlist.delete', resourceType: 'waitlist_entry', resourceId: id, patientId });
  });
  kickWaitlist(p);
}

type Outcome<T> = { ok: true; value: T } | { ok: false };

/**
 * Locks the caller's offer and decides whether it is still live. One that ran out but was not swept yet
 * is expired here, in the same transaction, so the answer and the state agree whoever comes first: this
 * request or the sweeper on any instance (the row lock orders them).
 */
async function liveOffer(p: Platform, tx: Executor, id: string, patientId: string) {
  const offer = await repo.lockOwnOffer(tx, id, patientId);
  if (!offer) throw notFound('offer');
  if (offer.status !== 'OFFERED') return null;
  if (offer.expiresAt.getTime() <= nowMs(p)) {
    await releaseOffer(p, tx, offer, 'EXPIRED');
    return null;
  }
  return offer;
}

export async function accept(p: Platform, meta: Authed, offerId: string, reason?: string): Promise<Appointment> {
  const patientId = meta.actor.userId;
  const out = await retryingTransaction(p.db, async (tx): Promise<Outcome<Appointment>> => {
    const offer = await liveOffer(p, tx, offerId, patientId);
    if (!offer || !offer.holdId) return { ok: false };
    const doctor = await findDoctorWithUser(tx, offer.doctorId, true);
    if (!doctor) {
      // The doctor can no longer be booked (credentials withdrawn, account suspended): the hold lapses.
      await releaseOffer(p, tx, offer, 'WITHDRAWN');
      return { ok: false };
    }
    // An accepted offer is a booking: the patient's open-appointment limits apply as to POST /appointments.
    await assertBookingLimits(p, tx, patientId, offer.doctorId);
    if (!(await convertHold(tx, offer.holdId, doctor.doctor.autoConfirm ? 'CONFIRMED' : 'PENDING', reason ?? null))) return { ok: false };
    await repo.resolveOffer(tx, offer.id, 'ACCEPTED');
    await repo.setEntryStatus(tx, offer.entryId, 'BOOKED');
    await audit(tx, meta, { action: 'appointment.create', resourceType: 'appointment', resourceId: offer.holdId, patientId });
    await notifications.appointmentChanged(p, tx, offer.holdId, 'booked', meta.actor);
    return { ok: true, value: toAppointment(await findAppointmentView(tx, offer.holdId, clinicalAccess(p, meta.actor, 'records'))) };
  });
  kickWaitlist(p);
  if (!out.ok) throw offerExpired();
  p.mail.kick();
  try {
    await p.bus.publish([out.value.patientId, out.value.doctorId], { type: 'appointment.updated', appointment: out.value });
  } catch (err) {
    p.log.warn({ err: (err as Error).message }, 'appointment event not published');
  }
  return out.value;
}

export async function decline(p: Platform, meta: Authed, offerId: string): Promise<void> {
  const patientId = meta.actor.userId;
  const declined = await retryingTransaction(p.db, async (tx) => {
    const offer = await liveOffer(p, tx, offerId, patientId);
    if (!offer) return false;
    await releaseOffer(p, tx, offer, 'DECLINED');
    await audit(tx, meta, { action: 'waitlist.offer.decline', resourceType: 'waitlist_offer', resourceId: offer.id, patientId });
    return true;
  });
  kickWaitlist(p);
  if (!declined) throw offerExpired();
}

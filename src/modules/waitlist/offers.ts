// Offering freed time to the waitlist. Everything here runs inside the caller's transaction (the cancel,
// reschedule, time-off removal, availability change, decline or expiry that freed the time), so a slot
// is never free between the change and its hold: a concurrent booking sees either the old appointment
// or the hold, and the exclusion constraints refuse whatever slips past.
import { constraintName, sqlState, type Executor } from '../../platform/db/index.ts';
import { enqueueMail } from '../../platform/mail.ts';
import { portalUrl } from '../../platform/portal-pages.ts';
import { instantText, t } from '../../platform/i18n.ts';
import type { Platform } from '../../platform/platform.ts';
import { nowMs } from '../../platform/clock.ts';
import { findDoctorWithUser, type DoctorRow, type FreedTime, type RuleRow } from '../doctors/index.ts';
import { computeFreeSlots, freeSlots, HoldRefused, placeHold, type Interval } from '../appointments/index.ts';
import * as repo from './repo.ts';
import { notify } from '../inbox/index.ts';

const MINUTE = 60_000;
/** Up to this many free slots are probed one by one; more are first narrowed to the waiting windows. */
const FEW_SLOTS = 4;
/** Bound on the work of one change (a year of time off removed): later slots wait for the next change. */
const MAX_PROBES = 500;

/**
 * Subscribed to appointments' timeFreed (cancel, reschedule away) and doctors' timeOffRemoved, run inside the transaction
 * that freed the time, after the change: each free slot starting in it goes to the first in line.
 */
export async function offerFreedTime(p: Platform, tx: Executor, freed: FreedTime): Promise<void> {
  const row = await findDoctorWithUser(tx, freed.doctorId, true);
  if (!row) return;
  const slots = await computeFreeSlots(tx, row.doctor, freed.startsAt.getTime(), freed.endsAt.getTime(), nowMs(p));
  await offerSlots(p, tx, row.doctor, slots);
}

/**
 * Subscribed to doctors' availabilityReplaced, run inside the transaction that replaced the weekly availability: the slots free now
 * that were not under the previous rules and settings are offered. Searched only where someone waits.
 */
export async function offerOpenedAvailability(
  p: Platform,
  tx: Executor,
  doctorId: string,
  before: { doctor: DoctorRow; rules: RuleRow[] },
): Promise<void> {
  const row = await findDoctorWithUser(tx, doctorId, true);
  if (!row) return;
  const extent = await repo.waitingExtent(tx, doctorId);
  if (!extent) return;
  const now = nowMs(p);
  const from = Math.max(now, extent.from.getTime());
  const to = extent.to.getTime();
  if (to <= from) return;
  const slots = await computeFreeSlots(tx, row.doctor, from, to, now);
  if (!slots.length) return;
  const old = before.doctor;
  const wasFree = new Set(
    freeSlots({
      timezone: old.timezone,
      slotMinutes: old.slotMinutes,
      rules: before.rules,
      from,
      to,
      now,
      minNoticeMinutes: old.minNoticeMinutes,
      maxAdvanceDays: old.maxAdvanceDays,
      // Busy time is the same before and after (only the rules changed), and every slot compared is free
      // now, so the old grid alone tells whether it was free before.
      busy: [],
    }).map((s) => `${s.start}/${s.end}`),
  );
  await offerSlots(
    p,
    tx,
    row.doctor,
    slots.filter((s) => !wasFree.has(`${s.start}/${s.end}`)),
  );
}

/** The slot released by a declined, expired or withdrawn offer goes to the next in line, if still free. */
export async function offerReleasedSlot(p: Platform, tx: Executor, offer: repo.OfferRow): Promise<void> {
  const start = offer.startsAt.getTime();
  await offerFreedTime(p, tx, { doctorId: offer.doctorId, startsAt: offer.startsAt, endsAt: new Date(start + 1) });
}

async function offerSlots(p: Platform, tx: Executor, doctor: DoctorRow, slots: Interval[]): Promise<void> {
  if (slots.length > FEW_SLOTS) {
    const windows = await repo.waitingWindows(tx, doctor.id, new Date(slots[0].start), new Date(slots[slots.length - 1].end));
    slots = slots.filter((s) => windows.some((w) => w.start <= s.start && s.end <= w.end));
  }
  for (const slot of slots.slice(0, MAX_PROBES)) await offerSlot(p, tx, doctor, slot);
}

/**
 * Offers one free slot to the first in line: hold, offer, entry OFFERED and mail, in a savepoint. A hold
 * refused by the exclusion constraints means the doctor's time was just taken (nothing to offer) or the
 * patient just booked something else at that time (then the next in line is asked).
 */
async function offerSlot(p: Platform, tx: Executor, doctor: DoctorRow, slot: Interval): Promise<boolean> {
  const skip: string[] = [];
  const startsAt = new Date(slot.start);
  const endsAt = new Date(slot.end);
  for (let attempt = 0; attempt < 10; attempt++) {
    const next = await repo.nextInLine(tx, doctor.id, startsAt, endsAt, skip, {
      now: new Date(nowMs(p)),
      maxOpen: p.config.bookingMaxOpen,
      maxOpenPerDoctor: p.config.bookingMaxOpenPerDoctor,
    });
    if (!next) return false;
    // A hold never outlasts the start of its slot.
    const expiresAt = new Date(Math.min(nowMs(p) + p.config.waitlistHoldMinutes * MINUTE, slot.start));
    try {
      await tx.transaction(async (sp) => {
        const holdId = await placeHold(sp, { patientId: next.patientId, doctorId: doctor.id, startsAt, endsAt, expiresAt });
        const offer = await repo.insertOffer(sp, {
          entryId: next.id,
          patientId: next.patientId,
          doctorId: doctor.id,
          holdId,
          startsAt,
          endsAt,
          expiresAt,
        });
        await repo.setEntryStatus(sp, next.id, 'OFFERED');
        await mailOffer(p, sp, offer);
        await notify(p, sp, [{ userId: next.patientId, kind: 'waitlist.offer', personId: doctor.id }]);
      });
      return true;
    } catch (err) {
      // Booking refuses the hold when the patient just booked something else at that time (the next in line
      // is asked) or the doctor's time was just taken (nothing to offer).
      if (err instanceof HoldRefused) {
        if (err.by === 'patient') {
          skip.push(next.id);
          continue;
        }
        return false;
      }
      const state = sqlState(err);
      const constraint = constraintName(err) ?? '';
      if (state === '23505' && constraint === 'waitlist_offers_live_entry_idx') {
        skip.push(next.id);
        continue;
      }
      if (state === '23505' && constraint === 'waitlist_offers_live_slot_idx') return false;
      throw err;
    }
  }
  return false;
}

/** Who, when and a link: never a reason or anything medical. */
async function mailOffer(p: Platform, ex: Executor, offer: repo.OfferRow): Promise<void> {
  const f = await repo.mailFacts(ex, offer.patientId, offer.doctorId);
  if (!f) return;
  // In the patient's language, the times in their zone (named) and in UTC.
  const l = f.locale;
  const utc = (d: Date) => `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  const doctor = t(l, 'mail.doctorName', { name: `${f.firstname} ${f.lastname}` });
  await enqueueMail(ex, {
    kind: 'waitlist_offer',
    to: f.email,
    subject: t(l, 'waitlist.offer.subject', { doctor }),
    text: [
      t(l, 'waitlist.offer.intro'),
      '',
      t(l, 'waitlist.offer.slot', { doctor, when: instantText(offer.startsAt, l, f.timeZone), utc: utc(offer.startsAt) }),
      '',
      t(l, 'waitlist.offer.held', { until: `${instantText(offer.expiresAt, l, f.timeZone)}, ${utc(offer.expiresAt)}` }),
      portalUrl(p.config.publicUrl, 'waitlist'),
      '',
      t(l, 'waitlist.offer.lapse'),
    ].join('\n'),
  });
}

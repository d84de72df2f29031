// Free slots: a doctor's weekly rules and booking settings (doctors module) less what is busy in the
// window (live appointments and holds, read here, and the doctor's time off). Booking owns this rule, so
// GET /doctors/{doctorId}/slots, booking, rescheduling and the waitlist all compute slots in one place.
import { validation, notFound } from '../../platform/errors.ts';
import type { Executor } from '../../platform/db/index.ts';
import type { Platform } from '../../platform/platform.ts';
import { instantOf } from '../../platform/instant.ts';
import { nowMs } from '../../platform/clock.ts';
import { rulesOf, type DoctorRow } from '../doctors/index.ts';
import * as repo from './repo.ts';
import { freeSlots, isoOf, type Interval } from './slots.ts';

const DAY = 86_400_000;
export const MAX_SLOT_WINDOW_DAYS = 31;
/** Contract: at most 1,000 slots per response; a wider window is refused so the answer stays small and cheap. */
export const MAX_SLOTS_PER_RESPONSE = 1000;

/** The doctor's free slots in [from, to); `exceptAppointmentId` treats that appointment's time as free (reschedule). */
export async function computeFreeSlots(
  ex: Executor,
  doctor: DoctorRow,
  from: number,
  to: number,
  now: number,
  exceptAppointmentId?: string,
  limit?: number,
): Promise<Interval[]> {
  const [rules, busy] = await Promise.all([
    rulesOf(ex, doctor.id),
    repo.busyIntervals(ex, doctor.id, new Date(from), new Date(to + doctor.slotMinutes * 60_000), exceptAppointmentId),
  ]);
  return slotsOf({ ...doctor, rules, busy }, from, to, now, limit);
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
  return slotsJson(free);
}

/**
 * The 200 body of GET /doctors/{doctorId}/slots, `[{"startsAt":…,"endsAt":…}, …]` as the response schema
 * (SlotSchema) describes it, written directly: a 7-day window is ~340 slots, and fast-json-stringify's
 * generic date-time check and string escaping of each of its ~680 timestamps was the largest item of the
 * route after the database. The timestamps come from isoOf (digits, '-', ':', '.', 'T', 'Z'), so nothing
 * needs escaping. slots.test.ts checks it against JSON.stringify.
 */
export function slotsJson(free: Interval[]): string {
  let out = '[';
  for (let i = 0; i < free.length; i++) {
    out += `${i ? ',' : ''}{"startsAt":"${isoOf(free[i].start)}","endsAt":"${isoOf(free[i].end)}"}`;
  }
  return out + ']';
}

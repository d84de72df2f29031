// What the doctors module announces to modules downstream of it (the waitlist offers the time), without
// importing them. Run inside the transaction of the change; created per platform (p.hooks.doctors) and
// subscribed by src/modules/index.ts when buildApp builds one.
import { Hook } from '../../platform/hooks.ts';
import type { Executor } from '../../platform/db/index.ts';
import type { Platform } from '../../platform/platform.ts';
import type { DoctorRow, RuleRow } from './repo.ts';

/** Time that stopped being booked or blocked: [startsAt, endsAt) of one doctor. */
export interface FreedTime {
  doctorId: string;
  startsAt: Date;
  endsAt: Date;
}

/** The hooks of one platform's doctors module. */
export function createHooks() {
  return {
    /** The doctor replaced their weekly availability; `before` is the doctor row and rules it replaced. */
    availabilityReplaced: new Hook<[Platform, Executor, string, { doctor: DoctorRow; rules: RuleRow[] }]>('doctors.availabilityReplaced'),
    /** A period of time off was removed: its time is bookable again. */
    timeOffRemoved: new Hook<[Platform, Executor, FreedTime]>('doctors.timeOffRemoved'),
  };
}

declare module '../../platform/hooks.ts' {
  interface HookRegistry {
    doctors: ReturnType<typeof createHooks>;
  }
}

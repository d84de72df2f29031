// The public entry of the doctors module: what other modules may use of it (lint: import-x/no-restricted-paths).
// Doctors: profile, credentials, availability rules and free slots.
export { doctors } from './tables.ts';
export { toDoctorPrivate } from './schemas.ts';
export type { DoctorPublic } from './schemas.ts';
export { BOOKABLE_SQL, SLOT_DATA_SELECT, findDoctorWithUser, slotData } from './repo.ts';
export type { DoctorRow, RuleRow, SlotData } from './repo.ts';
export { freeSlots } from './slots.ts';
export type { Interval } from './slots.ts';
export { MAX_SLOT_WINDOW_DAYS, computeFreeSlots, slotsOf } from './service.ts';
export * as service from './service.ts';

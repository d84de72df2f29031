// The public entry of the doctors module: what other modules may use of it (lint: import-x/no-restricted-paths).
// Doctors: profile, credentials, availability rules and free slots.
export { doctors } from './tables.ts';
export { toDoctorPrivate } from './schemas.ts';
export type { DoctorPublic } from './schemas.ts';
export { findDoctorWithUser } from './repo.ts';
export type { DoctorRow, RuleRow } from './repo.ts';
export { freeSlots } from './slots.ts';
export type { Interval } from './slots.ts';
export { MAX_SLOT_WINDOW_DAYS, computeFreeSlots } from './service.ts';
export * as service from './service.ts';

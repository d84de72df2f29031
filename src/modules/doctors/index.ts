// Doctors: profile, credentials, availability rules and time off. Free slots are booking's (appointments).
// Owns (writes and locks; TABLE_OWNERS in eslint.config.js): doctors, availability_rules, doctor_time_off.
// This file is its public entry: what other modules may use of it (lint: import-x/no-restricted-paths).
export { doctors } from './tables.ts';
export { DoctorIdParams, toDoctorPrivate } from './schemas.ts';
export type { DoctorPublic } from './schemas.ts';
export { BOOKABLE_SQL, DOCTOR_COLUMNS, doctorTimeOff, findDoctorWithUser, rulesOf } from './repo.ts';
export type { DoctorRow, RuleRow } from './repo.ts';
export { createHooks } from './hooks.ts';
export type { FreedTime } from './hooks.ts';
export * as service from './service.ts';

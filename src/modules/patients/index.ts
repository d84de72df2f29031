// Patients: registration, the profile (contact details, medical history) and a doctor's patients in care.
// Owns (writes and locks; TABLE_OWNERS in eslint.config.js): patients.
// This file is its public entry: what other modules may use of it (lint: import-x/no-restricted-paths).
export { patients } from './tables.ts';
export { toPatient } from './schemas.ts';
export type { Patient } from './schemas.ts';
export * as service from './service.ts';

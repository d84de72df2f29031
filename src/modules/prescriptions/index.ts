// Prescriptions: issued by a doctor in care (allergy-checked), listed, printed as PDF and verified by pharmacists.
// Owns (writes and locks; TABLE_OWNERS in eslint.config.js): prescriptions.
// This file is its public entry: what other modules may use of it (lint: import-x/no-restricted-paths).
export { toPrescription } from './schemas.ts';
export type { Prescription } from './schemas.ts';
export { listPrescriptions, prescriptions } from './repo.ts';
export type { PrescriptionRow } from './repo.ts';
export * as service from './service.ts';

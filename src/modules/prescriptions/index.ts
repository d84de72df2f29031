// The public entry of the prescriptions module: what other modules may use of it (lint: import-x/no-restricted-paths).
// Prescriptions: table, rows and the audited reads.
export { toPrescription } from './schemas.ts';
export type { Prescription } from './schemas.ts';
export { listPrescriptions, prescriptions } from './repo.ts';
export type { PrescriptionRow } from './repo.ts';
export * as service from './service.ts';

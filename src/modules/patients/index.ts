// The public entry of the patients module: what other modules may use of it (lint: import-x/no-restricted-paths).
// The patient's profile: table, schemas and the audited reads.
export { patients } from './tables.ts';
export { toPatient } from './schemas.ts';
export type { Patient } from './schemas.ts';
export * as service from './service.ts';

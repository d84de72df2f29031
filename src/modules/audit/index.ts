// The audit trail's readers: the admin's event search and the patient's access log, in plain words.
// Owns no table.
// This file is its public entry: what other modules may use of it (lint: import-x/no-restricted-paths).
export { toAuditEvent } from './schemas.ts';
export { findEvent, listEvents, listPatientEvents } from './repo.ts';
export type { AuditRow } from './repo.ts';
export * as service from './service.ts';

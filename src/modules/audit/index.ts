// The public entry of the audit module: what other modules may use of it (lint: import-x/no-restricted-paths).
// The audit trail: events, the access log and their schemas.
export { toAuditEvent } from './schemas.ts';
export { findEvent, listEvents, listPatientEvents } from './repo.ts';
export type { AuditRow } from './repo.ts';
export * as service from './service.ts';

// The public entry of the visits module: what other modules may use of it (lint: import-x/no-restricted-paths).
// Video visits: the participant as the realtime module's `visit.peer-joined` frame carries it.
export { ParticipantSchema } from './schemas.ts';
export type { VisitPreconditions } from './schemas.ts';
// The gate before the patient joins (consent, location), provided by the intake module.
export { createHooks } from './hooks.ts';
export type { VisitGate } from './hooks.ts';
// Guests' room-only passes: buildApp gives the WebSocket hub an identity that knows them (the HTTP guards do not).
export { withGuests } from './guests.ts';

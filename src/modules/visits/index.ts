// Video visits: who may join when, the waiting room and admission, guests by single-use invite, running late,
// screen sharing, WebRTC signalling between the admitted participants and TURN credentials.
// Owns (writes and locks; TABLE_OWNERS in eslint.config.js): visit_presence, visit_admissions, doctor_running_late,
//  visit_screen_share, visit_guests.
// This file is its public entry: what other modules may use of it (lint: import-x/no-restricted-paths).
export { ParticipantSchema } from './schemas.ts';
export type { VisitPreconditions } from './schemas.ts';
// The gate before the patient joins (consent, location), provided by the intake module.
export { createHooks } from './hooks.ts';
export type { VisitGate } from './hooks.ts';
// Guests' room-only passes: buildApp gives the WebSocket hub an identity that knows them (the HTTP guards do not).
export { withGuests } from './guests.ts';

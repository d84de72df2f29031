// Booking: appointments, free slots, the care relationship rule and the booking limits.
// Owns (writes and locks; TABLE_OWNERS in eslint.config.js): appointments, idempotency_keys.
// This file is its public entry: what other modules may use of it (lint: import-x/no-restricted-paths).
export { AppointmentSchema, toAppointment } from './schemas.ts';
export type { Appointment } from './schemas.ts';
export { appointments, careAppointment, careRelationshipExists, agendaCounts, findView, listVisible } from './repo.ts';
export type { AppointmentRow, AppointmentStatus, AppointmentView, StoredStatus } from './repo.ts';
// Booking owns the appointments table: another module locks an appointment, or places, releases and
// converts a waitlist hold, only through these.
export { lockAppointment, placeHold, releaseHold, convertHold, HoldRefused } from './repo.ts';
// The clinical access point: every read of patient data takes a grant from clinicalAccess().
export { clinicalAccess, clinicalAudience, ClinicalGrant } from './access.ts';
export type { Purpose, Subject } from './access.ts';
export { assertBookingLimits, constraintErrors } from './service.ts';
export { computeFreeSlots, MAX_SLOT_WINDOW_DAYS } from './free-slots.ts';
export { freeSlots } from './slots.ts';
export type { Interval } from './slots.ts';
export { createHooks } from './hooks.ts';
export type { AppointmentChange, BookingNotices, BookingReminder, Contact, Parties } from './hooks.ts';
export * as service from './service.ts';

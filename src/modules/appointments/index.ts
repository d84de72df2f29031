// The public entry of the appointments module: what other modules may use of it (lint: import-x/no-restricted-paths).
// Booking: appointments, the care relationship rule and the booking limits.
export { AppointmentSchema, toAppointment } from './schemas.ts';
export type { Appointment } from './schemas.ts';
export { appointments, careAppointment, careRelationshipExists, findView, listVisible } from './repo.ts';
export type { AppointmentRow, AppointmentStatus, AppointmentView } from './repo.ts';
export { assertBookingLimits } from './service.ts';
export * as service from './service.ts';

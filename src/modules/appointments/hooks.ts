// What the appointments module announces to modules downstream of it, without importing them: the
// waitlist offers freed time, notifications mail the parties and keep the reminders in line. Run inside
// the change's transaction, so a mail, reminder or hold exists exactly when the change commits;
// subscribed in src/modules/index.ts.
import { Hook, Provider } from '../../platform/hooks.ts';
import type { Executor } from '../../platform/db/index.ts';
import type { OutgoingMail } from '../../platform/mail.ts';
import type { Platform } from '../../platform/platform.ts';
import type { Actor } from '../auth/index.ts';
import type { FreedTime } from '../doctors/index.ts';
import type { AppointmentRow } from './repo.ts';

/** Changes the parties hear of with a new version (SEQUENCE) of the calendar invitation. */
export type AppointmentChange = 'booked' | 'confirmed' | 'rescheduled' | 'cancelled';

/** One party of an appointment as mails address them. */
export interface Contact {
  id: string;
  firstname: string;
  lastname: string;
  email: string;
  accountStatus: string;
}

/** An appointment with both parties: what its mails and reminders are written from. */
export interface Parties {
  appointment: AppointmentRow;
  doctor: Contact & { timezone: string };
  patient: Contact;
}

/** A reminder a booking writes in its own statement (reminder_jobs, which notifications owns and works off). */
export interface BookingReminder {
  party: 'PATIENT' | 'DOCTOR';
  offsetMinutes: number;
  dueAt: Date;
}

/** A cancelled appointment's time, or the time a rescheduled one moved away from, is free again. */
export const timeFreed = new Hook<[Platform, Executor, FreedTime]>('appointments.timeFreed');

/** A change the parties are mailed about (not a booking: see bookingOutbox), after the row was updated. */
export const changed = new Hook<[Platform, Executor, string, AppointmentChange, Actor]>('appointments.changed');

/**
 * The mails and reminders of a new booking, computed before its row is written so that booking inserts
 * the appointment, its audit event, its mails and its reminders in one statement (the hot path).
 */
export const bookingOutbox = new Provider<[Platform, Parties, Actor], { mails: OutgoingMail[]; reminders: BookingReminder[] }>(
  'appointments.bookingOutbox',
);

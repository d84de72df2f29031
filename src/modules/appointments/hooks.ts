// What the appointments module announces to modules downstream of it, without importing them: the
// waitlist offers freed time, notifications mail the parties and keep the reminders in line. Run inside
// the change's transaction, so a mail, reminder or hold exists exactly when the change commits. Created
// per platform (p.hooks.appointments) and subscribed by src/modules/index.ts when buildApp builds one.
import { Hook, Provider } from '../../platform/hooks.ts';
import type { Executor, StatementPart } from '../../platform/db/index.ts';
import type { OutgoingMail } from '../../platform/mail.ts';
import type { Platform } from '../../platform/platform.ts';
import type { Locale } from '../../platform/i18n.ts';
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
  /** The language and zone the party reads their mails in. */
  locale: Locale;
  timeZone: string;
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

/**
 * What notifications give a new booking: its mails and reminders, computed before its row is written, and
 * the reminders' part of the booking's one INSERT (reminder_jobs is notifications' table), so that booking
 * inserts the appointment, its audit event, its mails and its reminders in one statement (the hot path).
 */
export interface BookingNotices {
  outbox(p: Platform, parties: Parties, actor: Actor): { mails: OutgoingMail[]; reminders: BookingReminder[] };
  /** Reads the new appointment's `id` and `"startsAt"` from the booking's CTE. */
  reminders: StatementPart<BookingReminder[]>;
}

/** The hooks of one platform's appointments module. */
export function createHooks() {
  return {
    /** A cancelled appointment's time, or the time a rescheduled one moved away from, is free again. */
    timeFreed: new Hook<[Platform, Executor, FreedTime]>('appointments.timeFreed'),
    /** A change the parties are mailed about (not a booking: see bookingNotices), after the row was updated. */
    changed: new Hook<[Platform, Executor, string, AppointmentChange, Actor]>('appointments.changed'),
    bookingNotices: new Provider<BookingNotices>('appointments.bookingNotices'),
  };
}

declare module '../../platform/hooks.ts' {
  interface HookRegistry {
    appointments: ReturnType<typeof createHooks>;
  }
}

import type { components } from '../api/schema';
import type { Problem } from '../api/client';
import { formatSpan } from './ui';
import { t } from '../i18n';

type Paths = import('../api/schema').paths;
export type Appointment = Paths['/api/v1/appointments/{id}']['get']['responses'][200]['content']['application/json'];
export type { components };

const statusLabels: Record<string, string> = {
  PENDING: 'appointmentStatus.PENDING',
  CONFIRMED: 'appointmentStatus.CONFIRMED',
  CANCELLED: 'appointmentStatus.CANCELLED',
  COMPLETED: 'appointmentStatus.COMPLETED',
  NO_SHOW: 'appointmentStatus.NO_SHOW',
};

export function StatusBadge({ status }: { status: string }) {
  return <span class="badge">{statusLabels[status] ? t(statusLabels[status]) : status}</span>;
}

/** "8 Dec 2026, 09:30–10:00 (Europe/Berlin)": the zone named once for the span. */
export function AppointmentWhen({ a }: { a: Appointment }) {
  return <time dateTime={a.startsAt}>{formatSpan(a.startsAt, a.endsAt)}</time>;
}

/**
 * The video visit's join window as the server applies it by default (docs/api.md "Video visits"): from 10 minutes
 * before the start until 30 minutes after the end. Only enables the button; the visit page asks the server.
 */
export const VISIT_OPENS_BEFORE_MS = 10 * 60_000;
export const VISIT_CLOSES_AFTER_MS = 30 * 60_000;
export function visitOpen(a: { status: string; startsAt: string; endsAt: string }, now = Date.now()): boolean {
  return (
    a.status === 'CONFIRMED' && now >= Date.parse(a.startsAt) - VISIT_OPENS_BEFORE_MS && now < Date.parse(a.endsAt) + VISIT_CLOSES_AFTER_MS
  );
}

/** The doctor's cancellation notice in words, shown before booking and before a patient cancels or moves. */
export function cancellationPolicy(hours: number): string {
  return hours <= 0 ? t('appointmentPolicy.free') : t('appointmentPolicy.notice', { hours });
}

/** A patient's late cancel or reschedule is a rule, not a failure: say so plainly, keeping the server's detail. */
export function lateChangeProblem(p: Problem | null): Problem | null {
  if (p?.code !== 'CANCELLATION_WINDOW_PASSED') return p;
  return { ...p, title: t('appointmentPolicy.tooLate') };
}

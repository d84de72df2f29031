import { Type, type Static } from 'typebox';
import { Closed, IdParams, Nullable, Timestamp, Uuid, SingleLine } from '../../platform/schema.ts';
import { pageQueryProperties } from '../../platform/pagination.ts';
import type { AppointmentView, StoredStatus } from './repo.ts';

export const AppointmentStatus = Type.Union(
  [Type.Literal('PENDING'), Type.Literal('CONFIRMED'), Type.Literal('CANCELLED'), Type.Literal('COMPLETED'), Type.Literal('NO_SHOW')],
  { description: 'PENDING → CONFIRMED → COMPLETED | NO_SHOW; PENDING/CONFIRMED → CANCELLED' },
);

const PersonSummary = Type.Object({ id: Uuid(), firstname: Type.String(), lastname: Type.String() });

export const AppointmentSchema = Type.Object(
  {
    id: Uuid(),
    patientId: Uuid(),
    doctorId: Uuid(),
    startsAt: Timestamp(),
    endsAt: Timestamp(),
    status: AppointmentStatus,
    reason: Nullable(Type.String()),
    cancellationReason: Nullable(Type.String()),
    cancelledBy: Nullable(Uuid()),
    createdAt: Timestamp(),
    updatedAt: Timestamp(),
    doctor: PersonSummary,
    patient: PersonSummary,
  },
  { $id: 'Appointment' },
);
export type Appointment = Static<typeof AppointmentSchema>;

export const AppointmentIdParams = IdParams('id');

export const BookBody = Closed({
  doctorId: Uuid(),
  startsAt: Timestamp('Exactly the start of a free slot from GET /doctors/{doctorId}/slots'),
  reason: Type.Optional(SingleLine(0, 2000)),
});
export type BookBody = Static<typeof BookBody>;

export const BookHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 255,
      pattern: '^[\\x21-\\x7E]+$',
      description: 'Client-chosen key (1–255 visible ASCII characters); the same key and body within 24 h replays the first response',
    }),
  ),
});

export const CancelBody = Closed({ reason: Type.Optional(SingleLine(0, 2000)) });
export const RescheduleBody = Closed({ startsAt: Timestamp('Exactly the start of a free slot of the same doctor') });

export const AppointmentListQuery = Type.Object(
  {
    status: Type.Optional(AppointmentStatus),
    from: Type.Optional(Timestamp('Only appointments starting at or after this instant')),
    to: Type.Optional(Timestamp('Only appointments starting before this instant')),
    patientId: Type.Optional(
      Uuid("Only this patient's appointments (a doctor's view of one patient); one the caller may not see gives an empty list"),
    ),
    ...pageQueryProperties,
  },
  { additionalProperties: false },
);

/** A hold (HELD) is nobody's appointment: the views of appointments leave holds out, so one here is a bug. */
function shownStatus(s: StoredStatus): Appointment['status'] {
  if (s === 'HELD') throw new Error('a waitlist hold is not an appointment');
  return s;
}

export function toAppointment(v: AppointmentView): Appointment {
  return {
    id: v.id,
    patientId: v.patientId,
    doctorId: v.doctorId,
    startsAt: v.startsAt.toISOString(),
    endsAt: v.endsAt.toISOString(),
    status: shownStatus(v.status),
    reason: v.reason,
    cancellationReason: v.cancellationReason,
    cancelledBy: v.cancelledBy,
    createdAt: v.createdAt.toISOString(),
    updatedAt: v.updatedAt.toISOString(),
    doctor: v.doctor,
    patient: v.patient,
  };
}

export const SlotsQuery = Type.Object(
  {
    from: Type.Optional(Timestamp('Window start (default: now)')),
    to: Type.Optional(Timestamp('Window end, exclusive; at most 31 days after from (default: from + 7 days)')),
  },
  { additionalProperties: false },
);
export const SlotSchema = Type.Object({ startsAt: Timestamp(), endsAt: Timestamp() });

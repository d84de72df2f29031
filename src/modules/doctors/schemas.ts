import { Type, type Static } from 'typebox';
import type { doctors } from './tables.ts';
import type { users } from '../auth/index.ts';
import { toUser } from '../auth/index.ts';
import { Closed, IdParams, Timestamp, Timezone, SingleLine, MultiLine } from '../../platform/schema.ts';
import { pageQueryProperties } from '../../platform/pagination.ts';

export const VerificationStatus = Type.Union([Type.Literal('PENDING'), Type.Literal('VERIFIED'), Type.Literal('REJECTED')]);

/** What anyone may see of a doctor: no email, no license number. */
const publicProperties = {
  id: Type.String({ format: 'uuid', description: "Equals the doctor's user id" }),
  firstname: Type.String(),
  lastname: Type.String(),
  specialization: Type.String(),
  bio: Type.String(),
  timezone: Type.String(),
  slotMinutes: Type.Integer(),
  cancellationNoticeHours: Type.Integer({
    description: 'Patients may cancel or reschedule only up to this many hours before the start (0: any time)',
  }),
};

export const DoctorPublicSchema = Type.Object(publicProperties, { $id: 'DoctorPublic' });
export type DoctorPublic = Static<typeof DoctorPublicSchema>;

/** The doctor's own (and an admin's) view. */
export const DoctorPrivateSchema = Type.Object(
  {
    ...publicProperties,
    user: Type.Ref('User'),
    licenseNumber: Type.String(),
    verificationStatus: VerificationStatus,
    verificationNote: Type.Union([Type.String(), Type.Null()]),
    autoConfirm: Type.Boolean(),
    minNoticeMinutes: Type.Integer(),
    maxAdvanceDays: Type.Integer(),
    intakeQuestionnaireId: Type.Union([Type.String({ format: 'uuid' }), Type.Null()], {
      description: 'The intake questionnaire new appointments get (GET /doctors/me/questionnaires); null: none',
    }),
  },
  { $id: 'DoctorPrivate' },
);
export type DoctorPrivate = Static<typeof DoctorPrivateSchema>;

export function toDoctorPublic(u: Pick<typeof users.$inferSelect, 'firstname' | 'lastname'>, d: typeof doctors.$inferSelect): DoctorPublic {
  return {
    id: d.id,
    firstname: u.firstname,
    lastname: u.lastname,
    specialization: d.specialization,
    bio: d.bio,
    timezone: d.timezone,
    slotMinutes: d.slotMinutes,
    cancellationNoticeHours: d.cancellationNoticeHours,
  };
}

export function toDoctorPrivate(u: Omit<typeof users.$inferSelect, 'passwordHash'>, d: typeof doctors.$inferSelect): DoctorPrivate {
  return {
    ...toDoctorPublic(u, d),
    user: toUser(u),
    licenseNumber: d.licenseNumber,
    verificationStatus: d.verificationStatus,
    verificationNote: d.verificationNote,
    autoConfirm: d.autoConfirm,
    minNoticeMinutes: d.minNoticeMinutes,
    maxAdvanceDays: d.maxAdvanceDays,
    intakeQuestionnaireId: d.intakeQuestionnaireId,
  };
}

// ---------- requests and other responses ----------

export const DoctorIdParams = IdParams('doctorId');
export const TimeOffIdParams = IdParams('timeOffId');

export const SlotMinutes = Type.Integer({ minimum: 10, maximum: 480, description: 'Length of one appointment slot, 10–480 minutes' });
export const MinNoticeMinutes = Type.Integer({
  minimum: 0,
  maximum: 43200,
  description: 'Bookings must start at least this many minutes from now (0–43200)',
});
export const CancellationNoticeHours = Type.Integer({
  minimum: 0,
  maximum: 168,
  description:
    "A patient's cancel or reschedule later than this many hours before the start answers 409 CANCELLATION_WINDOW_PASSED (0–168, default 0)",
});
export const MaxAdvanceDays = Type.Integer({
  minimum: 1,
  maximum: 730,
  description: 'Bookings may start at most this many days ahead (1–730)',
});

export const DoctorListQuery = Type.Object(
  {
    specialization: Type.Optional(SingleLine(1, 100, 'Exact specialization, case-insensitive')),
    q: Type.Optional(SingleLine(1, 100, 'Matches first name, last name, full name, specialization or bio (substring, case-insensitive)')),
    ...pageQueryProperties,
  },
  { additionalProperties: false },
);

export const AdminDoctorListQuery = Type.Object(
  { verificationStatus: Type.Optional(VerificationStatus), ...pageQueryProperties },
  { additionalProperties: false },
);

export const DoctorPatchBody = Type.Object(
  {
    specialization: Type.Optional(SingleLine(1, 100)),
    bio: Type.Optional(MultiLine(0, 5000)),
    timezone: Type.Optional(Timezone()),
    slotMinutes: Type.Optional(SlotMinutes),
    autoConfirm: Type.Optional(Type.Boolean()),
    minNoticeMinutes: Type.Optional(MinNoticeMinutes),
    maxAdvanceDays: Type.Optional(MaxAdvanceDays),
    cancellationNoticeHours: Type.Optional(CancellationNoticeHours),
    intakeQuestionnaireId: Type.Optional(
      Type.Union([Type.String({ format: 'uuid' }), Type.Null()], {
        description: 'One of your intake questionnaires as the default for new intakes (else 400); null: none',
      }),
    ),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type DoctorPatchBody = Static<typeof DoctorPatchBody>;

const Hhmm = Type.String({
  pattern: '^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$',
  description: "HH:MM local to the doctor's time zone; 24:00 only as an end",
});
export const WeeklyRuleSchema = Closed({
  weekday: Type.Integer({ minimum: 1, maximum: 7, description: 'ISO weekday, Monday 1 … Sunday 7' }),
  start: Hhmm,
  end: Hhmm,
});

export const AvailabilitySchema = Type.Object({
  timezone: Type.String(),
  slotMinutes: Type.Integer(),
  weekly: Type.Array(Type.Object({ weekday: Type.Integer(), start: Type.String(), end: Type.String() })),
  minNoticeMinutes: Type.Integer(),
  maxAdvanceDays: Type.Integer(),
});
export type Availability = Static<typeof AvailabilitySchema>;

export const AvailabilityPutBody = Closed({
  weekly: Type.Array(WeeklyRuleSchema, { maxItems: 70, description: 'Replaces every weekly rule; rules of one weekday must not overlap' }),
  timezone: Type.Optional(Timezone()),
  slotMinutes: Type.Optional(SlotMinutes),
  minNoticeMinutes: Type.Optional(MinNoticeMinutes),
  maxAdvanceDays: Type.Optional(MaxAdvanceDays),
});
export type AvailabilityPutBody = Static<typeof AvailabilityPutBody>;

export const TimeOffSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  startsAt: Timestamp(),
  endsAt: Timestamp(),
  reason: Type.Union([Type.String(), Type.Null()]),
  createdAt: Timestamp(),
});
export const TimeOffBody = Closed({
  startsAt: Timestamp(),
  endsAt: Timestamp('After startsAt, at most 366 days later'),
  reason: Type.Optional(SingleLine(0, 500)),
});
export type TimeOffBody = Static<typeof TimeOffBody>;
export const TimeOffListQuery = Type.Object(
  {
    from: Type.Optional(Timestamp('Only time off ending after this instant')),
    ...pageQueryProperties,
  },
  { additionalProperties: false },
);

export const VerificationBody = Closed({
  status: Type.Union([Type.Literal('VERIFIED'), Type.Literal('REJECTED')]),
  note: Type.Optional(MultiLine(0, 2000, 'Shown to the doctor, e.g. why the credentials were rejected')),
});
export type VerificationBody = Static<typeof VerificationBody>;

/** 'HH:MM' (00:00–24:00) ⇄ minutes since midnight. */
export const parseHhmm = (s: string): number => Number(s.slice(0, 2)) * 60 + Number(s.slice(3, 5));
export const formatHhmm = (m: number): string => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;

import { Type, type Static } from 'typebox';
import { Closed, IdParams, Nullable, Timestamp, Uuid } from '../../platform/schema.ts';
import { pageQueryProperties } from '../../platform/pagination.ts';

/** What happened; the portal words each kind from its catalogue (never medical content: no reasons, bodies or items). */
export const NOTIFICATION_KINDS = [
  'appointment.booked',
  'appointment.confirmed',
  'appointment.rescheduled',
  'appointment.cancelled',
  'prescription.issued',
  'message.received',
  'waitlist.offer',
  'doctor.registered',
  'doctor.verified',
  'doctor.rejected',
] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];
// The list and the schema name the same kinds (and the migration's CHECK).
const _sameKinds: Static<typeof NotificationKindSchema> extends NotificationKind ? true : never = true;
void _sameKinds;

export const NotificationKindSchema = Type.Union(
  [
    Type.Literal('appointment.booked'),
    Type.Literal('appointment.confirmed'),
    Type.Literal('appointment.rescheduled'),
    Type.Literal('appointment.cancelled'),
    Type.Literal('prescription.issued'),
    Type.Literal('message.received'),
    Type.Literal('waitlist.offer'),
    Type.Literal('doctor.registered'),
    Type.Literal('doctor.verified'),
    Type.Literal('doctor.rejected'),
  ],
  {
    description:
      'appointment.booked/confirmed/rescheduled/cancelled: a change of one of the user’s appointments by someone else (`appointmentId`, ' +
      '`person` the other party); prescription.issued (`prescriptionId`, `person` the doctor); message.received: unread messages from ' +
      '`person` (`count` of them, one unread entry per conversation); waitlist.offer: a slot of doctor `person` is held for the patient; ' +
      'doctor.registered: doctor `person` awaits verification (to every admin); doctor.verified / doctor.rejected: the decision on ' +
      'the calling doctor’s credentials',
  },
);

export const NotificationPersonSchema = Type.Object({
  id: Uuid(),
  firstname: Type.String(),
  lastname: Type.String(),
  role: Type.Union([Type.Literal('PATIENT'), Type.Literal('DOCTOR'), Type.Literal('ADMIN')]),
});

export const NotificationSchema = Type.Object(
  {
    id: Uuid(),
    kind: NotificationKindSchema,
    createdAt: Timestamp('When it happened (for collapsed messages: the latest)'),
    readAt: Nullable(Timestamp()),
    count: Type.Integer({ minimum: 1, description: 'Messages this entry stands for (1 for every other kind)' }),
    appointmentId: Nullable(Uuid()),
    prescriptionId: Nullable(Uuid()),
    person: Nullable(NotificationPersonSchema),
  },
  {
    $id: 'Notification',
    description: 'An entry of the caller’s notification list: what happened and what it points to, never medical content',
  },
);
export type Notification = Static<typeof NotificationSchema>;

export const NotificationListQuery = Closed({
  ...pageQueryProperties,
  unread: Type.Optional(Type.Boolean({ description: 'Only unread entries' })),
});

export const NotificationIdParams = IdParams('id');

export const UnreadCountSchema = Type.Object({ count: Type.Integer({ minimum: 0 }) });

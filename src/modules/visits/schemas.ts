import { Type, type Static } from 'typebox';
import { IdParams, Nullable, Timestamp, Uuid } from '../../platform/schema.ts';
import { PRINTABLE_LINE_PATTERN } from '../../platform/text.ts';

export const VisitParams = IdParams('id');

export const IceServerSchema = Type.Object({
  urls: Type.Array(Type.String(), { description: 'stun:, stuns:, turn: or turns: URLs' }),
  username: Type.Optional(Type.String({ description: 'TURN only: `<expiry unix time>:<user id>` (coturn shared-secret scheme)' })),
  credential: Type.Optional(Type.String({ description: 'TURN only: short-lived, valid until the expiry in the username' })),
});

export const GuestRoleSchema = Type.Union(
  [Type.Literal('FAMILY'), Type.Literal('INTERPRETER'), Type.Literal('CAREGIVER'), Type.Literal('OTHER')],
  { description: 'The role a guest is invited in; the patient’s access log names the guest by it' },
);

export const ParticipantSchema = Type.Object({
  id: Uuid('A user’s id, or a guest’s (the invite’s id)'),
  firstname: Type.String({ description: 'A guest’s display name' }),
  lastname: Type.String({ description: 'Empty for a guest' }),
  role: Type.Union([Type.Literal('PATIENT'), Type.Literal('DOCTOR'), Type.Literal('GUEST')]),
  guestRole: Type.Optional(GuestRoleSchema),
});

export const PatientConsentSchema = Type.Object(
  {
    currentVersion: Nullable(Type.Integer({ description: 'null: no telehealth consent is published, the gate is off' })),
    accepted: Type.Boolean({ description: 'The patient has accepted the current version (true when none is published)' }),
    acceptedAt: Nullable(Timestamp()),
  },
  { description: "The patient's telehealth consent as the visit gate checks it" },
);

export const PatientLocationSchema = Type.Union(
  [
    Type.Object({
      country: Type.String({ description: 'ISO 3166-1 alpha-2' }),
      region: Type.String({ description: 'ISO 3166-2' }),
      city: Nullable(Type.String()),
      statedAt: Timestamp(),
    }),
    Type.Null(),
  ],
  { description: 'Where the patient stated they are for this visit (the latest statement); null: not stated' },
);

export const VisitPreconditionsSchema = Type.Object({ consent: PatientConsentSchema, location: PatientLocationSchema });
export type VisitPreconditions = Static<typeof VisitPreconditionsSchema>;

export const VisitSchema = Type.Object({
  appointmentId: Uuid(),
  opensAt: Timestamp('From here on the visit can be joined (startsAt minus VISIT_OPENS_BEFORE_MINUTES)'),
  closesAt: Timestamp('Joinable until just before this instant (endsAt plus VISIT_CLOSES_AFTER_MINUTES)'),
  iceServers: Type.Array(IceServerSchema, {
    description: 'Pass as RTCPeerConnection `iceServers`; empty when none are configured (host candidates only, one network)',
  }),
  iceTransportPolicy: Type.Union([Type.Literal('all'), Type.Literal('relay')], {
    description:
      "Pass as RTCPeerConnection `iceTransportPolicy`: `relay` (VISIT_ICE_TRANSPORT_POLICY) keeps the participants' IP addresses from each other, every call goes through TURN",
  }),
  peer: ParticipantSchema,
  peerPresent: Type.Boolean({ description: 'The other participant has joined over the WebSocket right now' }),
  admitted: Type.Boolean({
    description:
      'The waiting room: false while the patient has not been admitted by the doctor in this visit (they join into the lobby); always true for the doctor and with VISIT_WAITING_ROOM off',
  }),
  patientMayShareScreen: Type.Boolean({
    description: 'The doctor allowed the patient to share their screen in this visit (`visit.screen-allow`); the doctor always may',
  }),
  patientConsent: PatientConsentSchema,
  patientLocation: PatientLocationSchema,
});
export type Visit = Static<typeof VisitSchema>;

export const RunningLateSchema = Type.Object(
  {
    minutes: Type.Integer({ minimum: 0, maximum: 120, description: '0: on time (nothing set, or it expired)' }),
    setAt: Nullable(Timestamp()),
    expiresAt: Nullable(Timestamp('The status lapses by itself 4 hours after it was set')),
  },
  { description: 'The doctor is running late by `minutes`: shown live to the patients waiting in the lobby of their visits' },
);
export type RunningLate = Static<typeof RunningLateSchema>;

export const RunningLateBody = Type.Object(
  { minutes: Type.Integer({ minimum: 0, maximum: 120, description: 'Running late by this many minutes; 0 clears it' }) },
  { additionalProperties: false },
);

// --- Guests ---------------------------------------------------------------------------------------------------

export const GuestParams = Type.Object({ id: Uuid(), guestId: Uuid() });

export const GuestInviteBody = Type.Object(
  {
    role: GuestRoleSchema,
    label: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 80,
        pattern: PRINTABLE_LINE_PATTERN,
        description: 'A note for the inviter’s list, e.g. "my daughter"; printable, 1–80 characters',
      }),
    ),
    patientAgreed: Type.Optional(
      Type.Boolean({
        description: 'Required (true) when the doctor invites: the doctor states that the patient agreed, and the invite records it',
      }),
    ),
  },
  { additionalProperties: false },
);

export const GuestInviteSchema = Type.Object({
  id: Uuid('The guest’s id once the token is redeemed (in the call and the audit trail)'),
  appointmentId: Uuid(),
  role: GuestRoleSchema,
  label: Nullable(Type.String()),
  createdBy: Uuid(),
  createdAt: Timestamp(),
  agreement: Type.Union([Type.Literal('PATIENT_INVITED'), Type.Literal('DOCTOR_STATED_PATIENT_AGREED')]),
  status: Type.Union([Type.Literal('PENDING'), Type.Literal('REDEEMED'), Type.Literal('REVOKED')]),
  displayName: Nullable(Type.String({ description: 'The name the guest gave on redeeming' })),
  redeemedAt: Nullable(Timestamp()),
  revokedAt: Nullable(Timestamp()),
});
export type GuestInvite = Static<typeof GuestInviteSchema>;

export const GuestInviteCreatedSchema = Type.Intersect([
  GuestInviteSchema,
  Type.Object({
    token: Type.String({
      description:
        'The single-use token to give the guest (256 random bits, base64url), redeemed with POST /visit-guests/redeem. Shown once: only its SHA-256 is stored',
    }),
    validFrom: Timestamp('The token can be redeemed from here (the visit’s opensAt)'),
    validUntil: Timestamp('…until just before this instant (the visit’s closesAt)'),
  }),
]);
export type GuestInviteCreated = Static<typeof GuestInviteCreatedSchema>;

export const GuestInviteListSchema = Type.Object({ items: Type.Array(GuestInviteSchema) });

export const GuestRedeemBody = Type.Object(
  {
    token: Type.String({
      minLength: 20,
      maxLength: 200,
      pattern: '^[A-Za-z0-9_-]+$',
      description: 'The token the invite’s answer carried',
    }),
    displayName: Type.String({
      minLength: 1,
      maxLength: 200,
      pattern: PRINTABLE_LINE_PATTERN,
      description: 'How the others see the guest: 1–80 printable characters after trimming',
    }),
  },
  { additionalProperties: false },
);

export const GuestRedeemedSchema = Type.Object({
  guestToken: Type.String({
    description:
      'The room-only capability: the WebSocket auth frame’s `accessToken` for this visit’s `visit.*` frames; refused (401) by every HTTP route',
  }),
  expiresAt: Timestamp('The capability ends when the visit closes, or at once when the invite is revoked'),
  guest: Type.Object({ id: Uuid(), appointmentId: Uuid(), role: GuestRoleSchema, displayName: Type.String() }),
  opensAt: Timestamp(),
  closesAt: Timestamp(),
  startsAt: Timestamp(),
  doctor: Type.Object({ firstname: Type.String(), lastname: Type.String() }),
  iceServers: Type.Array(IceServerSchema),
  iceTransportPolicy: Type.Union([Type.Literal('all'), Type.Literal('relay')]),
});
export type GuestRedeemed = Static<typeof GuestRedeemedSchema>;

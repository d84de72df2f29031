import { Type, type Static } from 'typebox';
import { IdParams, Nullable, Timestamp, Uuid } from '../../platform/schema.ts';

export const VisitParams = IdParams('id');

export const IceServerSchema = Type.Object({
  urls: Type.Array(Type.String(), { description: 'stun:, stuns:, turn: or turns: URLs' }),
  username: Type.Optional(Type.String({ description: 'TURN only: `<expiry unix time>:<user id>` (coturn shared-secret scheme)' })),
  credential: Type.Optional(Type.String({ description: 'TURN only: short-lived, valid until the expiry in the username' })),
});

export const ParticipantSchema = Type.Object({
  id: Uuid(),
  firstname: Type.String(),
  lastname: Type.String(),
  role: Type.Union([Type.Literal('PATIENT'), Type.Literal('DOCTOR')]),
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

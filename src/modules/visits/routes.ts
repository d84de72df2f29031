import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { bearerSecurity, problems } from '../../platform/http.ts';
import { routeRateLimit } from '../../platform/rate-limit.ts';
import { actorOf, metaOf } from '../auth/index.ts';
import * as guests from './guests.ts';
import * as visits from './service.ts';
import { LOBBY_TEXT_MAX, SIGNAL_BURST, SIGNAL_MAX_BYTES, SIGNALS_PER_SECOND, VisitSignalling } from './signalling.ts';
import {
  GuestInviteBody,
  GuestInviteCreatedSchema,
  GuestInviteListSchema,
  GuestParams,
  GuestRedeemBody,
  GuestRedeemedSchema,
  RunningLateBody,
  RunningLateSchema,
  VisitParams,
  VisitSchema,
} from './schemas.ts';

/** Redemptions per client address and rate-limit window: a guest token is 256 random bits, this only bounds the noise. */
export const REDEEM_RATE_LIMIT_MAX = 30;

const GUESTS = [
  'Guests (issue 30): the patient, or the doctor stating the patient agreed (`patientAgreed: true`, recorded as the invite’s',
  '`agreement`), invites a guest (FAMILY, INTERPRETER, CAREGIVER or OTHER) into the video visit of a CONFIRMED appointment that has',
  `not closed, at most ${guests.MAX_GUESTS} invites per visit that are not revoked (409 GUEST_LIMIT_REACHED): with the doctor and the`,
  'patient, four participants, peer to peer in a full mesh through our TURN. The answer carries the single-use token once',
  '(256 random bits; only its SHA-256 is stored). The guest redeems it (POST /visit-guests/redeem) inside the visit window',
  'only; the first redemption binds it. Its creator, the doctor or the',
  'patient revokes it (DELETE), redeemed or not: a guest in the call is removed at once. Invites, revocations, redemptions,',
  'admissions (visit.guest.admit), joins and departures of guests are audited into the patient’s trail, the guest named by',
  'their role (actor role `GUEST_<role>`). Strangers and admins get 404, like the visit.',
].join(' ');

const DESCRIPTION = [
  'Its patient and its doctor only (anyone else, admins included, 404). A CONFIRMED appointment of a verified doctor',
  'can be joined from `opensAt` (startsAt − VISIT_OPENS_BEFORE_MINUTES, default 10) until just before `closesAt`',
  '(endsAt + VISIT_CLOSES_AFTER_MINUTES, default 30); otherwise 409 VISIT_NOT_OPEN. A doctor whose credentials are not',
  'verified gets 403 DOCTOR_NOT_VERIFIED. TURN credentials (coturn shared-secret scheme) are fresh on every call.',
  '\n\nSignalling runs on the WebSocket (GET /ws), after its auth frame. Client frames:',
  '`{"type":"visit.join","appointmentId"}`, `{"type":"visit.signal","appointmentId","data":{…}}` (an SDP description or',
  `ICE candidate, at most ${SIGNAL_MAX_BYTES} bytes of JSON, ${SIGNAL_BURST} at once and ${SIGNALS_PER_SECOND} per second),`,
  '`{"type":"visit.leave","appointmentId"}`. Server frames: `visit.joined {appointmentId, peerPresent}` (to the joiner),',
  '`visit.peer-joined {appointmentId, peer}` (to both participants whenever both are in: the joiner about the other and the',
  'other about the joiner), `visit.signal {appointmentId, from, data}` (data relayed untouched, only to the socket with which',
  'the other participant joined), `visit.peer-left {appointmentId, peerId, reason: left|disconnected}`, `visit.left {appointmentId}`',
  '(to the leaver) and `visit.error {appointmentId, code, detail}` with code VALIDATION_FAILED, NOT_FOUND, DOCTOR_NOT_VERIFIED,',
  'VISIT_NOT_OPEN (also when the visit closes or the appointment is no longer confirmed during the call), NOT_JOINED,',
  'PEER_ABSENT, RATE_LIMITED or REPLACED (the same user joined from another socket, e.g. after a reload: this one is out).',
  'The doctor makes the offer when `visit.peer-joined` arrives. Joins and departures are audited (visit.join, visit.leave).',
  '\n\n**Waiting room** (VISIT_WAITING_ROOM, on by default): a patient who joins waits in the lobby (`admitted: false` here)',
  'and gets `visit.lobby {appointmentId, doctor: here|busy|absent, lateMinutes}` on joining and whenever the doctor comes,',
  'goes or sets "running late". Every socket of the doctor gets `visit.waiting {appointmentId, participant}`. The doctor,',
  'joined on that socket, sends `{"type":"visit.admit","appointmentId","participantId"}`: both get `visit.admitted',
  '{appointmentId, participantId}` then `visit.peer-joined`. Before that no `visit.signal` is relayed to or from the waiting',
  'participant (answered `visit.error` NOT_ADMITTED), and neither is told `visit.peer-joined`/`visit.peer-left` about the',
  'other. The admission holds for the rest of the visit: a re-join after a drop, a reload or a leave goes straight in.',
  'visit.admit by anyone but the doctor: FORBIDDEN; of someone not in the lobby: PEER_ABSENT; twice: ALREADY_ADMITTED;',
  'admissions are audited (visit.admit). A waiting patient may send `{"type":"visit.lobby-message","appointmentId","text"}`',
  `(1–${LOBBY_TEXT_MAX} characters after trimming, no control characters, else VALIDATION_FAILED; not stored): every socket of`,
  'the doctor gets `visit.lobby-message {appointmentId, from, text, sentAt}`.',
  '\n\n**Screen sharing**: a participant who starts or stops sharing sends `{"type":"visit.screen","appointmentId","sharing"}`',
  '(the same rules as visit.signal: joined, the other in, both admitted); the other gets `visit.screen {appointmentId, from, sharing}`.',
  'The doctor always may; the patient only after the doctor sent `{"type":"visit.screen-allow","appointmentId","allowed":true}`',
  '(else FORBIDDEN), which holds for the visit until withdrawn with `allowed: false`; both get `visit.screen-allow {appointmentId, allowed}`.',
  'The shared screen replaces the camera track (RTCRtpSender.replaceTrack, no renegotiation); media stays peer to peer.',
].join(' ');

export default async function visitRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const p = app.platform;
  const signalling = new VisitSignalling(p);
  signalling.register();
  signalling.start();
  app.addHook('onClose', async () => {
    await signalling.stop().catch((err: Error) => p.log.warn({ err: err.message }, 'visit presence not cleared at shutdown'));
  });

  await guestRoutes(fastify, signalling);

  app.get(
    '/appointments/:id/visit',
    {
      onRequest: app.guard({ verifiedDoctor: true }),
      schema: {
        operationId: 'getVisit',
        tags: ['visits'],
        summary: "Join information of the appointment's video visit",
        description: DESCRIPTION,
        security: bearerSecurity,
        params: VisitParams,
        response: { 200: VisitSchema, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (req, reply) => {
      const visit = await visits.getVisit(p, actorOf(req), req.params.id);
      // Short-lived TURN credentials must not sit in a shared cache.
      return reply.header('cache-control', 'private, no-store').send(visit);
    },
  );

  const doctorsOnly = app.guard({ roles: ['DOCTOR'], verifiedDoctor: true });
  const LATE = [
    'The doctor\'s "running late by N minutes" (one click in the agenda), shown live in the lobby of their visits',
    '(`visit.lobby` to every waiting patient). It lapses 4 hours after it was set; `minutes: 0` clears it.',
  ].join(' ');
  app.get(
    '/doctors/me/running-late',
    {
      onRequest: doctorsOnly,
      schema: {
        operationId: 'getRunningLate',
        tags: ['visits'],
        summary: "The doctor's running-late status",
        description: LATE,
        security: bearerSecurity,
        response: { 200: RunningLateSchema, ...problems(401, 403) },
      },
    },
    async (req) => visits.getRunningLate(p, actorOf(req)),
  );
  app.put(
    '/doctors/me/running-late',
    {
      onRequest: doctorsOnly,
      schema: {
        operationId: 'setRunningLate',
        tags: ['visits'],
        summary: "Set or clear the doctor's running-late status",
        description: LATE,
        security: bearerSecurity,
        body: RunningLateBody,
        response: { 200: RunningLateSchema, ...problems(400, 401, 403) },
      },
    },
    async (req) => {
      const meta = actorOf(req);
      const out = await visits.setRunningLate(p, meta, req.body.minutes);
      await signalling.pushLobby(meta.actor.userId);
      return out;
    },
  );
}

export async function guestRoutes(fastify: FastifyInstance, signalling: VisitSignalling) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const p = app.platform;
  // Like the visit: its patient and its doctor; anyone else, admins included, 404.
  const participants = app.guard({ verifiedDoctor: true });

  app.post(
    '/appointments/:id/visit/guests',
    {
      onRequest: participants,
      schema: {
        operationId: 'createVisitGuest',
        tags: ['visits'],
        summary: 'Invite a guest into the video visit (a single-use token)',
        description: `${GUESTS} A doctor without \`patientAgreed: true\` gets 400; a visit not confirmed or already closed 409 VISIT_NOT_OPEN.`,
        security: bearerSecurity,
        params: VisitParams,
        body: GuestInviteBody,
        response: { 201: GuestInviteCreatedSchema, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (req, reply) => {
      const out = await guests.createInvite(p, actorOf(req), req.params.id, req.body);
      return reply.code(201).header('cache-control', 'no-store').send(out);
    },
  );

  app.get(
    '/appointments/:id/visit/guests',
    {
      onRequest: participants,
      schema: {
        operationId: 'listVisitGuests',
        tags: ['visits'],
        summary: 'The guest invites of the video visit (no tokens)',
        description: GUESTS,
        security: bearerSecurity,
        params: VisitParams,
        response: { 200: GuestInviteListSchema, ...problems(400, 401, 403, 404) },
      },
    },
    async (req) => guests.listInvites(p, actorOf(req), req.params.id),
  );

  app.delete(
    '/appointments/:id/visit/guests/:guestId',
    {
      onRequest: participants,
      schema: {
        operationId: 'revokeVisitGuest',
        tags: ['visits'],
        summary: 'Revoke a guest invite (a guest in the call leaves it at once)',
        description: `${GUESTS} Revoking twice: 409 INVALID_TRANSITION. The guest's socket gets \`visit.error\` REVOKED, the others \`visit.peer-left\`.`,
        security: bearerSecurity,
        params: GuestParams,
        response: { 204: Type.Null({ description: 'Revoked' }), ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (req, reply) => {
      const g = await guests.revokeInvite(p, actorOf(req), req.params.id, req.params.guestId);
      await signalling.removeGuest(g.appointmentId, g.id);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/visit-guests/redeem',
    {
      onRequest: routeRateLimit(app, p.config, REDEEM_RATE_LIMIT_MAX),
      schema: {
        operationId: 'redeemVisitGuest',
        tags: ['visits'],
        summary: "Redeem a guest's token: the guest's name in, a room-only pass out",
        description: [
          'No account: anyone holding the token. The first redemption binds it (of two at once exactly one wins; the other 409',
          `INVITE_USED). Unknown token 404; revoked, or the visit cancelled, completed or closed 410 INVITE_GONE; before the visit`,
          'opens 409 VISIT_NOT_OPEN (the detail says when). `displayName`: 1–80 characters after trimming, no control or',
          "bidirectional formatting characters (400). The answer's `guestToken` is the WebSocket auth frame's `accessToken` for",
          "this visit's `visit.*` frames only (join, then wait in the lobby until the doctor admits; signal with `to`); every HTTP",
          'route refuses it (401). It ends when the visit closes or the invite is revoked (the socket is closed 4401). Audited as',
          `visit.guest.redeem. At most ${REDEEM_RATE_LIMIT_MAX} per client address and rate-limit window (429).`,
        ].join(' '),
        body: GuestRedeemBody,
        response: { 200: GuestRedeemedSchema, ...problems(400, 404, 409, 410, 429) },
      },
    },
    async (req, reply) => {
      const out = await guests.redeemInvite(p, metaOf(req), req.body.token, req.body.displayName);
      return reply.header('cache-control', 'no-store').send(out);
    },
  );
}

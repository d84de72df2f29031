import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { bearerSecurity, problems } from '../../platform/http.ts';
import { actorOf } from '../auth/index.ts';
import * as visits from './service.ts';
import { LOBBY_TEXT_MAX, SIGNAL_BURST, SIGNAL_MAX_BYTES, SIGNALS_PER_SECOND, VisitSignalling } from './signalling.ts';
import { RunningLateBody, RunningLateSchema, VisitParams, VisitSchema } from './schemas.ts';

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

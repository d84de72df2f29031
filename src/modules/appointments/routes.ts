import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { problems, bearerSecurity } from '../../platform/http.ts';
import { actorOf } from '../auth/index.ts';
import { Page } from '../../platform/pagination.ts';
import * as appointments from './service.ts';
import * as freeSlots from './free-slots.ts';
import { routeRateLimit } from '../../platform/rate-limit.ts';
import { DoctorIdParams } from '../doctors/index.ts';
import {
  AppointmentIdParams,
  AppointmentListQuery,
  BookBody,
  BookHeaders,
  CancelBody,
  RescheduleBody,
  SlotSchema,
  SlotsQuery,
} from './schemas.ts';

const tags = ['appointments'];
const security = bearerSecurity;
const params = AppointmentIdParams;
// One component in the OpenAPI document (registered in modules/index.ts), referenced by every operation.
const AppointmentRef = Type.Ref('Appointment');

export default async function appointmentRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const p = app.platform;
  // Confirming, completing and marking a no-show need credentials an admin verified.
  const doctorAction = app.guard({ roles: ['DOCTOR'], verifiedDoctor: true });

  app.post(
    '/appointments',
    {
      onRequest: app.guard({ roles: ['PATIENT'], verifiedEmail: true }),
      schema: {
        operationId: 'bookAppointment',
        tags,
        summary: 'Book a free slot',
        description:
          "`startsAt` must be exactly the start of a free slot (GET /doctors/{doctorId}/slots); `endsAt` = start + the doctor's slotMinutes. " +
          'Status CONFIRMED if the doctor auto-confirms, else PENDING. An unknown, unverified or suspended doctor answers 404. ' +
          'A taken slot, including one lost to a concurrent booking, or a clash with another appointment of the patient, answers 409 SLOT_UNAVAILABLE. ' +
          '`Idempotency-Key`: the same key and body from the same user within 24 h replays the first 201 (header `idempotent-replayed: true`) ' +
          'without booking again; the same key with another body answers 422. Only a successful booking is remembered, so a failed attempt may be retried with its key.',
        security,
        headers: BookHeaders,
        body: BookBody,
        response: { 201: AppointmentRef, ...problems(400, 401, 403, 404, 409, 422) },
      },
    },
    async (req, reply) => {
      const r = await appointments.book(p, actorOf(req), req.body, req.headers['idempotency-key']);
      if (r.replayed) reply.header('idempotent-replayed', 'true');
      return reply.code(r.statusCode as 201).send(r.body);
    },
  );

  app.get(
    '/appointments',
    {
      onRequest: app.guard(),
      schema: {
        operationId: 'listAppointments',
        tags,
        summary: "The caller's appointments (admin: all), by start time",
        description: '`from` (inclusive) and `to` (exclusive) filter on startsAt.',
        security,
        querystring: AppointmentListQuery,
        response: { 200: Page(AppointmentRef), ...problems(400, 401, 403) },
      },
    },
    async (req) => appointments.list(p, actorOf(req), req.query),
  );

  app.get(
    '/appointments/:id',
    {
      onRequest: app.guard(),
      schema: {
        operationId: 'getAppointment',
        tags,
        summary: 'One appointment (its patient, its doctor, admin; others 404)',
        security,
        params,
        response: { 200: AppointmentRef, ...problems(400, 401, 403, 404) },
      },
    },
    async (req) => appointments.getOne(p, actorOf(req), req.params.id),
  );

  app.post(
    '/appointments/:id/confirm',
    {
      onRequest: app.guard({ roles: ['DOCTOR'], verifiedDoctor: true }),
      schema: {
        operationId: 'confirmAppointment',
        tags,
        summary: 'PENDING → CONFIRMED (its doctor)',
        security,
        params,
        response: { 200: AppointmentRef, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (req) => appointments.confirm(p, actorOf(req), req.params.id),
  );

  app.post(
    '/appointments/:id/cancel',
    {
      onRequest: app.guard(),
      // A cancel without a reason may come with no body at all.
      preValidation: async (req) => {
        if (req.body === undefined) req.body = {};
      },
      schema: {
        operationId: 'cancelAppointment',
        tags,
        summary: 'PENDING/CONFIRMED → CANCELLED (its patient or doctor, admin); frees the slot',
        description: 'The body is optional.',
        security,
        params,
        body: CancelBody,
        response: { 200: AppointmentRef, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (req) => appointments.cancel(p, actorOf(req), req.params.id, req.body?.reason),
  );

  app.post(
    '/appointments/:id/reschedule',
    {
      onRequest: app.guard({ roles: ['PATIENT', 'DOCTOR'], verifiedEmail: true, verifiedDoctor: true }),
      schema: {
        operationId: 'rescheduleAppointment',
        tags,
        summary: 'Move to another free slot of the same doctor, atomically',
        description:
          'From PENDING or CONFIRMED. If the new slot cannot be had (409 SLOT_UNAVAILABLE) nothing changes and the old slot stays held. ' +
          'Moved by the doctor, the appointment is CONFIRMED; moved by the patient, it is PENDING again unless the doctor auto-confirms.',
        security,
        params,
        body: RescheduleBody,
        response: { 200: AppointmentRef, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (req) => appointments.reschedule(p, actorOf(req), req.params.id, req.body.startsAt),
  );

  app.post(
    '/appointments/:id/complete',
    {
      onRequest: doctorAction,
      schema: {
        operationId: 'completeAppointment',
        tags,
        summary: 'CONFIRMED → COMPLETED (its doctor, only after startsAt)',
        security,
        params,
        response: { 200: AppointmentRef, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (req) => appointments.complete(p, actorOf(req), req.params.id),
  );

  app.post(
    '/appointments/:id/no-show',
    {
      onRequest: doctorAction,
      schema: {
        operationId: 'markAppointmentNoShow',
        tags,
        summary: 'CONFIRMED → NO_SHOW (its doctor, only after startsAt)',
        security,
        params,
        response: { 200: AppointmentRef, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (req) => appointments.noShow(p, actorOf(req), req.params.id),
  );

  // Free slots are booking's rule (./free-slots.ts); the URL stays under the doctor it belongs to.
  app.get(
    '/doctors/:doctorId/slots',
    {
      // Its own, tighter per-address budget on top of the general one (SLOTS_RATE_LIMIT_MAX per window).
      onRequest: routeRateLimit(app, p.config, p.config.slotsRateLimitMax),
      schema: {
        operationId: 'listDoctorSlots',
        tags: ['doctors'],
        summary: 'Free bookable slots in a window (UTC)',
        description:
          'Slots whose start lies in [from, to), at most 31 days wide and at most 1,000 slots (else 400 VALIDATION_FAILED, whose detail names a `to` that fits). ' +
          'Rate-limited per client address more tightly than other routes (429 RATE_LIMITED with Retry-After). Excludes booked times, time off, the past, starts inside ' +
          "the doctor's minimum notice and beyond their maximum advance. Generated in the doctor's time zone (see PUT /doctors/me/availability).",
        params: DoctorIdParams,
        querystring: SlotsQuery,
        response: { 200: Type.Array(SlotSchema), ...problems(400, 404) },
      },
    },
    async (req, reply) => {
      const json = await freeSlots.slots(p, req.params.doctorId, req.query);
      // Already the schema's JSON (freeSlots.slotsJson), sent as is: Fastify does not serialise a string
      // sent as application/json. The type provider types the body as the parsed array, hence the cast.
      return reply.type('application/json; charset=utf-8').send(json as never);
    },
  );
}

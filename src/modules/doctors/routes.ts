import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { problems, bearerSecurity } from '../../platform/http.ts';
import { actorOf, metaOf, RegisterDoctorBody, RegisteredDoctor } from '../auth/index.ts';
import { Page } from '../../platform/pagination.ts';
import * as doctors from './service.ts';
import * as admin from './admin-service.ts';
import {
  AdminDoctorListQuery,
  AvailabilityPutBody,
  AvailabilitySchema,
  DoctorIdParams,
  DoctorListQuery,
  DoctorPatchBody,
  TimeOffBody,
  TimeOffIdParams,
  TimeOffListQuery,
  TimeOffSchema,
  VerificationBody,
} from './schemas.ts';

const tags = ['doctors'];
const security = bearerSecurity;
const NoContent = Type.Null({ description: 'No content' });

export default async function doctorRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const p = app.platform;
  const doctorOnly = app.guard({ roles: ['DOCTOR'] });

  app.get(
    '/doctors',
    {
      schema: {
        operationId: 'listDoctors',
        tags,
        summary: 'Directory of bookable doctors',
        description:
          'Only doctors whose credentials an admin verified and whose account is active. Ordered by last name, then first name, then id, and paged by that key: following `nextCursor` yields every matching doctor exactly once, even while doctors join or leave. `q` is a case-insensitive substring of the first, last or full name, the specialization or the bio (never spanning two of them); `specialization` is an exact, case-insensitive match.',
        querystring: DoctorListQuery,
        response: { 200: Page(Type.Ref('DoctorPublic')), ...problems(400) },
      },
    },
    async (req) => doctors.listPublic(p, req.query),
  );

  app.get(
    '/doctors/me',
    {
      onRequest: doctorOnly,
      schema: {
        operationId: 'getMyDoctorProfile',
        tags,
        summary: "The calling doctor's full profile",
        security,
        response: { 200: Type.Ref('DoctorPrivate'), ...problems(401, 403) },
      },
    },
    async (req) => doctors.getMe(p, actorOf(req)),
  );

  app.patch(
    '/doctors/me',
    {
      onRequest: doctorOnly,
      schema: {
        operationId: 'updateMyDoctorProfile',
        tags,
        summary: "Update the calling doctor's profile and booking settings",
        description: 'Changes apply to future bookings only; existing appointments keep their times and length.',
        security,
        body: DoctorPatchBody,
        response: { 200: Type.Ref('DoctorPrivate'), ...problems(400, 401, 403) },
      },
    },
    async (req) => doctors.patchMe(p, actorOf(req), req.body),
  );

  app.get(
    '/doctors/me/availability',
    {
      onRequest: doctorOnly,
      schema: {
        operationId: 'getMyAvailability',
        tags,
        summary: 'Weekly availability and booking settings',
        security,
        response: { 200: AvailabilitySchema, ...problems(401, 403) },
      },
    },
    async (req) => doctors.getAvailability(p, actorOf(req)),
  );

  app.put(
    '/doctors/me/availability',
    {
      onRequest: doctorOnly,
      schema: {
        operationId: 'setMyAvailability',
        tags,
        summary: 'Replace the weekly availability rules',
        description:
          "Rules are wall-clock `HH:MM` in the doctor's time zone, so 09:00 stays 09:00 local across daylight-saving changes. " +
          'On the night clocks go forward, a local time that does not exist is taken as the moment of the change; on the night ' +
          "they go back, a repeated local time is taken at its first occurrence, and slots run end to end in real time between a rule's " +
          'start and end (a 01:00–04:00 rule yields 2 real hours of slots in spring and 4 in autumn). Rules of one weekday must not overlap. ' +
          '`timezone`, `slotMinutes`, `minNoticeMinutes`, `maxAdvanceDays` may be set in the same request.',
        security,
        body: AvailabilityPutBody,
        response: { 200: AvailabilitySchema, ...problems(400, 401, 403) },
      },
    },
    async (req) => doctors.putAvailability(p, actorOf(req), req.body),
  );

  app.get(
    '/doctors/me/time-off',
    {
      onRequest: doctorOnly,
      schema: {
        operationId: 'listMyTimeOff',
        tags,
        summary: "The calling doctor's time off, by start",
        security,
        querystring: TimeOffListQuery,
        response: { 200: Page(TimeOffSchema), ...problems(400, 401, 403) },
      },
    },
    async (req) => doctors.listTimeOff(p, actorOf(req), req.query),
  );

  app.post(
    '/doctors/me/time-off',
    {
      onRequest: doctorOnly,
      schema: {
        operationId: 'addMyTimeOff',
        tags,
        summary: 'Block a period (no slots are offered inside it)',
        description: 'Appointments already booked inside the period are kept; cancel them separately if needed.',
        security,
        body: TimeOffBody,
        response: { 201: TimeOffSchema, ...problems(400, 401, 403) },
      },
    },
    async (req, reply) => reply.code(201).send(await doctors.addTimeOff(p, actorOf(req), req.body)),
  );

  app.delete(
    '/doctors/me/time-off/:timeOffId',
    {
      onRequest: doctorOnly,
      schema: {
        operationId: 'deleteMyTimeOff',
        tags,
        summary: 'Remove a period of time off',
        security,
        params: TimeOffIdParams,
        response: { 204: NoContent, ...problems(400, 401, 403, 404) },
      },
    },
    async (req, reply) => {
      await doctors.removeTimeOff(p, actorOf(req), req.params.timeOffId);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/doctors/:doctorId',
    {
      schema: {
        operationId: 'getDoctor',
        tags,
        summary: "A bookable doctor's public profile",
        params: DoctorIdParams,
        response: { 200: Type.Ref('DoctorPublic'), ...problems(400, 404) },
      },
    },
    async (req) => doctors.getPublic(p, req.params.doctorId),
  );

  // Admin: credential verification.
  const adminOnly = app.guard({ roles: ['ADMIN'] });
  app.get(
    '/admin/doctors',
    {
      onRequest: adminOnly,
      schema: {
        operationId: 'listDoctorsForAdmin',
        tags: ['admin'],
        summary: 'All doctors with full profiles, optionally by verification status',
        security,
        querystring: AdminDoctorListQuery,
        response: { 200: Page(Type.Ref('DoctorPrivate')), ...problems(400, 401, 403) },
      },
    },
    async (req) => admin.listForAdmin(p, actorOf(req), req.query),
  );

  app.get(
    '/admin/doctors/pending-count',
    {
      onRequest: adminOnly,
      schema: {
        operationId: 'countPendingDoctors',
        tags: ['admin'],
        summary: 'How many doctors await verification (the admins’ badge)',
        description: 'Counted from an index; every admin is also told of each registration by mail and in their notification list.',
        security,
        response: { 200: Type.Object({ count: Type.Integer({ minimum: 0 }) }), ...problems(401, 403) },
      },
    },
    async (req, reply) => {
      reply.header('cache-control', 'private, no-store');
      return admin.pendingCount(p, actorOf(req));
    },
  );

  app.post(
    '/admin/doctors/:doctorId/verification',
    {
      onRequest: adminOnly,
      schema: {
        operationId: 'setDoctorVerification',
        tags: ['admin'],
        summary: "Verify or reject a doctor's credentials",
        description:
          'May be revised later; a REJECTED doctor disappears from the directory and gets 403 DOCTOR_NOT_VERIFIED for actions that need verification. The doctor is notified by mail.',
        security,
        params: DoctorIdParams,
        body: VerificationBody,
        response: { 200: Type.Ref('DoctorPrivate'), ...problems(400, 401, 403, 404) },
      },
    },
    async (req) => admin.setVerification(p, actorOf(req), req.params.doctorId, req.body),
  );

  // Registration: the account is identity's (auth.registerUser), the profile this module's.
  app.post(
    '/auth/register/doctor',
    {
      onRequest: app.hashingRateLimit,
      schema: {
        operationId: 'registerDoctor',
        tags: ['auth'],
        summary: 'Register a doctor (verification PENDING); sends a verification mail',
        body: RegisterDoctorBody,
        response: { 201: RegisteredDoctor, ...problems(400, 409, 429, 503) },
      },
    },
    async (req, reply) => reply.code(201).send(await doctors.register(p, metaOf(req), req.body)),
  );
}

import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { problems, bearerSecurity } from '../../platform/http.ts';
import { actorOf, metaOf } from '../auth/index.ts';
import { notFound } from '../../platform/errors.ts';
import { Closed } from '../../platform/schema.ts';
import * as service from './service.ts';
import { CalendarFeedParams, CalendarSettingsBody, CalendarUrlSchema, FEED_TOKEN } from './schemas.ts';

const tags = ['calendar'];
const security = bearerSecurity;

export default async function notificationRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const p = app.platform;

  // Reminders are sent by whichever instance claims them first; every instance polls.
  const reminders = new service.ReminderWorker(p);
  app.addHook('onReady', async () => reminders.start());
  app.addHook('onClose', async () => reminders.stop());

  app.get(
    '/me/calendar',
    {
      onRequest: app.guard(),
      schema: {
        operationId: 'getMyCalendarFeed',
        tags,
        summary: "The caller's secret calendar-feed URL",
        description:
          "An iCalendar feed (`text/calendar`) of the caller's PENDING and CONFIRMED appointments that have not ended, for calendar " +
          "apps to subscribe to. The same URL is answered until it is rotated. Times are UTC; each event names the doctor's time zone.",
        security,
        response: { 200: CalendarUrlSchema, ...problems(401, 403) },
      },
    },
    async (req, reply) => {
      reply.header('cache-control', 'private, no-store');
      return service.calendarUrl(p, actorOf(req));
    },
  );

  app.patch(
    '/me/calendar',
    {
      onRequest: app.guard({ roles: ['DOCTOR'] }),
      schema: {
        operationId: 'updateMyCalendarFeed',
        tags,
        summary: "A doctor's calendar-feed settings: how the feed names patients",
        description:
          '`patientNames`: `INITIALS` (the default) or `FULL`. A feed URL travels (calendar apps, sync services, shared calendars), so by ' +
          'default it shows only initials. Takes effect on the next read of the feed; the URL stays the same. Doctors only (a patient 403).',
        security,
        body: CalendarSettingsBody,
        response: { 200: CalendarUrlSchema, ...problems(400, 401, 403) },
      },
    },
    async (req, reply) => {
      reply.header('cache-control', 'private, no-store');
      return service.setCalendarSettings(p, actorOf(req), req.body.patientNames);
    },
  );

  app.post(
    '/me/calendar/rotate',
    {
      onRequest: app.guard(),
      // No body is needed; one that is sent must be empty (unknown properties are a 400 everywhere).
      preValidation: async (req) => {
        if (req.body === undefined) req.body = {};
      },
      schema: {
        operationId: 'rotateMyCalendarFeed',
        tags,
        summary: 'Replace the calendar-feed URL; the old one answers 404 at once',
        description: 'The body is optional and, if sent, an empty object.',
        security,
        body: Closed({}),
        response: { 200: CalendarUrlSchema, ...problems(400, 401, 403) },
      },
    },
    async (req, reply) => {
      reply.header('cache-control', 'private, no-store');
      return service.rotateCalendarUrl(p, actorOf(req));
    },
  );

  app.get(
    '/calendar/:token.ics',
    {
      attachValidation: true,
      schema: {
        operationId: 'readCalendarFeed',
        tags,
        summary: 'The calendar feed behind a secret URL (no other authentication)',
        description:
          "RFC 5545 calendar of the owner's upcoming appointments: one VEVENT per appointment with the same UID and SEQUENCE as the " +
          'invitations mailed about it, DTSTART/DTEND in UTC, STATUS CONFIRMED or TENTATIVE (pending). No reason or other medical content. ' +
          'An unknown or rotated token, or a suspended owner, answers 404.',
        params: CalendarFeedParams,
        produces: ['text/calendar'],
        response: {
          200: Type.Unsafe<string>({ type: 'string', description: 'text/calendar; charset=utf-8' }),
          ...problems(404),
        },
      },
    },
    async (req, reply) => {
      if (req.validationError || !FEED_TOKEN.test(req.params.token)) throw notFound('calendar');
      const body = await service.calendarFeed(p, metaOf(req), req.params.token);
      return reply.type('text/calendar; charset=utf-8').header('cache-control', 'private, no-store').send(body);
    },
  );
}

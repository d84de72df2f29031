import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { problems, bearerSecurity } from '../../platform/http.ts';
import { Page } from '../../platform/pagination.ts';
import { actorOf } from '../auth/index.ts';
import * as inbox from './service.ts';
import { NotificationIdParams, NotificationListQuery, UnreadCountSchema } from './schemas.ts';

const tags = ['notifications'];
const security = bearerSecurity;
const NoContent = Type.Null({ description: 'No content' });

export default async function inboxRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const p = app.platform;
  const signedIn = app.guard();

  // Every instance announces committed entries over the WebSocket; rows are claimed with SKIP LOCKED.
  const announcer = inbox.startAnnouncer(p);
  app.addHook('onClose', async () => announcer.stop());
  app.addHook('onSend', async (_req, reply) => {
    reply.header('cache-control', 'private, no-store');
  });

  app.get(
    '/me/notifications',
    {
      onRequest: signedIn,
      schema: {
        operationId: 'listMyNotifications',
        tags,
        security,
        summary: "The caller's notification list, newest first",
        description:
          'Entries are added in the transaction of the change that causes them, for everyone it concerns except the one who acted, ' +
          'and announced live by the WebSocket frame `{"type":"notification.created","notification":{…}}`. They point at what they ' +
          'concern (`appointmentId`, `prescriptionId`, `person`) and carry no text and nothing medical. Unread messages of one ' +
          'conversation are one entry (`count`). Each user keeps at most 200 entries (the oldest go). Keyset-paginated; ' +
          '`unread=true` lists only unread entries. A cursor not from this list answers 400.',
        querystring: NotificationListQuery,
        response: { 200: Page(Type.Ref('Notification')), ...problems(400, 401, 403) },
      },
    },
    async (req) => inbox.list(p, actorOf(req).actor, req.query),
  );

  app.get(
    '/me/notifications/unread-count',
    {
      onRequest: signedIn,
      schema: {
        operationId: 'countMyUnreadNotifications',
        tags,
        security,
        summary: 'How many of the caller’s notifications are unread (the badge)',
        response: { 200: UnreadCountSchema, ...problems(401, 403) },
      },
    },
    async (req) => inbox.unreadCount(p, actorOf(req).actor),
  );

  app.post(
    '/me/notifications/read-all',
    {
      onRequest: signedIn,
      schema: {
        operationId: 'markAllMyNotificationsRead',
        tags,
        security,
        summary: 'Marks every notification of the caller read',
        response: { 204: NoContent, ...problems(401, 403) },
      },
    },
    async (req, reply) => {
      await inbox.markAllRead(p, actorOf(req).actor);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/me/notifications/:id/read',
    {
      onRequest: signedIn,
      schema: {
        operationId: 'markMyNotificationRead',
        tags,
        security,
        summary: 'Marks one notification of the caller read',
        description: 'Marking a read entry again changes nothing. Another user’s entry, like an unknown id, answers 404.',
        params: NotificationIdParams,
        response: { 204: NoContent, ...problems(400, 401, 403, 404) },
      },
    },
    async (req, reply) => {
      await inbox.markRead(p, actorOf(req).actor, req.params.id);
      return reply.code(204).send(null);
    },
  );
}

import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { problems, bearerSecurity } from '../../platform/http.ts';
import { actorOf } from '../auth/index.ts';
import { pageQueryProperties } from '../../platform/pagination.ts';
import * as messages from './service.ts';
import { DigestWorker } from './digest.ts';
import { ConversationPage, MarkReadBody, MessagePage, SendMessageBody, UserIdParams } from './schemas.ts';

const tags = ['messages'];
const security = bearerSecurity;
const PageQuery = Type.Object(pageQueryProperties, { additionalProperties: false });

const VISIBILITY =
  'The other participant is addressed by user id. A doctor sees a patient only through a care relationship or an ' +
  'existing thread; a patient also sees any verified doctor. Anyone else (unknown id, same role, admin, oneself) is ' +
  '404 NOT_FOUND. Admins cannot use conversations at all (403 FORBIDDEN): they never see message bodies.';

export default async function messageRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const p = app.platform;
  // Messages are clinical: a doctor whose credentials are not (or no longer) verified gets 403 DOCTOR_NOT_VERIFIED.
  const participant = app.guard({ roles: ['DOCTOR', 'PATIENT'], verifiedDoctor: true });

  // Digests of unread messages are sent by whichever instance claims them first; every instance polls.
  const digests = new DigestWorker(p);
  app.addHook('onReady', async () => digests.start());
  app.addHook('onClose', async () => digests.stop());

  app.get(
    '/conversations',
    {
      onRequest: participant,
      schema: {
        operationId: 'listConversations',
        tags,
        security,
        summary: 'List my conversations, most recent first',
        description:
          'Threads with at least one message, ordered by their last message (newest first), each with the other ' +
          "participant, the last message and how many of the participant's messages the caller has not read. " +
          'Keyset-paginated on the last message: a thread that receives a message while you page moves to the top ' +
          'and is not repeated further down. Each listed thread is audited (conversation.list).',
        querystring: PageQuery,
        response: { 200: ConversationPage, ...problems(400, 401, 403) },
      },
    },
    async (req) => messages.listConversations(p, actorOf(req), req.query),
  );

  app.get(
    '/conversations/:userId/messages',
    {
      onRequest: participant,
      schema: {
        operationId: 'listMessages',
        tags,
        security,
        summary: 'Message history with one participant, newest first',
        description:
          `Keyset-paginated on insertion order: every page costs the same, and messages sent while you page never ` +
          `shift, repeat or hide older ones (they appear on a fresh first page). ${VISIBILITY} Audited as message.list.`,
        params: UserIdParams,
        querystring: PageQuery,
        response: { 200: MessagePage, ...problems(400, 401, 403, 404) },
      },
    },
    async (req) => messages.listMessages(p, actorOf(req), req.params.userId, req.query),
  );

  app.post(
    '/conversations/:userId/messages',
    {
      onRequest: app.guard({ roles: ['DOCTOR', 'PATIENT'], verifiedEmail: true, verifiedDoctor: true }),
      schema: {
        operationId: 'sendMessage',
        tags,
        security,
        summary: 'Send a message',
        description:
          `Needs a verified email address and a care relationship (an appointment PENDING, CONFIRMED, COMPLETED or ` +
          `NO_SHOW between the two): a visible participant without one answers 403 NO_CARE_RELATIONSHIP. ${VISIBILITY} ` +
          'Pushes message.created to every socket of both participants. A user sends at most MESSAGE_RATE_MAX messages ' +
          '(default 60) per MESSAGE_RATE_WINDOW_SECONDS (default 60), counted over every instance: one more answers ' +
          '429 RATE_LIMITED with Retry-After. `body`, `attachmentIds` or both: each id an upload of the sender (POST ' +
          '/attachments) that no message carries yet, else 400 and nothing is sent; the message lists their summaries ' +
          "and its thread's two participants may download them.",
        params: UserIdParams,
        body: SendMessageBody,
        response: { 201: Type.Ref('Message'), ...problems(400, 401, 403, 404, 429) },
      },
    },
    async (req, reply) => reply.code(201).send(await messages.send(p, actorOf(req), req.params.userId, req.body)),
  );

  app.post(
    '/conversations/:userId/read',
    {
      onRequest: participant,
      schema: {
        operationId: 'markConversationRead',
        tags,
        security,
        summary: "Mark the participant's messages as read, up to a message",
        description:
          '`upTo` is any message of this conversation (yours or theirs); every unread message the participant sent ' +
          'you up to and including it gets readAt. Idempotent. A message id outside this conversation is 404. ' +
          `When something changed, pushes message.read to both participants. ${VISIBILITY}`,
        params: UserIdParams,
        body: MarkReadBody,
        response: { 204: Type.Null({ description: 'Marked' }), ...problems(400, 401, 403, 404) },
      },
    },
    async (req, reply) => {
      await messages.markRead(p, actorOf(req), req.params.userId, req.body.upTo);
      return reply.code(204).send(null);
    },
  );
}

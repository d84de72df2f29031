import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { problems, bearerSecurity } from '../../platform/http.ts';
import { actorOf } from '../auth/index.ts';
import { Page } from '../../platform/pagination.ts';
import * as waitlist from './service.ts';
import { startWorker } from './worker.ts';
import { AcceptBody, EntryIdParams, EntryListQuery, EntrySchema, JoinBody, OfferIdParams } from './schemas.ts';

const tags = ['waitlist'];
const security = bearerSecurity;
const NoContent = Type.Null({ description: 'No content' });

export default async function waitlistRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const p = app.platform;
  const patient = app.guard({ roles: ['PATIENT'], verifiedEmail: true });

  // Every instance sweeps expired offers and announces new ones; rows are claimed with SKIP LOCKED.
  const worker = startWorker(p);
  app.addHook('onClose', async () => worker.stop());
  // Who waits for whom, and offers, are personal data: never cached.
  app.addHook('onSend', async (_req, reply) => {
    reply.header('cache-control', 'no-store');
  });

  app.post(
    '/waitlist',
    {
      onRequest: patient,
      schema: {
        operationId: 'joinWaitlist',
        tags,
        summary: 'Wait for a slot of a doctor inside a window',
        description:
          'When a slot of that doctor inside [from, to] becomes free (a cancellation, a reschedule away, time off removed, availability widened), ' +
          'the earliest entry in line gets an offer: the slot is held for that patient for WAITLIST_HOLD_MINUTES (default 15), announced by mail and by ' +
          'the WebSocket event `{"type":"waitlist.offer","offer":{id, doctorId, startsAt, endsAt, expiresAt}}`. The window is at most 31 days and must end ' +
          'in the future. An unknown, unverified or suspended doctor answers 404. A patient waits on at most WAITLIST_MAX_ENTRIES lists (default 5; ' +
          'entries waiting or offered whose window is not over) and WAITLIST_MAX_ENTRIES_PER_DOCTOR of one doctor (default 1): one more answers ' +
          '409 WAITLIST_LIMIT_REACHED, also under concurrency.',
        security,
        body: JoinBody,
        response: { 201: EntrySchema, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (req, reply) => reply.code(201).send(await waitlist.join(p, actorOf(req), req.body)),
  );

  app.get(
    '/waitlist',
    {
      onRequest: app.guard({ roles: ['PATIENT', 'DOCTOR'] }),
      schema: {
        operationId: 'listWaitlist',
        tags,
        summary: "Waitlist entries in line order: a patient's own, or those waiting for the calling doctor",
        description:
          'Entries a patient removed are not listed. `offer` is the live offer of an OFFERED entry. After declining or letting an offer expire, an entry is WAITING again (for other slots; that slot is not offered to it again). An entry whose window has passed stays listed until its patient removes it.',
        security,
        querystring: EntryListQuery,
        response: { 200: Page(EntrySchema), ...problems(400, 401, 403) },
      },
    },
    async (req) => waitlist.list(p, actorOf(req), req.query),
  );

  app.delete(
    '/waitlist/:id',
    {
      onRequest: app.guard({ roles: ['PATIENT'] }),
      schema: {
        operationId: 'leaveWaitlist',
        tags,
        summary: 'Leave the waitlist (its patient); a live offer of the entry is withdrawn and passed on',
        security,
        params: EntryIdParams,
        response: { 204: NoContent, ...problems(400, 401, 403, 404) },
      },
    },
    async (req, reply) => {
      await waitlist.remove(p, actorOf(req), req.params.id);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/waitlist/offers/:offerId/accept',
    {
      onRequest: patient,
      // Accepting needs no body; a reason for the visit may come with it.
      preValidation: async (req) => {
        if (req.body === undefined) req.body = {};
      },
      schema: {
        operationId: 'acceptWaitlistOffer',
        tags,
        summary: 'Accept an offer (the offered patient): the held slot becomes the appointment',
        description:
          'Answers 201 with the appointment, as POST /appointments does (CONFIRMED if the doctor auto-confirms, else PENDING). ' +
          'An offer that was accepted, declined, withdrawn or whose hold has run out answers 409 WAITLIST_OFFER_EXPIRED. The body is optional.',
        security,
        params: OfferIdParams,
        body: AcceptBody,
        response: { 201: Type.Ref('Appointment'), ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (req, reply) => reply.code(201).send(await waitlist.accept(p, actorOf(req), req.params.offerId, req.body?.reason)),
  );

  app.post(
    '/waitlist/offers/:offerId/decline',
    {
      onRequest: patient,
      schema: {
        operationId: 'declineWaitlistOffer',
        tags,
        summary: 'Decline an offer (the offered patient): the slot goes to the next in line',
        description: 'The entry stays in line for other slots. An offer no longer live answers 409 WAITLIST_OFFER_EXPIRED.',
        security,
        params: OfferIdParams,
        response: { 204: NoContent, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (req, reply) => {
      await waitlist.decline(p, actorOf(req), req.params.offerId);
      return reply.code(204).send(null);
    },
  );
}

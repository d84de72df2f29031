import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { problems, bearerSecurity } from '../../platform/http.ts';
import { actorOf, metaOf } from '../auth/index.ts';
import { IdParams } from '../../platform/schema.ts';
import { Page } from '../../platform/pagination.ts';
import * as service from './service.ts';
import { CreatePostBody, MyPostsQuery, Post, PostListQuery, UpdatePostBody } from './schemas.ts';

const tags = ['posts'];
const security = bearerSecurity;
const NoContent = Type.Null({ description: 'Deleted' });

export default async function postRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const p = app.platform;

  app.get(
    '/posts',
    {
      schema: {
        operationId: 'listPosts',
        tags,
        summary: 'Published posts, newest first, with full-text search',
        description:
          'Anyone. Only PUBLISHED posts of verified, active doctors. Without `q`, ordered by publishedAt (newest first). ' +
          'With `q` (PostgreSQL websearch syntax, English stemming), only matching posts, ordered by relevance (a match ' +
          'in the title weighs more than one in the body), then newest first. `tag` and `authorId` narrow the list. ' +
          'Keyset-paginated: a cursor belongs to its query (a cursor from a list without `q` is rejected with `q`, and ' +
          'vice versa); posts published while paging never make a page repeat or skip another post.',
        querystring: PostListQuery,
        response: { 200: Page(Post), ...problems(400) },
      },
    },
    async (req) => service.listPublished(p, req.query),
  );

  app.get(
    '/posts/:id',
    {
      onRequest: app.optionalAuth(),
      schema: {
        operationId: 'getPost',
        tags,
        summary: 'Read a post: anyone if published, only its author if a draft (others 404)',
        security: [{}, ...bearerSecurity],
        params: IdParams('id'),
        response: { 200: Post, ...problems(400, 401, 403, 404) },
      },
    },
    async (req) => service.read(p, metaOf(req).actor, req.params.id),
  );

  app.post(
    '/posts',
    {
      onRequest: app.guard({ roles: ['DOCTOR'], verifiedEmail: true, verifiedDoctor: true }),
      schema: {
        operationId: 'createPost',
        tags,
        security,
        summary: 'Write a post (verified doctors with a verified email)',
        description: 'Created as DRAFT unless `status` is PUBLISHED, which also sets publishedAt. Tags must be distinct.',
        body: CreatePostBody,
        response: { 201: Post, ...problems(400, 401, 403) },
      },
    },
    async (req, reply) => reply.code(201).send(await service.create(p, actorOf(req), req.body)),
  );

  app.patch(
    '/posts/:id',
    {
      onRequest: app.guard({ roles: ['DOCTOR'], verifiedEmail: true, verifiedDoctor: true }),
      schema: {
        operationId: 'updatePost',
        tags,
        security,
        summary: 'Edit a post (its author)',
        description:
          'Changes any of title, body, tags (replaced as a whole) and status. DRAFT → PUBLISHED sets publishedAt on the ' +
          'first publication only; PUBLISHED → DRAFT (unpublish) hides the post again but keeps publishedAt, so a ' +
          're-published post returns to its original place in the feed. Setting the current status again changes nothing. ' +
          'Another doctor gets 403 on a published post and 404 on a draft. An empty body is 400.',
        params: IdParams('id'),
        body: UpdatePostBody,
        response: { 200: Post, ...problems(400, 401, 403, 404) },
      },
    },
    async (req) => service.update(p, actorOf(req), req.params.id, req.body),
  );

  app.delete(
    '/posts/:id',
    {
      onRequest: app.guard({ roles: ['DOCTOR', 'ADMIN'] }),
      schema: {
        operationId: 'deletePost',
        tags,
        security,
        summary: 'Delete a post (its author, or an admin) → 204',
        description:
          'Admins may delete any published post (moderation); drafts are visible to their author only, so anyone else ' +
          'gets 404 for them. Another doctor gets 403 on a published post. Deletion is recorded in the audit trail.',
        params: IdParams('id'),
        response: { 204: NoContent, ...problems(400, 401, 403, 404) },
      },
    },
    async (req, reply) => {
      await service.remove(p, actorOf(req), req.params.id);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/doctors/me/posts',
    {
      onRequest: app.guard({ roles: ['DOCTOR'] }),
      schema: {
        operationId: 'listMyPosts',
        tags,
        security,
        summary: "The calling doctor's own posts, drafts included, newest created first",
        querystring: MyPostsQuery,
        response: { 200: Page(Post), ...problems(400, 401, 403) },
      },
    },
    async (req) => service.listMine(p, actorOf(req), req.query),
  );
}

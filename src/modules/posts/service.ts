import { forbidden, notFound, validation } from '../../platform/errors.ts';
import { audit } from '../../platform/audit.ts';
import type { Platform } from '../../platform/platform.ts';
import type { Actor, RequestMeta } from '../auth/index.ts';
import { cursorCodec, DEFAULT_LIMIT, toPage } from '../../platform/pagination.ts';
import * as repo from './repo.ts';
import { toPost, type CreatePostBody, type MyPostsQuery, type PostListQuery, type UpdatePostBody } from './schemas.ts';

type Meta = RequestMeta & { actor: Actor };

/** (published/created at, id), newest first; posts are stamped at millisecond precision. */
const TIME_CURSOR = cursorCodec('instant', 'uuid');
/** (search rank, published at, id) for a ranked search. */
const RANKED_CURSOR = cursorCodec('number', 'instant', 'uuid');

/**
 * Published posts are public while their author is a verified, active doctor (admins, who moderate, see them
 * regardless); drafts only to their author. Anything else is 404, exactly like a missing post.
 */
function visible(actor: Actor | null, post: repo.PostWithAuthor): boolean {
  if (actor && post.authorId === actor.userId) return true;
  return post.status === 'PUBLISHED' && (post.authorPublic || actor?.role === 'ADMIN');
}

function checkTitle(title: string | undefined): void {
  if (title !== undefined && title.trim() === '') throw validation('/title', 'must not be blank');
}

async function load(p: Platform, id: string) {
  const post = await repo.findPost(p.db, id);
  if (!post) throw notFound('post');
  return post;
}

export async function create(p: Platform, meta: Meta, body: CreatePostBody) {
  checkTitle(body.title);
  const status = body.status ?? 'DRAFT';
  const id = await p.db.transaction(async (tx) => {
    const postId = await repo.insertPost(tx, {
      authorId: meta.actor.userId,
      title: body.title,
      body: body.body,
      tags: body.tags ?? [],
      status: 'DRAFT',
    });
    // Publishing goes through the same path as PATCH, so publishedAt is set in exactly one place.
    if (status === 'PUBLISHED') await repo.updatePost(tx, postId, { status });
    return postId;
  });
  return toPost(await load(p, id));
}

export async function read(p: Platform, actor: Actor | null, id: string) {
  const post = await repo.findPost(p.db, id);
  if (!post || !visible(actor, post)) throw notFound('post');
  return toPost(post);
}

/** Only the author edits. Another doctor who can see the (published) post gets 403; a draft stays hidden (404). */
export async function update(p: Platform, meta: Meta, id: string, body: UpdatePostBody) {
  checkTitle(body.title);
  await p.db.transaction(async (tx) => {
    const post = await repo.findPost(tx, id, true);
    if (!post || !visible(meta.actor, post)) throw notFound('post');
    if (post.authorId !== meta.actor.userId) throw forbidden('Only the author may edit a post');
    await repo.updatePost(tx, id, body);
  });
  return toPost(await load(p, id));
}

export async function remove(p: Platform, meta: Meta, id: string): Promise<void> {
  await p.db.transaction(async (tx) => {
    const post = await repo.findPost(tx, id, true);
    if (!post || !visible(meta.actor, post)) throw notFound('post');
    if (post.authorId !== meta.actor.userId && meta.actor.role !== 'ADMIN')
      throw forbidden('Only the author or an admin may delete a post');
    await repo.deletePost(tx, id);
    await audit(tx, meta, { action: 'post.delete', resourceType: 'post', resourceId: id });
  });
}

function decodePublishedCursor(cursor: string | undefined, ranked: boolean) {
  if (ranked) {
    const v = RANKED_CURSOR.decode(cursor);
    return v && { rank: v[0], publishedAt: v[1], id: v[2] };
  }
  const v = TIME_CURSOR.decode(cursor);
  return v && { rank: undefined, publishedAt: v[0], id: v[1] };
}

export async function listPublished(p: Platform, q: PostListQuery) {
  const limit = q.limit ?? DEFAULT_LIMIT;
  const ranked = q.q !== undefined;
  const after = decodePublishedCursor(q.cursor, ranked);
  const rows = await repo.listPublished(p.db, { q: q.q, tag: q.tag, authorId: q.authorId }, after, limit);
  return toPage(
    rows,
    limit,
    (r) => (ranked ? [r.rank ?? 0, r.publishedAt!.toISOString(), r.id] : [r.publishedAt!.toISOString(), r.id]),
    toPost,
  );
}

export async function listMine(p: Platform, meta: Meta, q: MyPostsQuery) {
  const limit = q.limit ?? DEFAULT_LIMIT;
  const v = TIME_CURSOR.decode(q.cursor);
  const rows = await repo.listByAuthor(p.db, meta.actor.userId, q.status, v ? { createdAt: v[0], id: v[1] } : null, limit);
  return toPage(rows, limit, (r) => [r.createdAt.toISOString(), r.id], toPost);
}

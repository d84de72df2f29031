import { and, arrayContains, desc, eq, sql, type SQL } from 'drizzle-orm';
import { pgTable, text, uuid } from 'drizzle-orm/pg-core';
import type { Executor } from '../../platform/db/index.ts';
import { ts } from '../../platform/db/tables.ts';
import { doctors } from '../doctors/index.ts';
import { users } from '../auth/index.ts';

const nowMs = sql`date_trunc('milliseconds', now())`;

// The generated `search` tsvector column (migrations/0005_posts.sql) is only ever used in SQL, so it is not mapped here.
export const posts = pgTable('posts', {
  id: uuid('id').primaryKey().defaultRandom(),
  authorId: uuid('author_id').notNull(),
  title: text('title').notNull(),
  body: text('body').notNull(),
  tags: text('tags')
    .array()
    .notNull()
    .default(sql`'{}'`),
  status: text('status').$type<'DRAFT' | 'PUBLISHED'>().notNull().default('DRAFT'),
  publishedAt: ts('published_at'),
  createdAt: ts('created_at').notNull().default(nowMs),
  updatedAt: ts('updated_at').notNull().default(nowMs),
});

const withAuthor = {
  id: posts.id,
  authorId: posts.authorId,
  title: posts.title,
  body: posts.body,
  tags: posts.tags,
  status: posts.status,
  publishedAt: posts.publishedAt,
  createdAt: posts.createdAt,
  updatedAt: posts.updatedAt,
  firstname: users.firstname,
  lastname: users.lastname,
  specialization: doctors.specialization,
  // Whether the author may be shown publicly: credentials verified and account active.
  authorPublic: sql<boolean>`(${doctors.verificationStatus} = 'VERIFIED' AND ${users.accountStatus} = 'ACTIVE')`,
};
export interface PostWithAuthor {
  id: string;
  authorId: string;
  title: string;
  body: string;
  tags: string[];
  status: 'DRAFT' | 'PUBLISHED';
  publishedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  firstname: string;
  lastname: string;
  specialization: string;
  authorPublic: boolean;
}

const base = (ex: Executor, extra: Record<string, SQL> = {}) =>
  ex
    .select({ ...withAuthor, ...extra })
    .from(posts)
    .innerJoin(users, eq(users.id, posts.authorId))
    .innerJoin(doctors, eq(doctors.id, posts.authorId));

export async function insertPost(ex: Executor, v: typeof posts.$inferInsert): Promise<string> {
  const [row] = await ex.insert(posts).values(v).returning({ id: posts.id });
  return row.id;
}

export async function findPost(ex: Executor, id: string, lock = false): Promise<PostWithAuthor | undefined> {
  const q = base(ex).where(eq(posts.id, id)).limit(1);
  const [row] = lock ? await q.for('update', { of: posts }) : await q;
  return row as PostWithAuthor | undefined;
}

export async function updatePost(
  ex: Executor,
  id: string,
  v: { title?: string; body?: string; tags?: string[]; status?: 'DRAFT' | 'PUBLISHED' },
) {
  await ex
    .update(posts)
    .set({
      ...v,
      // publishedAt is the first publication: set once, kept through unpublish and re-publish.
      ...(v.status === 'PUBLISHED' ? { publishedAt: sql`coalesce(${posts.publishedAt}, ${nowMs})` } : {}),
      updatedAt: nowMs,
    })
    .where(eq(posts.id, id));
}

export async function deletePost(ex: Executor, id: string): Promise<void> {
  await ex.delete(posts).where(eq(posts.id, id));
}

const searchColumn = sql`${posts}.search`;

export interface PublishedFilter {
  q?: string;
  tag?: string;
  authorId?: string;
}

/**
 * One page of public posts. Without `q`: newest first by (publishedAt, id). With `q`: by (rank, publishedAt, id),
 * all descending. ts_rank depends only on the post and the query, never on other rows, so inserts cannot
 * reorder existing results and the keyset stays stable.
 */
export async function listPublished(
  ex: Executor,
  f: PublishedFilter,
  after: { rank?: number; publishedAt: string; id: string } | null,
  limit: number,
): Promise<(PostWithAuthor & { rank: number | null })[]> {
  const query = f.q !== undefined ? sql`websearch_to_tsquery('english', ${f.q})` : null;
  const rank = query ? sql<number>`ts_rank(${searchColumn}, ${query})::float8` : sql<null>`NULL::float8`;
  const where: SQL[] = [eq(posts.status, 'PUBLISHED'), eq(doctors.verificationStatus, 'VERIFIED'), eq(users.accountStatus, 'ACTIVE')];
  if (query) where.push(sql`${searchColumn} @@ ${query}`);
  if (f.tag) where.push(arrayContains(posts.tags, [f.tag]));
  if (f.authorId) where.push(eq(posts.authorId, f.authorId));
  if (after && query) {
    where.push(
      sql`(${rank}, ${posts.publishedAt}, ${posts.id}) < (${after.rank}::float8, ${after.publishedAt}::timestamptz, ${after.id}::uuid)`,
    );
  } else if (after) {
    where.push(sql`(${posts.publishedAt}, ${posts.id}) < (${after.publishedAt}::timestamptz, ${after.id}::uuid)`);
  }
  const order = query ? [desc(rank), desc(posts.publishedAt), desc(posts.id)] : [desc(posts.publishedAt), desc(posts.id)];
  const rows = await base(ex, { rank })
    .where(and(...where))
    .orderBy(...order)
    .limit(limit + 1);
  return rows as (PostWithAuthor & { rank: number | null })[];
}

/** The author's own posts, drafts included, newest created first. */
export async function listByAuthor(
  ex: Executor,
  authorId: string,
  status: 'DRAFT' | 'PUBLISHED' | undefined,
  after: { createdAt: string; id: string } | null,
  limit: number,
): Promise<PostWithAuthor[]> {
  const where: SQL[] = [eq(posts.authorId, authorId)];
  if (status) where.push(eq(posts.status, status));
  if (after) where.push(sql`(${posts.createdAt}, ${posts.id}) < (${after.createdAt}::timestamptz, ${after.id}::uuid)`);
  const rows = await base(ex)
    .where(and(...where))
    .orderBy(desc(posts.createdAt), desc(posts.id))
    .limit(limit + 1);
  return rows as PostWithAuthor[];
}

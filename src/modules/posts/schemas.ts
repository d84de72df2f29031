import { Type, type Static } from 'typebox';
import { Closed, Nullable, Timestamp, Uuid, iso, isoOrNull, SingleLine, MultiLine } from '../../platform/schema.ts';
import { pageQueryProperties } from '../../platform/pagination.ts';
import type { PostWithAuthor } from './repo.ts';

export const PostStatus = Type.Union([Type.Literal('DRAFT'), Type.Literal('PUBLISHED')]);
export type PostStatus = Static<typeof PostStatus>;

const Tag = Type.String({ pattern: '^[a-z0-9-]{1,32}$', description: '1–32 of [a-z0-9-]' });
const Tags = Type.Array(Tag, { maxItems: 10, uniqueItems: true, description: 'At most 10 distinct tags' });
const Title = SingleLine(1, 200, '1–200 characters, not only spaces');
const Body = MultiLine(1, 50000, 'Markdown, 1–50,000 characters. Stored as written: clients must sanitise it when rendering to HTML.');

export const CreatePostBody = Closed({
  title: Title,
  body: Body,
  tags: Type.Optional(Tags),
  status: Type.Optional({ ...PostStatus, description: 'DRAFT (default) or PUBLISHED' }),
});
export type CreatePostBody = Static<typeof CreatePostBody>;

export const UpdatePostBody = Type.Object(
  { title: Type.Optional(Title), body: Type.Optional(Body), tags: Type.Optional(Tags), status: Type.Optional(PostStatus) },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdatePostBody = Static<typeof UpdatePostBody>;

export const PostListQuery = Type.Object(
  {
    ...pageQueryProperties,
    q: Type.Optional(
      SingleLine(1, 200, 'Full-text search (web search syntax: words, "phrases", -excluded, or); results ranked by relevance'),
    ),
    tag: Type.Optional(Tag),
    authorId: Type.Optional(Uuid()),
  },
  { additionalProperties: false },
);
export type PostListQuery = Static<typeof PostListQuery>;

export const MyPostsQuery = Type.Object({ ...pageQueryProperties, status: Type.Optional(PostStatus) }, { additionalProperties: false });
export type MyPostsQuery = Static<typeof MyPostsQuery>;

export const Post = Type.Object({
  id: Uuid(),
  author: Type.Object({ id: Uuid(), firstname: Type.String(), lastname: Type.String(), specialization: Type.String() }),
  title: Type.String(),
  body: Type.String(),
  tags: Type.Array(Type.String()),
  status: PostStatus,
  publishedAt: Nullable(Timestamp('First publication; kept when the post is unpublished and published again; null if never published')),
  createdAt: Timestamp(),
  updatedAt: Timestamp(),
});
export type Post = Static<typeof Post>;

export function toPost(r: PostWithAuthor): Post {
  return {
    id: r.id,
    author: { id: r.authorId, firstname: r.firstname, lastname: r.lastname, specialization: r.specialization },
    title: r.title,
    body: r.body,
    tags: r.tags,
    status: r.status,
    publishedAt: isoOrNull(r.publishedAt),
    createdAt: iso(r.createdAt),
    updatedAt: iso(r.updatedAt),
  };
}

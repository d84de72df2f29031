-- Doctors' health posts with PostgreSQL full-text search.
CREATE TABLE posts (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  author_id uuid NOT NULL REFERENCES doctors (id) ON DELETE CASCADE,
  title text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
  body text NOT NULL CHECK (length(body) BETWEEN 1 AND 50000),
  tags text[] NOT NULL DEFAULT '{}' CHECK (cardinality(tags) <= 10),
  status text NOT NULL DEFAULT 'DRAFT' CHECK (status IN ('DRAFT', 'PUBLISHED')),
  -- Set on the first publish and never again; millisecond precision because the cursor carries it as ISO text.
  published_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  updated_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
  -- Title words weigh A, body words B, so a title match ranks above a passing mention in the body.
  -- The two-argument to_tsvector is immutable, which a generated column requires.
  search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', body), 'B')
  ) STORED,
  CHECK ((status = 'PUBLISHED') <= (published_at IS NOT NULL))
);
CREATE INDEX posts_search_idx ON posts USING gin (search);
CREATE INDEX posts_tags_idx ON posts USING gin (tags);
CREATE INDEX posts_published_idx ON posts (published_at DESC, id DESC) WHERE status = 'PUBLISHED';
CREATE INDEX posts_author_published_idx ON posts (author_id, published_at DESC, id DESC) WHERE status = 'PUBLISHED';
CREATE INDEX posts_author_created_idx ON posts (author_id, created_at DESC, id DESC);

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'drizzle-orm';
import { build, createAdminUser, createDoctor, createPatient, expectProblem } from '../../../test/helpers.ts';
import { POSTS, ids, writePost } from '../../../test/fixtures/posts.ts';

test('a verified doctor writes a draft (201); only the author sees it, in GET and in /doctors/me/posts', async (t) => {
  const app = await build(t);
  const author = await createDoctor(app, { body: { firstname: 'Greta', lastname: 'Heart', specialization: 'Cardiology' } });
  const res = await app.request('POST', POSTS, {
    token: author.token,
    body: { title: 'Draft on **blood pressure**', body: '# Notes\n\n- salt\n- sleep', tags: ['bp', 'heart-health'] },
  });
  assert.equal(res.status, 201);
  const post = res.body;
  assert.deepEqual(post.author, { id: author.id, firstname: 'Greta', lastname: 'Heart', specialization: 'Cardiology' });
  assert.equal(post.status, 'DRAFT');
  assert.equal(post.publishedAt, null);
  assert.equal(post.body, '# Notes\n\n- salt\n- sleep');
  assert.deepEqual(post.tags, ['bp', 'heart-health']);
  assert.match(post.createdAt, /Z$/);

  assert.deepEqual((await app.request('GET', `${POSTS}/${post.id}`, { token: author.token })).body, post);
  const admin = await createAdminUser(app);
  for (const token of [undefined, (await createPatient(app)).token, (await createDoctor(app)).token, admin.token]) {
    expectProblem(await app.request('GET', `${POSTS}/${post.id}`, { token }), 404, 'NOT_FOUND');
  }
  assert.deepEqual(ids(await app.request('GET', POSTS)), []);
  const mine = await app.request('GET', '/api/v1/doctors/me/posts', { token: author.token });
  assert.deepEqual(ids(mine), [post.id]);
  assert.deepEqual(ids(await app.request('GET', '/api/v1/doctors/me/posts?status=PUBLISHED', { token: author.token })), []);
});

test('publishing sets publishedAt once: editing, unpublishing and re-publishing keep it', async (t) => {
  const app = await build(t);
  const author = await createDoctor(app);
  const draft = await writePost(app, author, { status: 'DRAFT' });
  const url = `${POSTS}/${draft.id}`;
  const pub = await app.request('PATCH', url, { token: author.token, body: { status: 'PUBLISHED' } });
  assert.equal(pub.status, 200);
  assert.equal(pub.body.status, 'PUBLISHED');
  const firstPublishedAt = pub.body.publishedAt;
  assert.match(firstPublishedAt, /Z$/);
  assert.equal((await app.request('GET', url)).status, 200);

  const edit = await app.request('PATCH', url, { token: author.token, body: { title: 'New title', tags: [] } });
  assert.equal(edit.body.title, 'New title');
  assert.deepEqual(edit.body.tags, []);
  assert.equal(edit.body.publishedAt, firstPublishedAt);
  assert.ok(edit.body.updatedAt >= pub.body.updatedAt);
  assert.equal(
    (await app.request('PATCH', url, { token: author.token, body: { status: 'PUBLISHED' } })).body.publishedAt,
    firstPublishedAt,
  );

  const unpub = await app.request('PATCH', url, { token: author.token, body: { status: 'DRAFT' } });
  assert.equal(unpub.body.status, 'DRAFT');
  expectProblem(await app.request('GET', url), 404, 'NOT_FOUND');
  assert.deepEqual(ids(await app.request('GET', POSTS)), []);
  const again = await app.request('PATCH', url, { token: author.token, body: { status: 'PUBLISHED' } });
  assert.equal(again.body.publishedAt, firstPublishedAt);
  assert.deepEqual(ids(await app.request('GET', POSTS)), [draft.id]);

  // Published directly on creation: publishedAt is set at once.
  const direct = await writePost(app, author);
  assert.equal(direct.status, 'PUBLISHED');
  assert.equal(direct.publishedAt, direct.createdAt);
});

test('only the author edits: other doctors 403 on a published post, 404 on a draft; patients and admins 403; anonymous 401', async (t) => {
  const app = await build(t);
  const author = await createDoctor(app);
  const published = await writePost(app, author);
  const draft = await writePost(app, author, { status: 'DRAFT' });
  const other = await createDoctor(app);
  const admin = await createAdminUser(app);
  const body = { title: 'Hijacked' };
  expectProblem(await app.request('PATCH', `${POSTS}/${published.id}`, { token: other.token, body }), 403, 'FORBIDDEN');
  expectProblem(await app.request('PATCH', `${POSTS}/${draft.id}`, { token: other.token, body }), 404, 'NOT_FOUND');
  expectProblem(
    await app.request('PATCH', `${POSTS}/00000000-0000-4000-8000-000000000000`, { token: other.token, body }),
    404,
    'NOT_FOUND',
  );
  expectProblem(
    await app.request('PATCH', `${POSTS}/${published.id}`, { token: (await createPatient(app)).token, body }),
    403,
    'FORBIDDEN',
  );
  expectProblem(await app.request('PATCH', `${POSTS}/${published.id}`, { token: admin.token, body }), 403, 'FORBIDDEN');
  expectProblem(await app.request('PATCH', `${POSTS}/${published.id}`, { body }), 401, 'UNAUTHENTICATED');
  assert.equal((await app.request('GET', `${POSTS}/${published.id}`)).body.title, published.title);
});

test('posting needs a verified doctor with a verified email', async (t) => {
  const app = await build(t);
  const body = { title: 'T', body: 'B' };
  expectProblem(await app.request('POST', POSTS, { body }), 401, 'UNAUTHENTICATED');
  expectProblem(await app.request('POST', POSTS, { token: (await createPatient(app)).token, body }), 403, 'FORBIDDEN');
  expectProblem(await app.request('POST', POSTS, { token: (await createAdminUser(app)).token, body }), 403, 'FORBIDDEN');
  expectProblem(
    await app.request('POST', POSTS, { token: (await createDoctor(app, { verified: false })).token, body }),
    403,
    'EMAIL_NOT_VERIFIED',
  );
  expectProblem(
    await app.request('POST', POSTS, { token: (await createDoctor(app, { credentials: 'PENDING' })).token, body }),
    403,
    'DOCTOR_NOT_VERIFIED',
  );
  expectProblem(await app.request('GET', '/api/v1/doctors/me/posts', { token: (await createPatient(app)).token }), 403, 'FORBIDDEN');
  expectProblem(await app.request('GET', '/api/v1/doctors/me/posts'), 401, 'UNAUTHENTICATED');
  const [row] = await app.database.rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM posts`);
  assert.equal(row.n, 0);
});

test('delete: the author (204) or an admin (204); other doctors 403; patients 403; drafts hidden from others (404)', async (t) => {
  const app = await build(t);
  const author = await createDoctor(app);
  const admin = await createAdminUser(app);
  const other = await createDoctor(app);
  const a = await writePost(app, author);
  const b = await writePost(app, author);
  const draft = await writePost(app, author, { status: 'DRAFT' });
  expectProblem(await app.request('DELETE', `${POSTS}/${a.id}`, { token: other.token }), 403, 'FORBIDDEN');
  expectProblem(await app.request('DELETE', `${POSTS}/${a.id}`, { token: (await createPatient(app)).token }), 403, 'FORBIDDEN');
  expectProblem(await app.request('DELETE', `${POSTS}/${a.id}`), 401, 'UNAUTHENTICATED');
  expectProblem(await app.request('DELETE', `${POSTS}/${draft.id}`, { token: admin.token }), 404, 'NOT_FOUND');
  expectProblem(await app.request('DELETE', `${POSTS}/${draft.id}`, { token: other.token }), 404, 'NOT_FOUND');
  expectProblem(await app.request('DELETE', `${POSTS}/bad-id`, { token: admin.token }), 400, 'VALIDATION_FAILED');

  assert.equal((await app.request('DELETE', `${POSTS}/${a.id}`, { token: author.token })).status, 204);
  assert.equal((await app.request('DELETE', `${POSTS}/${b.id}`, { token: admin.token })).status, 204);
  assert.equal((await app.request('DELETE', `${POSTS}/${draft.id}`, { token: author.token })).status, 204);
  expectProblem(await app.request('GET', `${POSTS}/${a.id}`), 404, 'NOT_FOUND');
  expectProblem(await app.request('DELETE', `${POSTS}/${a.id}`, { token: author.token }), 404, 'NOT_FOUND');
  const events = await app.database.rows<{ actor_id: string }>(
    sql`SELECT actor_id FROM audit_events WHERE action = 'post.delete' AND resource_id = ${b.id}`,
  );
  assert.deepEqual(
    events.map((e) => e.actor_id),
    [admin.id],
  );
});

test('malformed posts and edits answer 400 and change nothing', async (t) => {
  const app = await build(t);
  const author = await createDoctor(app);
  const ok = { title: 'Title', body: 'Body' };
  const bad: unknown[] = [
    {},
    { title: 'T' },
    { body: 'B' },
    { ...ok, title: '' },
    { ...ok, title: '   ' },
    { ...ok, title: 'x'.repeat(201) },
    { ...ok, body: '' },
    { ...ok, body: 'x'.repeat(50_001) },
    { ...ok, body: 'nul\u0000' },
    { ...ok, tags: ['Upper'] },
    { ...ok, tags: ['has space'] },
    { ...ok, tags: ['x'.repeat(33)] },
    { ...ok, tags: [''] },
    { ...ok, tags: Array.from({ length: 11 }, (_, i) => `t${i}`) },
    { ...ok, tags: ['dup', 'dup'] },
    { ...ok, tags: 'single' },
    { ...ok, status: 'ARCHIVED' },
    { ...ok, publishedAt: '2020-01-01T00:00:00Z' },
    { ...ok, authorId: author.id },
    { ...ok, title: 5 },
    [ok],
    null,
  ];
  for (const body of bad) expectProblem(await app.request('POST', POSTS, { token: author.token, body }), 400, 'VALIDATION_FAILED');
  for (const rawBody of ['{"title": "x", ', 'not json'])
    expectProblem(await app.request('POST', POSTS, { token: author.token, rawBody }), 400, 'VALIDATION_FAILED');

  const post = await writePost(app, author);
  const url = `${POSTS}/${post.id}`;
  for (const body of [
    {},
    { title: '' },
    { status: 'ARCHIVED' },
    { id: post.id },
    { tags: ['A'] },
    { body: 'x'.repeat(50_001) },
    { title: null },
  ]) {
    expectProblem(await app.request('PATCH', url, { token: author.token, body }), 400, 'VALIDATION_FAILED');
  }
  expectProblem(await app.request('PATCH', url, { token: author.token, rawBody: '{' }), 400, 'VALIDATION_FAILED');
  assert.deepEqual((await app.request('GET', url)).body, post);
  // The bounds themselves are accepted.
  const big = await writePost(app, author, {
    title: 't'.repeat(200),
    body: 'b'.repeat(50_000),
    tags: Array.from({ length: 10 }, (_, i) => `tag-${i}`),
  });
  assert.equal(big.body.length, 50_000);
  for (const qs of ['?limit=0', '?limit=101', '?cursor=zzz', '?tag=Bad', '?authorId=nope', '?q=', '?other=1']) {
    expectProblem(await app.request('GET', `${POSTS}${qs}`), 400, 'VALIDATION_FAILED');
  }
  expectProblem(await app.request('GET', '/api/v1/doctors/me/posts?status=GONE', { token: author.token }), 400, 'VALIDATION_FAILED');
});

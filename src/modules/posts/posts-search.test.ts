import { test } from 'node:test';
import assert from 'node:assert/strict';
import { build, createAdminUser, createDoctor, expectProblem, setDoctorVerification, sleep } from '../../../test/helpers.ts';
import { POSTS, ids, writePost } from '../../../test/fixtures/posts.ts';
import { pages, walk } from '../../../test/fixtures/pages.ts';

test('search ranks a title match above a single mention in the body, even a newer one', async (t) => {
  const app = await build(t);
  const d = await createDoctor(app);
  const inTitle = await writePost(app, d, { title: 'Understanding cholesterol', body: 'Fats in the blood, explained for patients.' });
  await sleep(3); // distinct publishedAt milliseconds, so "newest first" is not decided by the id tie-break
  const inBody = await writePost(app, d, {
    title: 'Eating well',
    body: `${'Vegetables, fruit and whole grains. '.repeat(20)}Ask about your cholesterol.`,
  });
  await sleep(3);
  const hygiene = await writePost(app, d, { title: 'Sleep hygiene', body: 'Go to bed at the same time.' });
  assert.deepEqual(ids(await app.request('GET', POSTS)), [hygiene.id, inBody.id, inTitle.id], 'without q: newest first');
  const res = await app.request('GET', `${POSTS}?q=cholesterol`);
  assert.equal(res.status, 200);
  assert.deepEqual(ids(res), [inTitle.id, inBody.id]);
  // English stemming, phrases and exclusions (websearch syntax).
  assert.deepEqual(ids(await app.request('GET', `${POSTS}?q=${encodeURIComponent('sleeping')}`)).length, 1);
  assert.deepEqual(ids(await app.request('GET', `${POSTS}?q=${encodeURIComponent('cholesterol -vegetables')}`)), [inTitle.id]);
  assert.deepEqual(ids(await app.request('GET', `${POSTS}?q=${encodeURIComponent('"whole grains"')}`)), [inBody.id]);
  assert.deepEqual(ids(await app.request('GET', `${POSTS}?q=nothingmatcheshere`)), []);
  // Operators and punctuation never break the query.
  for (const q of ['&', '!!!', '"', 'a | b & (c', "o'brien:*", 'the']) {
    const r = await app.request('GET', `${POSTS}?q=${encodeURIComponent(q)}`);
    assert.equal(r.status, 200, `q=${q}: ${r.text}`);
  }
});

test('search only finds published posts of visible authors, and combines with tag and authorId', async (t) => {
  const app = await build(t);
  const d1 = await createDoctor(app);
  const d2 = await createDoctor(app);
  const a = await writePost(app, d1, { title: 'Asthma inhalers', tags: ['asthma', 'lungs'] });
  await sleep(3);
  const b = await writePost(app, d2, { title: 'Asthma in children', tags: ['asthma', 'kids'] });
  await writePost(app, d1, { title: 'Asthma draft', status: 'DRAFT', tags: ['asthma'] });
  assert.deepEqual(ids(await app.request('GET', `${POSTS}?q=asthma`)).sort(), [a.id, b.id].sort());
  assert.deepEqual(ids(await app.request('GET', `${POSTS}?tag=kids`)), [b.id]);
  assert.deepEqual(ids(await app.request('GET', `${POSTS}?tag=asthma`)), [b.id, a.id]);
  assert.deepEqual(ids(await app.request('GET', `${POSTS}?authorId=${d1.id}`)), [a.id]);
  assert.deepEqual(ids(await app.request('GET', `${POSTS}?q=asthma&tag=lungs`)), [a.id]);
  assert.deepEqual(ids(await app.request('GET', `${POSTS}?q=asthma&authorId=${d2.id}`)), [b.id]);
  assert.deepEqual(ids(await app.request('GET', `${POSTS}?tag=none`)), []);

  // A doctor whose credentials are withdrawn disappears from the public feed; admins can still read (and moderate) the post.
  await setDoctorVerification(app, d2.id, 'REJECTED');
  assert.deepEqual(ids(await app.request('GET', `${POSTS}?q=asthma`)), [a.id]);
  expectProblem(await app.request('GET', `${POSTS}/${b.id}`), 404, 'NOT_FOUND');
  const admin = await createAdminUser(app);
  assert.equal((await app.request('GET', `${POSTS}/${b.id}`, { token: admin.token })).status, 200);
  assert.equal((await app.request('GET', `${POSTS}/${b.id}`, { token: d2.token })).status, 200);
  assert.equal((await app.request('DELETE', `${POSTS}/${b.id}`, { token: admin.token })).status, 204);
});

test('feed pages neither skip nor repeat posts while new ones are published, with and without q', async (t) => {
  const app = await build(t);
  const d = await createDoctor(app);
  const initial: string[] = [];
  // Varying how often the word occurs gives the ranked list distinct ranks as well as ties.
  for (let i = 0; i < 14; i++)
    initial.push((await writePost(app, d, { title: `Flu note ${i}`, body: `${'vaccine '.repeat(1 + (i % 4))}season ${i}` })).id);
  for (const path of [`${POSTS}?limit=4`, `${POSTS}?limit=3&q=vaccine`]) {
    const seen: string[] = [];
    let n = 0;
    for await (const page of pages(app, path)) {
      seen.push(...page.body.items.map((i: { id: string }) => i.id));
      // New posts, some ranking above and some below the current position, arrive between pages.
      await Promise.all([
        writePost(app, d, { title: `Vaccine update ${n}`, body: 'vaccine vaccine vaccine vaccine vaccine' }),
        writePost(app, d, { title: `Misc ${n++}`, body: 'a passing vaccine mention among many other words here' }),
      ]);
    }
    assert.equal(new Set(seen).size, seen.length, `${path}: a post appeared twice`);
    for (const id of initial) assert.ok(seen.includes(id), `${path}: post ${id} was skipped`);
  }
  // A cursor belongs to its kind of list.
  const plain = await app.request('GET', `${POSTS}?limit=1`);
  expectProblem(await app.request('GET', `${POSTS}?q=vaccine&cursor=${plain.body.nextCursor}`), 400, 'VALIDATION_FAILED');
  const ranked = await app.request('GET', `${POSTS}?limit=1&q=vaccine`);
  expectProblem(await app.request('GET', `${POSTS}?cursor=${ranked.body.nextCursor}`), 400, 'VALIDATION_FAILED');
});

test("/doctors/me/posts pages through the author's posts, drafts included, and nobody else's", async (t) => {
  const app = await build(t);
  const d = await createDoctor(app);
  const other = await createDoctor(app);
  await writePost(app, other);
  const mine: string[] = [];
  for (let i = 0; i < 7; i++) mine.push((await writePost(app, d, { title: `P${i}`, status: i % 2 ? 'DRAFT' : 'PUBLISHED' })).id);
  const all = await walk(app, '/api/v1/doctors/me/posts?limit=3', d.token);
  assert.deepEqual([...all].sort(), [...mine].sort());
  assert.equal(new Set(all).size, 7);
  const drafts = await walk(app, '/api/v1/doctors/me/posts?limit=2&status=DRAFT', d.token);
  assert.deepEqual([...drafts].sort(), mine.filter((_, i) => i % 2).sort());
  expectProblem(await app.request('GET', '/api/v1/doctors/me/posts?cursor=WyJ4IiwieSJd', { token: d.token }), 400, 'VALIDATION_FAILED');
});

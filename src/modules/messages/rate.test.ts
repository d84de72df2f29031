// The per-user message rate: a flood of messages is refused with 429 and Retry-After, counted over all of
// the sender's threads in the database (so every instance sees the same count).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'drizzle-orm';
import { loadConfig } from '../../platform/config.ts';
import { build, expectProblem, type Person, type TestApp } from '../../../test/helpers.ts';
import { care } from '../../../test/fixtures/care.ts';

const send = (app: TestApp, from: Person, to: Person, body = 'Hello') =>
  app.request('POST', `/api/v1/conversations/${to.id}/messages`, { token: from.token, body: { body } });

test('a user sends at most MESSAGE_RATE_MAX messages per window, over all threads: one more is 429 with Retry-After', async (t) => {
  const app = await build(t, { messageRateMax: 3, messageRateWindowSeconds: 3600 });
  const { doctor, patient } = await care(app);
  const { patient: other } = await care(app, 'CONFIRMED', { doctor });
  assert.equal((await send(app, doctor, patient)).status, 201);
  assert.equal((await send(app, doctor, other)).status, 201);
  assert.equal((await send(app, doctor, patient)).status, 201);
  for (const to of [patient, other]) {
    const res = await send(app, doctor, to, 'x'.repeat(5000));
    expectProblem(res, 429, 'RATE_LIMITED');
    const wait = Number(res.headers.get('retry-after'));
    assert.ok(Number.isInteger(wait) && wait >= 1 && wait <= 3600, `Retry-After ${res.headers.get('retry-after')}`);
  }
  const stored = await app.database.rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM messages WHERE sender_id = ${doctor.id}`);
  assert.equal(stored[0].n, 3, 'nothing refused was stored');
  // Another sender has a budget of their own, and receiving does not spend it.
  assert.equal((await send(app, patient, doctor)).status, 201);
  // Once the oldest message leaves the window, the sender may send again.
  await app.database.rows(
    sql`UPDATE messages SET created_at = created_at - interval '2 hours' WHERE id = (SELECT id FROM messages WHERE sender_id = ${doctor.id} ORDER BY seq LIMIT 1)`,
  );
  assert.equal((await send(app, doctor, patient)).status, 201);
  expectProblem(await send(app, doctor, patient), 429, 'RATE_LIMITED');
});

test('the rate holds under concurrency: of 8 simultaneous sends with room for 5, 5 are stored', async (t) => {
  const app = await build(t, { messageRateMax: 5, messageRateWindowSeconds: 3600 });
  const { doctor, patient } = await care(app);
  const results = await Promise.all(Array.from({ length: 8 }, (_, i) => send(app, patient, doctor, `m${i}`)));
  assert.deepEqual(results.map((r) => r.status).sort(), [201, 201, 201, 201, 201, 429, 429, 429]);
});

test('the defaults: 60 messages a minute', () => {
  const c = loadConfig({});
  assert.equal(c.messageRateMax, 60);
  assert.equal(c.messageRateWindowSeconds, 60);
  assert.throws(() => loadConfig({ MESSAGE_RATE_MAX: '0' }), /MESSAGE_RATE_MAX/);
});

// The export budget: one export of a user at a time and a few per hour, across instances (the runs are
// rows in the database), 429 RATE_LIMITED with Retry-After beyond it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'drizzle-orm';
import { build, createPatient, expectProblem } from '../../../test/helpers.ts';
import { pinNow } from '../../../test/fixtures/booking.ts';
import { loadConfig } from '../../platform/config.ts';

const EXPORT = '/api/v1/me/export';
const NOW = '2027-01-04T07:00:00.000Z';

test('at most EXPORTS_PER_HOUR exports start per hour: one more is 429 with Retry-After until the oldest is an hour old', async (t) => {
  const app = await build(t, { exportsPerHour: 2 });
  pinNow(app, NOW);
  const p = await createPatient(app);
  for (const format of ['json', 'fhir']) {
    const res = await app.request('GET', `${EXPORT}?format=${format}`, { token: p.token });
    assert.equal(res.status, 200, res.text);
  }
  pinNow(app, '2027-01-04T07:10:00.000Z');
  const refused = await app.request('GET', EXPORT, { token: p.token });
  expectProblem(refused, 429, 'RATE_LIMITED');
  assert.equal(refused.headers.get('retry-after'), String(50 * 60));
  // Nothing was exported or audited for the refused request.
  const audited = await app.database.rows(sql`SELECT 1 FROM audit_events WHERE action = 'export.read' AND actor_id = ${p.id}`);
  assert.equal(audited.length, 2);
  // Another user has a budget of their own.
  assert.equal((await app.request('GET', EXPORT, { token: (await createPatient(app)).token })).status, 200);
  pinNow(app, '2027-01-04T08:00:00.001Z');
  assert.equal((await app.request('GET', EXPORT, { token: p.token })).status, 200);
});

test('one export of a user at a time: a run still streaming (on any instance) refuses the next with 429; a stale one does not', async (t) => {
  const app = await build(t);
  pinNow(app, NOW);
  const p = await createPatient(app);
  // An export finished: its run is closed, so the next may start.
  assert.equal((await app.request('GET', EXPORT, { token: p.token })).status, 200);
  const runs = await app.database.rows<{ finished: boolean }>(
    sql`SELECT finished_at IS NOT NULL AS finished FROM export_runs WHERE user_id = ${p.id}`,
  );
  assert.deepEqual(runs, [{ finished: true }]);
  // One still streaming, as another instance records it.
  await app.database.rows(sql`INSERT INTO export_runs (user_id, started_at) VALUES (${p.id}, ${'2027-01-04T06:59:00.000Z'}::timestamptz)`);
  const refused = await app.request('GET', EXPORT, { token: p.token });
  expectProblem(refused, 429, 'RATE_LIMITED');
  assert.match(refused.body.detail, /one at a time/);
  assert.ok(Number(refused.headers.get('retry-after')) >= 1);
  // That instance died mid-stream: after 15 minutes its run no longer blocks.
  pinNow(app, '2027-01-04T07:14:01.000Z');
  assert.equal((await app.request('GET', EXPORT, { token: p.token })).status, 200);
});

test('concurrent exports of one account: never two running at once', async (t) => {
  const app = await build(t);
  const p = await createPatient(app);
  const results = await Promise.all(Array.from({ length: 4 }, () => app.request('GET', EXPORT, { token: p.token })));
  for (const r of results) {
    if (r.status !== 200) expectProblem(r, 429, 'RATE_LIMITED');
  }
  assert.ok(results.some((r) => r.status === 200));
  const open = await app.database.rows(sql`SELECT 1 FROM export_runs WHERE user_id = ${p.id} AND finished_at IS NULL`);
  assert.equal(open.length, 0, 'every run is closed once its response ended');
});

test('the default budget is a few exports per hour', () => {
  assert.equal(loadConfig({}).exportsPerHour, 6);
  assert.throws(() => loadConfig({ EXPORTS_PER_HOUR: '0' }), /EXPORTS_PER_HOUR/);
});

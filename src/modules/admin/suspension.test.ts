import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'drizzle-orm';
import { build, createAdminUser, createDoctor, createPatient, expectProblem, PASSWORD } from '../../../test/helpers.ts';
import { patch, USERS } from '../../../test/fixtures/admin.ts';
import { eventsOf } from '../../../test/fixtures/audit.ts';

test('suspension takes effect on the next call with the token already held, and kills refresh tokens and login', async (t) => {
  const app = await build(t);
  const admin = await createAdminUser(app);
  const patient = await createPatient(app);
  // A second live session: every session must die, not just the newest.
  const second = await app.request('POST', '/api/v1/auth/login', { body: { login: patient.username, password: PASSWORD } });
  assert.equal((await app.request('GET', '/api/v1/me', { token: patient.token })).status, 200);

  const { res, rid } = await patch(app, admin.token, patient.id, 'SUSPENDED');
  assert.equal(res.status, 200);
  assert.equal(res.body.id, patient.id);
  assert.equal(res.body.accountStatus, 'SUSPENDED');
  assert.equal(res.headers.get('x-request-id'), rid);

  const events = await eventsOf(app, rid);
  assert.equal(events.length, 1);
  const e = events[0];
  assert.equal(e.action, 'admin.user.suspend');
  assert.equal(e.actor_id, admin.id);
  assert.equal(e.actor_role, 'ADMIN');
  assert.equal(e.resource_type, 'user');
  assert.equal(e.resource_id, patient.id);
  assert.equal(e.patient_id, patient.id);
  assert.equal(e.outcome, 'SUCCESS');
  assert.equal(e.ip, '127.0.0.1');

  expectProblem(await app.request('GET', '/api/v1/me', { token: patient.token }), 403, 'ACCOUNT_SUSPENDED');
  expectProblem(await app.request('GET', '/api/v1/me', { token: second.body.accessToken }), 403, 'ACCOUNT_SUSPENDED');
  for (const refreshToken of [patient.refreshToken, second.body.refreshToken]) {
    const r = await app.request('POST', '/api/v1/auth/refresh', { body: { refreshToken } });
    assert.ok([401, 403].includes(r.status), r.text);
    assert.ok(['INVALID_TOKEN', 'ACCOUNT_SUSPENDED'].includes(r.body.code), r.text);
  }
  expectProblem(
    await app.request('POST', '/api/v1/auth/login', { body: { login: patient.username, password: PASSWORD } }),
    403,
    'ACCOUNT_SUSPENDED',
  );
  const live = await app.database.rows(sql`SELECT id FROM sessions WHERE user_id = ${patient.id} AND revoked_at IS NULL`);
  assert.equal(live.length, 0);

  // Suspending again is a harmless no-op that is still recorded.
  const again = await patch(app, admin.token, patient.id, 'SUSPENDED');
  assert.equal(again.res.status, 200);
  assert.equal((await eventsOf(app, again.rid)).length, 1);
});

test('reactivation restores login; the old sessions stay revoked', async (t) => {
  const app = await build(t);
  const admin = await createAdminUser(app);
  const doctor = await createDoctor(app);
  await patch(app, admin.token, doctor.id, 'SUSPENDED');
  const { res, rid } = await patch(app, admin.token, doctor.id, 'ACTIVE');
  assert.equal(res.status, 200);
  assert.equal(res.body.accountStatus, 'ACTIVE');
  const [e, ...rest] = await eventsOf(app, rid);
  assert.equal(rest.length, 0);
  assert.equal(e.action, 'admin.user.reactivate');
  assert.equal(e.resource_id, doctor.id);
  assert.equal(e.patient_id, null, 'a doctor account is not patient data');

  expectProblem(await app.request('GET', '/api/v1/me', { token: doctor.token }), 401, 'UNAUTHENTICATED');
  expectProblem(await app.request('POST', '/api/v1/auth/refresh', { body: { refreshToken: doctor.refreshToken } }), 401, 'INVALID_TOKEN');
  const login = await app.request('POST', '/api/v1/auth/login', { body: { login: doctor.username, password: PASSWORD } });
  assert.equal(login.status, 200);
  assert.equal(login.body.user.accountStatus, 'ACTIVE');
  assert.equal((await app.request('GET', '/api/v1/me', { token: login.body.accessToken })).status, 200);
  const refreshed = await app.request('POST', '/api/v1/auth/refresh', { body: { refreshToken: login.body.refreshToken } });
  assert.equal(refreshed.status, 200);
});

test('the last active admin cannot suspend themself (409 INVALID_TRANSITION, recorded as DENIED)', async (t) => {
  const app = await build(t);
  const a = await createAdminUser(app);
  const denied = await patch(app, a.token, a.id, 'SUSPENDED');
  expectProblem(denied.res, 409, 'INVALID_TRANSITION');
  const [e, ...rest] = await eventsOf(app, denied.rid);
  assert.equal(rest.length, 0);
  assert.equal(e.action, 'admin.user.suspend');
  assert.equal(e.outcome, 'DENIED');
  assert.equal(e.actor_id, a.id);
  assert.equal((await app.request('GET', USERS, { token: a.token })).status, 200, 'still active');

  // With a second admin, one may step down; then the other is the last one.
  const b = await createAdminUser(app);
  assert.equal((await patch(app, a.token, a.id, 'SUSPENDED')).res.status, 200);
  expectProblem(await app.request('GET', USERS, { token: a.token }), 403, 'ACCOUNT_SUSPENDED');
  expectProblem((await patch(app, b.token, b.id, 'SUSPENDED')).res, 409, 'INVALID_TRANSITION');
  assert.equal((await patch(app, b.token, a.id, 'ACTIVE')).res.status, 200);
});

test('two admins suspending each other at once leave one active admin', async (t) => {
  const app = await build(t);
  const a = await createAdminUser(app);
  const b = await createAdminUser(app);
  const [ra, rb] = await Promise.all([patch(app, a.token, b.id, 'SUSPENDED'), patch(app, b.token, a.id, 'SUSPENDED')]);
  const statuses = [ra.res.status, rb.res.status].sort();
  assert.equal(statuses[0], 200, `${ra.res.text} ${rb.res.text}`);
  assert.ok([403, 409].includes(statuses[1]), `${ra.res.text} ${rb.res.text}`);
  const active = await app.database.rows(sql`SELECT id FROM users WHERE role = 'ADMIN' AND account_status = 'ACTIVE'`);
  assert.equal(active.length, 1);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'drizzle-orm';
import { sqlState } from '../../platform/db/index.ts';
import { build, createAdminUser, createDoctor, createPatient, expectProblem, PASSWORD, type TestApp } from '../../../test/helpers.ts';
import { audited as call } from '../../../test/fixtures/audit.ts';
import { walk } from '../../../test/fixtures/pages.ts';

const EVENTS = '/api/v1/admin/audit-events';
const LOG = '/api/v1/patients/me/access-log';

test('the database refuses UPDATE, DELETE and TRUNCATE on audit_events, and no role holds those privileges', async (t) => {
  const app = await build(t);
  await createPatient(app);
  const count = async () => (await app.database.rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM audit_events`))[0].n;
  const before = await count();
  assert.ok(before > 0);
  for (const statement of [
    sql`UPDATE audit_events SET action = 'forged.action'`,
    sql`DELETE FROM audit_events`,
    sql`TRUNCATE audit_events`,
  ]) {
    await assert.rejects(app.database.rows(statement), (e: unknown) => sqlState(e) === '42501');
  }
  assert.equal(await count(), before);
  const forged = await app.database.rows(sql`SELECT id FROM audit_events WHERE action = 'forged.action'`);
  assert.equal(forged.length, 0);
  const grants = await app.database.rows<{ privilege: string }>(sql`
    SELECT a.privilege_type AS privilege FROM pg_class c, aclexplode(c.relacl) a
    WHERE c.relname = 'audit_events' AND a.privilege_type IN ('UPDATE', 'DELETE', 'TRUNCATE')`);
  assert.deepEqual(grants, []);
  const [{ acl }] = await app.database.rows<{ acl: unknown }>(
    sql`SELECT relacl IS NOT NULL AS acl FROM pg_class WHERE relname = 'audit_events'`,
  );
  assert.equal(acl, true, 'privileges were set explicitly by the migration');
});

test('login success, login failure and refresh failure each write exactly one event with the right fields', async (t) => {
  const app = await build(t);
  const patient = await createPatient(app);

  const ok = await call(app, 'POST', '/api/v1/auth/login', { body: { login: patient.username, password: PASSWORD } });
  assert.equal(ok.res.status, 200);
  assert.equal(ok.events.length, 1);
  assert.deepEqual(
    { ...ok.events[0], id: undefined, seq: undefined, at: undefined, xid: undefined, content_hash: undefined },
    {
      id: undefined,
      seq: undefined,
      at: undefined,
      xid: undefined,
      content_hash: undefined,
      actor_id: patient.id,
      actor_role: 'PATIENT',
      action: 'auth.login',
      resource_type: 'user',
      resource_id: patient.id,
      patient_id: null,
      outcome: 'SUCCESS',
      ip: '127.0.0.1',
      request_id: ok.rid,
    },
  );

  const bad = await call(app, 'POST', '/api/v1/auth/login', { body: { login: patient.username, password: 'wrong password!' } });
  expectProblem(bad.res, 401, 'INVALID_CREDENTIALS');
  assert.equal(bad.events.length, 1);
  assert.equal(bad.events[0].action, 'auth.login');
  assert.equal(bad.events[0].outcome, 'FAILURE');
  assert.equal(bad.events[0].actor_id, patient.id);

  const unknown = await call(app, 'POST', '/api/v1/auth/login', { body: { login: 'nobody_here', password: 'whatever123' } });
  expectProblem(unknown.res, 401, 'INVALID_CREDENTIALS');
  assert.equal(unknown.events.length, 1);
  assert.equal(unknown.events[0].outcome, 'FAILURE');
  assert.equal(unknown.events[0].actor_id, null);

  const refresh = await call(app, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: 'not-a-real-refresh-token' } });
  expectProblem(refresh.res, 401, 'INVALID_TOKEN');
  assert.equal(refresh.events.length, 1);
  assert.equal(refresh.events[0].action, 'auth.refresh');
  assert.equal(refresh.events[0].outcome, 'FAILURE');

  // A refused validation writes nothing.
  const invalid = await call(app, 'POST', '/api/v1/auth/login', { body: { login: patient.username } });
  expectProblem(invalid.res, 400, 'VALIDATION_FAILED');
  assert.equal(invalid.events.length, 0);
});

test('anonymous callers get 401; patients, doctors get 403 on the audit trail; doctors and admins get 403 on the access log', async (t) => {
  const app = await build(t);
  const [patient, doctor, admin, other] = [
    await createPatient(app),
    await createDoctor(app),
    await createAdminUser(app),
    await createAdminUser(app),
  ];
  expectProblem(await app.request('GET', EVENTS), 401, 'UNAUTHENTICATED');
  expectProblem(await app.request('GET', LOG), 401, 'UNAUTHENTICATED');
  expectProblem(await app.request('GET', EVENTS, { token: patient.token }), 403, 'FORBIDDEN');
  expectProblem(await app.request('GET', EVENTS, { token: doctor.token }), 403, 'FORBIDDEN');
  expectProblem(await app.request('GET', LOG, { token: doctor.token }), 403, 'FORBIDDEN');
  expectProblem(await app.request('GET', LOG, { token: admin.token }), 403, 'FORBIDDEN');
  const s = await app.request('PATCH', `/api/v1/admin/users/${other.id}`, { token: admin.token, body: { accountStatus: 'SUSPENDED' } });
  assert.equal(s.status, 200);
  expectProblem(await app.request('GET', EVENTS, { token: other.token }), 403, 'ACCOUNT_SUSPENDED');
});

test('an admin filters audit events by actor, patient, action, prefix and time, and pages through them newest first', async (t) => {
  const app = await build(t);
  const admin = await createAdminUser(app);
  const p1 = await createPatient(app);
  const p2 = await createPatient(app);
  const get = async (query: string) => {
    const res = await app.request('GET', `${EVENTS}?${query}`, { token: admin.token });
    assert.equal(res.status, 200, res.text);
    return res.body.items as any[];
  };
  const byP1 = await get(`actorId=${p1.id}&limit=100`);
  assert.ok(byP1.length >= 3, 'register, verify, login');
  assert.ok(byP1.every((e) => e.actorId === p1.id));
  assert.deepEqual(Object.keys(byP1[0]).sort(), [
    'action',
    'actorId',
    'actorRole',
    'at',
    'hash',
    'id',
    'ip',
    'outcome',
    'patientId',
    'prevHash',
    'requestId',
    'resourceId',
    'resourceType',
  ]);
  const aboutP2 = await get(`patientId=${p2.id}&limit=100`);
  assert.ok(aboutP2.length >= 2 && aboutP2.every((e) => e.patientId === p2.id));
  const logins = await get('action=auth.login&limit=100');
  assert.ok(logins.length >= 3 && logins.every((e) => e.action === 'auth.login'));
  const authEvents = await get('action=auth.*&limit=100');
  assert.ok(authEvents.length > logins.length && authEvents.every((e) => e.action.startsWith('auth.')));
  assert.deepEqual(await get('action=auth&limit=100'), [], 'an exact action does not match its prefix');
  const combined = await get(`actorId=${p1.id}&action=auth.login`);
  assert.equal(combined.length, 1);
  assert.equal(combined[0].outcome, 'SUCCESS');

  const all = await get('limit=100');
  const ats = all.map((e) => Date.parse(e.at));
  assert.deepEqual(
    [...ats].sort((a, b) => b - a),
    ats,
    'newest first',
  );
  const future = new Date(Date.now() + 3_600_000).toISOString();
  assert.deepEqual(await get(`from=${future}`), []);
  assert.ok((await get(`to=${future}&limit=100`)).length >= all.length);
  const pivot = all[Math.floor(all.length / 2)].at;
  assert.ok((await get(`from=${pivot}&limit=100`)).every((e) => e.at >= pivot));
  assert.ok((await get(`to=${pivot}&limit=100`)).every((e) => e.at < pivot));
  assert.equal((await get(`from=${pivot}&to=${pivot}`)).length, 0);

  // Pages of 3 over a fixed actor's events: each event once, same order as one big page.
  const seen = await walk(app, `${EVENTS}?actorId=${p1.id}&limit=2`, admin.token, 2);
  assert.deepEqual(
    seen,
    byP1.map((e) => e.id),
  );

  // Reading the trail is itself one recorded event.
  const read = await call(app, 'GET', `${EVENTS}?patientId=${p1.id}`, { token: admin.token });
  assert.equal(read.events.length, 1);
  assert.equal(read.events[0].action, 'audit_event.list');
  assert.equal(read.events[0].actor_id, admin.id);
  assert.equal(read.events[0].patient_id, p1.id);
});

test('invalid audit-event queries answer 400 VALIDATION_FAILED', async (t) => {
  const app = await build(t);
  const admin = await createAdminUser(app);
  const cursorOf = (v: unknown) => encodeURIComponent(Buffer.from(JSON.stringify(v)).toString('base64url'));
  for (const q of [
    'actorId=nope',
    'patientId=123',
    'action=',
    'action=AUTH.LOGIN',
    'action=auth..login',
    'action=*',
    'action=auth.%25',
    `action=${'a'.repeat(101)}`,
    'from=yesterday',
    'to=2026-13-01T00:00:00Z',
    'from=2026-01-01',
    'from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z',
    'limit=0',
    'limit=101',
    'cursor=%7B%7D',
    `cursor=${cursorOf(['x'])}`,
    `cursor=${cursorOf([1.5])}`,
    `cursor=${cursorOf([-1])}`,
    'unknown=1',
  ]) {
    expectProblem(await app.request('GET', `${EVENTS}?${q}`, { token: admin.token }), 400, 'VALIDATION_FAILED');
  }
  for (const q of ['from=nope', 'limit=0', 'cursor=%21', 'patientId=x', 'from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z']) {
    const patient = await createPatient(app);
    expectProblem(await app.request('GET', `${LOG}?${q}`, { token: patient.token }), 400, 'VALIDATION_FAILED');
  }
});

test("a patient's access log names who changed their account, only their own entries, newest first", async (t) => {
  const app = await build(t);
  const admin = await createAdminUser(app);
  const patient = await createPatient(app);
  const stranger = await createPatient(app);
  await app.request('PATCH', `/api/v1/admin/users/${patient.id}`, { token: admin.token, body: { accountStatus: 'SUSPENDED' } });
  await app.request('PATCH', `/api/v1/admin/users/${patient.id}`, { token: admin.token, body: { accountStatus: 'ACTIVE' } });
  const login = await app.request('POST', '/api/v1/auth/login', { body: { login: patient.username, password: PASSWORD } });

  const read = await call(app, 'GET', LOG, { token: login.body.accessToken });
  assert.equal(read.res.status, 200);
  const items = read.res.body.items as any[];
  assert.equal(items[0].action, 'admin.user.reactivate');
  assert.deepEqual(items[0].actor, { id: admin.id, firstname: 'Admin', lastname: admin.username, role: 'ADMIN' });
  assert.equal(items[1].action, 'admin.user.suspend');
  assert.ok(items.some((e) => e.action === 'auth.register' && e.actor.id === patient.id && e.actor.role === 'PATIENT'));
  assert.equal(read.res.text.includes(stranger.id), false);
  assert.equal(read.res.text.includes('127.0.0.1'), false, 'no client addresses');
  assert.deepEqual(Object.keys(items[0]).sort(), ['action', 'actor', 'at', 'id', 'outcome', 'resourceId', 'resourceType']);
  // Reading the log is recorded, but not as an entry of the log itself.
  assert.equal(read.events.length, 1);
  assert.equal(read.events[0].action, 'access_log.list');
  assert.equal(read.events[0].patient_id, null);
  const again = await app.request('GET', LOG, { token: login.body.accessToken });
  assert.deepEqual(
    again.body.items.map((e: any) => e.id),
    items.map((e) => e.id),
  );

  const paged = await walk(app, `${LOG}?limit=1`, login.body.accessToken, 1);
  assert.deepEqual(
    paged,
    items.map((e) => e.id),
  );
  assert.deepEqual(
    (await app.request('GET', `${LOG}?from=${new Date(Date.now() + 60_000).toISOString()}`, { token: login.body.accessToken })).body.items,
    [],
  );
});

test('lists record only what they disclosed: a patient filter that returns nothing of the patient writes nothing against them', async (t) => {
  const app = await build(t);
  const { appointmentFixture } = await import('../../../test/helpers.ts');
  const victim = await createPatient(app);
  const carer = await createDoctor(app);
  const [strangerDoctor, strangerPatient, admin] = [await createDoctor(app), await createPatient(app), await createAdminUser(app)];
  const appointmentId = await appointmentFixture(app, { doctorId: carer.id, patientId: victim.id, status: 'CONFIRMED' });
  const rx = await app.request('POST', '/api/v1/prescriptions', {
    token: carer.token,
    body: { appointmentId, items: [{ medication: 'A', dosage: '1 mg', frequency: 'daily', durationDays: 1 }] },
  });
  assert.equal(rx.status, 201, rx.text);
  const against = async () =>
    (await app.database.rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM audit_events WHERE patient_id = ${victim.id}`))[0].n;
  const before = await against();
  const empty: [string, string, TestApp | undefined][] = [];
  for (const [who, path] of [
    [strangerDoctor, `/api/v1/prescriptions?patientId=${victim.id}`],
    [strangerPatient, `/api/v1/prescriptions?patientId=${victim.id}`],
    [carer, `/api/v1/prescriptions?patientId=${victim.id}&status=REVOKED`],
    [admin, `/api/v1/admin/audit-events?patientId=${victim.id}&action=nothing.here`],
    [carer, `/api/v1/conversations/${victim.id}/messages`],
    [strangerDoctor, '/api/v1/appointments'],
  ] as const) {
    const res = await app.request('GET', path, { token: who.token });
    assert.equal(res.status, 200, `${path}: ${res.text}`);
    assert.deepEqual(res.body.items, [], path);
    empty.push([who.id, path, undefined]);
  }
  assert.equal(await against(), before, 'no event against the patient for lists that showed nothing of them');
  // What was shown is still recorded against the patient.
  assert.equal((await app.request('GET', `/api/v1/prescriptions?patientId=${victim.id}`, { token: admin.token })).body.items.length, 1);
  assert.equal(
    (await app.request('GET', `/api/v1/admin/audit-events?patientId=${victim.id}`, { token: admin.token })).body.items.length > 0,
    true,
  );
  const rows = await app.database.rows<{ action: string }>(
    sql`SELECT action FROM audit_events WHERE patient_id = ${victim.id} ORDER BY seq DESC LIMIT 2`,
  );
  assert.deepEqual(rows.map((r) => r.action).sort(), ['audit_event.list', 'prescription.list']);
});

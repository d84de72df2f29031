import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { build, createAdminUser, createDoctor, createPatient, expectProblem } from '../../../test/helpers.ts';
import { patch, USERS } from '../../../test/fixtures/admin.ts';
import { eventsOf } from '../../../test/fixtures/audit.ts';
import { pages } from '../../../test/fixtures/pages.ts';

test('anonymous callers get 401, patients and doctors 403 FORBIDDEN, a suspended admin 403 ACCOUNT_SUSPENDED', async (t) => {
  const app = await build(t);
  const [patient, doctor, admin, other] = [
    await createPatient(app),
    await createDoctor(app),
    await createAdminUser(app),
    await createAdminUser(app),
  ];
  const calls = [
    ['GET', USERS, undefined],
    ['PATCH', `${USERS}/${patient.id}`, { accountStatus: 'SUSPENDED' }],
  ] as const;
  for (const [method, path, body] of calls) {
    expectProblem(await app.request(method, path, { body }), 401, 'UNAUTHENTICATED');
    expectProblem(await app.request(method, path, { body, token: 'not.a.token' }), 401, 'UNAUTHENTICATED');
    expectProblem(await app.request(method, path, { body, token: patient.token }), 403, 'FORBIDDEN');
    expectProblem(await app.request(method, path, { body, token: doctor.token }), 403, 'FORBIDDEN');
  }
  assert.equal((await patch(app, admin.token, other.id, 'SUSPENDED')).res.status, 200);
  for (const [method, path, body] of calls) {
    expectProblem(await app.request(method, path, { body, token: other.token }), 403, 'ACCOUNT_SUSPENDED');
  }
  const [{ status }] = await app.database.rows<{ status: string }>(
    sql`SELECT account_status AS status FROM users WHERE id = ${patient.id}`,
  );
  assert.equal(status, 'ACTIVE', 'no refused call changed anything');
});

test('an admin lists users with role, status and text filters, newest first, without medical history', async (t) => {
  const app = await build(t);
  const admin = await createAdminUser(app);
  const p1 = await createPatient(app, { body: { firstname: 'Zelda', lastname: 'Quux_%' } });
  const p2 = await createPatient(app, { body: { firstname: 'Zelda', lastname: 'Other' } });
  const d = await createDoctor(app, { body: { firstname: 'Zelda', lastname: 'Doc' } });
  await patch(app, admin.token, p2.id, 'SUSPENDED');

  const all = await app.request('GET', `${USERS}?limit=100`, { token: admin.token });
  assert.equal(all.status, 200);
  // createDoctor may add its own admin (to verify the doctor): compare only the users made here.
  const mine = new Set([admin.id, d.id, p1.id, p2.id]);
  assert.deepEqual(
    all.body.items.map((u: any) => u.id).filter((id: string) => mine.has(id)),
    [d.id, p2.id, p1.id, admin.id],
  );
  assert.equal(all.body.nextCursor, null);
  assert.equal(all.text.includes('Penicillin'), false);
  assert.equal(all.text.includes('medicalHistory'), false);
  assert.equal(all.text.includes('password'), false);
  assert.deepEqual(Object.keys(all.body.items[0]).sort(), [
    'accountStatus',
    'createdAt',
    'email',
    'firstname',
    'id',
    'isEmailVerified',
    'lastname',
    'locale',
    'role',
    'timeZone',
    'updatedAt',
    'username',
  ]);

  const ids = async (query: string) => {
    const res = await app.request('GET', `${USERS}?${query}`, { token: admin.token });
    assert.equal(res.status, 200, res.text);
    return res.body.items.map((u: any) => u.id);
  };
  assert.deepEqual(await ids('role=PATIENT'), [p2.id, p1.id]);
  assert.deepEqual(await ids('role=DOCTOR'), [d.id]);
  const admins = await ids('role=ADMIN');
  assert.ok(admins.includes(admin.id) && !admins.includes(d.id) && !admins.includes(p1.id));
  assert.deepEqual(await ids('accountStatus=SUSPENDED'), [p2.id]);
  assert.deepEqual(await ids('role=PATIENT&accountStatus=ACTIVE'), [p1.id]);
  assert.deepEqual(await ids('q=zelda'), [d.id, p2.id, p1.id]);
  assert.deepEqual(await ids('q=ZELDA%20DOC'), [d.id]);
  assert.deepEqual(await ids(`q=${encodeURIComponent(p1.username.toUpperCase())}`), [p1.id]);
  assert.deepEqual(await ids(`q=${encodeURIComponent(p2.email)}`), [p2.id]);
  // LIKE wildcards in the search term match themselves.
  assert.deepEqual(await ids(`q=${encodeURIComponent('x_%')}`), [p1.id]);
  assert.deepEqual(await ids('q=%25'), [p1.id]);
  assert.deepEqual(await ids('q=nobody-matches-this'), []);
});

test('the user list pages through every user exactly once, and each listing is audited once', async (t) => {
  const app = await build(t);
  const admin = await createAdminUser(app);
  for (let i = 0; i < 4; i++) await createPatient(app);
  const seen: string[] = [];
  let pageCount = 0;
  for await (const res of pages(app, `${USERS}?limit=2`, admin.token)) {
    const rid = res.headers.get('x-request-id')!;
    assert.ok(res.body.items.length <= 2);
    seen.push(...res.body.items.map((u: any) => u.id));
    pageCount++;
    const events = await eventsOf(app, rid);
    assert.equal(events.length, 1);
    assert.equal(events[0].action, 'user.list');
    assert.equal(events[0].actor_id, admin.id);
    assert.equal(events[0].actor_role, 'ADMIN');
    assert.equal(events[0].patient_id, null);
  }
  assert.equal(pageCount, 3);
  assert.equal(seen.length, 5);
  assert.equal(new Set(seen).size, 5);
});

test('invalid user-list queries answer 400 VALIDATION_FAILED', async (t) => {
  const app = await build(t);
  const admin = await createAdminUser(app);
  const bogusCursor = (v: unknown) => encodeURIComponent(Buffer.from(JSON.stringify(v)).toString('base64url'));
  for (const q of [
    'role=NURSE',
    'role=patient',
    'accountStatus=DELETED',
    'limit=0',
    'limit=101',
    'limit=abc',
    'limit=1.5',
    'q=',
    `q=${'a'.repeat(101)}`,
    'q=%00',
    'q=a%07b',
    'cursor=%21%21',
    `cursor=${bogusCursor([1, 2])}`,
    `cursor=${bogusCursor(['2024-01-01', randomUUID()])}`,
    `cursor=${bogusCursor(['2024-01-01T00:00:00.000000Z', 'x'])}`,
    `cursor=${'a'.repeat(600)}`,
    'roles=PATIENT',
    'unknown=1',
  ]) {
    expectProblem(await app.request('GET', `${USERS}?${q}`, { token: admin.token }), 400, 'VALIDATION_FAILED');
  }
});

test('invalid account updates answer 400 and change nothing; an unknown user is 404', async (t) => {
  const app = await build(t);
  const admin = await createAdminUser(app);
  const patient = await createPatient(app);
  const path = `${USERS}/${patient.id}`;
  const [{ n: before }] = await app.database.rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM audit_events`);
  for (const body of [
    {},
    { accountStatus: 'DELETED' },
    { accountStatus: 'suspended' },
    { accountStatus: 1 },
    { accountStatus: null },
    { accountStatus: 'SUSPENDED', role: 'ADMIN' },
    [],
    'SUSPENDED',
  ]) {
    expectProblem(await app.request('PATCH', path, { token: admin.token, body }), 400, 'VALIDATION_FAILED');
  }
  expectProblem(await app.request('PATCH', path, { token: admin.token, rawBody: '{"accountStatus":' }), 400, 'VALIDATION_FAILED');
  expectProblem(await app.request('PATCH', path, { token: admin.token }), 400, 'VALIDATION_FAILED');
  expectProblem(
    await app.request('PATCH', `${USERS}/not-a-uuid`, { token: admin.token, body: { accountStatus: 'SUSPENDED' } }),
    400,
    'VALIDATION_FAILED',
  );
  const [{ n: after }] = await app.database.rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM audit_events`);
  assert.equal(after, before, 'nothing was written');
  assert.equal((await app.request('GET', '/api/v1/me', { token: patient.token })).status, 200);
  expectProblem(
    await app.request('PATCH', `${USERS}/${randomUUID()}`, { token: admin.token, body: { accountStatus: 'SUSPENDED' } }),
    404,
    'NOT_FOUND',
  );
});

// Item 1 of issue 11: password hashing must not be a denial-of-service lever. The cheap checks come
// before any argon2 hash, the hashing queue is bounded (503 + Retry-After when full), and the
// anonymous hashing routes have their own per-address budget.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { build, expectProblem, patientBody, type TestResponse } from '../../../test/helpers.ts';

// Slow enough that one hash visibly holds the only hashing slot (≈ a second), however loaded the machine.
const SLOW = { argon2: { memoryCost: 65536, timeCost: 12, parallelism: 1 }, hashConcurrency: 1 };

/** Which settles first: the request or the hash occupying the slot. Order, not timing. */
async function settlesBefore(req: Promise<TestResponse>, busy: Promise<unknown>): Promise<{ res: TestResponse; first: boolean }> {
  let busyDone = false;
  void busy.then(() => { busyDone = true; });
  const res = await req;
  return { res, first: !busyDone };
}

test('a taken username or email and an unknown reset token answer before any hash is computed', async (t) => {
  const app = await build(t, SLOW);
  const taken = patientBody();
  assert.equal((await app.request('POST', '/api/v1/auth/register/patient', { body: taken })).status, 201);
  // Occupy the only hashing slot; anything that needs a hash now waits for it.
  const busy = app.app.platform.passwords.hash('occupying the slot');
  assert.equal(app.app.platform.passwords.load.active, 1);
  const name = await settlesBefore(app.request('POST', '/api/v1/auth/register/patient', { body: patientBody({ username: taken.username.toUpperCase() }) }), busy);
  expectProblem(name.res, 409, 'USERNAME_TAKEN');
  assert.ok(name.first, 'the taken username waited for a hash');
  const email = await settlesBefore(app.request('POST', '/api/v1/auth/register/patient', { body: patientBody({ email: taken.email.toUpperCase() }) }), busy);
  expectProblem(email.res, 409, 'EMAIL_TAKEN');
  assert.ok(email.first, 'the taken email waited for a hash');
  const reset = await settlesBefore(app.request('POST', '/api/v1/auth/reset-password', { body: { token: 'never-issued-token', password: 'a brand new password' } }), busy);
  expectProblem(reset.res, 401, 'INVALID_TOKEN');
  assert.ok(reset.first, 'the unknown reset token waited for a hash');
  await busy;
});

test('when the hashing queue is full, login (known or unknown user) and registration answer 503 UNAVAILABLE with Retry-After at once', async (t) => {
  const app = await build(t, { ...SLOW, hashQueueMax: 1 });
  const known = patientBody();
  assert.equal((await app.request('POST', '/api/v1/auth/register/patient', { body: known })).status, 201);
  const passwords = app.app.platform.passwords;
  const busy = passwords.hash('occupying the slot');
  // One request may wait in the queue…
  const queued = app.request('POST', '/api/v1/auth/register/patient', { body: patientBody() });
  for (let i = 0; i < 500 && passwords.load.waiting < 1; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(passwords.load.waiting, 1);
  // …the next ones are shed at once instead of waiting seconds; an unknown user is treated exactly like a known one.
  for (const [path, body] of [
    ['/api/v1/auth/login', { login: known.username, password: 'wrong password' }],
    ['/api/v1/auth/login', { login: 'nobody-at-all', password: 'wrong password' }],
    ['/api/v1/auth/register/patient', patientBody()],
  ] as const) {
    const shed = await settlesBefore(app.request('POST', path, { body }), busy);
    expectProblem(shed.res, 503, 'UNAVAILABLE');
    assert.ok(Number(shed.res.headers.get('retry-after')) >= 1, shed.res.text);
    assert.ok(shed.first, `${path} waited instead of being shed`);
  }
  await busy;
  assert.equal((await queued).status, 201);
  // A shed login is not a failed login: nothing was recorded against the account.
  const { sql } = await import('drizzle-orm');
  const [{ n }] = await app.database.rows<{ n: number }>(sql`select count(*)::int as n from login_failures`);
  assert.equal(n, 0);
});

test('register, login and reset-password share a per-address budget of their own (429 RATE_LIMITED + Retry-After)', async (t) => {
  const app = await build(t, { authRateLimitMax: 3, authRateLimitWindowSeconds: 600, trustProxy: true });
  const from = (ip: string) => ({ 'x-forwarded-for': ip });
  expectProblem(await app.request('POST', '/api/v1/auth/login', { body: { login: 'someone1', password: 'wrong password' }, headers: from('10.3.3.3') }), 401, 'INVALID_CREDENTIALS');
  expectProblem(await app.request('POST', '/api/v1/auth/reset-password', { body: { token: 'nope', password: 'a brand new password' }, headers: from('10.3.3.3') }), 401, 'INVALID_TOKEN');
  assert.equal((await app.request('POST', '/api/v1/auth/register/patient', { body: patientBody(), headers: from('10.3.3.3') })).status, 201);
  for (const [path, body] of [
    ['/api/v1/auth/login', { login: 'someone2', password: 'wrong password' }],
    ['/api/v1/auth/register/patient', patientBody()],
    ['/api/v1/auth/reset-password', { token: 'nope', password: 'a brand new password' }],
  ] as const) {
    const limited = await app.request('POST', path, { body, headers: from('10.3.3.3') });
    expectProblem(limited, 429, 'RATE_LIMITED');
    const retry = Number(limited.headers.get('retry-after'));
    assert.ok(retry > 0 && retry <= 600, `Retry-After ${retry}`);
  }
  // Another address, and routes that cost no hash, are not affected.
  expectProblem(await app.request('POST', '/api/v1/auth/login', { body: { login: 'someone3', password: 'wrong password' }, headers: from('10.4.4.4') }), 401, 'INVALID_CREDENTIALS');
  assert.equal((await app.request('POST', '/api/v1/auth/forgot-password', { body: { email: 'x@example.test' }, headers: from('10.3.3.3') })).status, 202);
});
